import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation
@testable import CuboidPrelabel
import Testing

@Suite struct EndOnCompletionTests {
    /// A car's rear 1.9 m across (bumper wrap included) and 1.0 m deep, straight ahead, to the
    /// left ahead and behind: the completed length runs along the line of sight, away from the sensor.
    @Test(arguments: [(20.0, 0.0), (15.0, 6.0), (-18.0, 3.0)])
    func lengthRunsAlongTheLineOfSight(x: Double, y: Double) {
        let sight = atan2(y, x)
        // Fitted footprint: its long side (1.9 m) across the line of sight.
        let observed = BEVBox(center: SIMD2(x, y), length: 1.9, width: 1.0, yaw: sight + .pi / 2)
        #expect(sightAngle(observed) < 1e-9)
        let completed = completeAlongSight(observed, toLength: 3.9, width: 1.65)
        #expect(abs(sin(completed.yaw - sight)) < 1e-9, "yaw \(completed.yaw) sight \(sight)")
        #expect(completed.length == 3.9 && completed.width == 1.9)
        // It grows away from the sensor: its centre is further out than the observed one.
        #expect((completed.center * completed.center).sum() > (observed.center * observed.center).sum())
    }

    @Test func diagonalViewIsNotEndOn() {
        let observed = BEVBox(center: SIMD2(10, 10), length: 1.8, width: 1.2, yaw: 0)
        #expect(abs(sightAngle(observed) - .pi / 4) < 1e-9)
        #expect(sightAngle(observed) > PrelabelConfiguration().vehicles.endOnSightDegrees * .pi / 180)
    }
}

/// A static car-shaped thing detected (score 0.9) in the frames marked 1 of a 10 Hz drive, seen
/// by a static sensor: a vehicle's track is kept only when more than a quarter of the frames from
/// its first to its last detection have one.
struct DetectionShareScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let pattern: [Int]
    let category: String
    let kept: Bool
    var testDescription: String { name }

    static let all = [
        DetectionShareScenario(name: "a car seen in every sweep", pattern: Array(repeating: 1, count: 12), category: "Car", kept: true),
        DetectionShareScenario(name: "a car hidden for four sweeps by a passing truck", pattern: [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], category: "Car", kept: true),
        DetectionShareScenario(name: "a car passing beside the ego, found in one sweep of three", pattern: [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1], category: "Car", kept: true),
        DetectionShareScenario(name: "a hedge passing as a car in one sweep of five", pattern: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], category: "Car", kept: false),
        DetectionShareScenario(name: "a facade passing as a van in one sweep of five", pattern: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], category: "Van", kept: false),
        DetectionShareScenario(name: "a person is not held to the vehicle rule", pattern: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], category: "Pedestrian", kept: true),
    ]
}

@Suite struct VehicleDetectionShareTests {
    private func frames(_ scenario: DetectionShareScenario) -> [TrackerFrame] {
        let size: (Double, Double, Double) = scenario.category == "Pedestrian" ? (0.8, 0.6, 1.7) : (4, 1.7, 1.5)
        return scenario.pattern.enumerated().map { k, seen in
            let box = Box3D(x: 12, y: 3, z: -0.9, length: size.0, width: size.1, height: size.2, yaw: 0)
            let detections = seen == 1 ? [Detection(category: scenario.category, cuboid: box, score: 0.9, pointCount: 100)] : []
            return TrackerFrame(detections: detections, worldFromSensor: .identity, time: Double(k) / 10)
        }
    }

    /// People's own share rule (``PersonConfiguration/minimumTrackDetectionShare``, see
    /// PersonTrackRuleTests) is off here: these scenarios are about the vehicle rule.
    private var persons: PersonConfiguration {
        var persons = PersonConfiguration()
        persons.minimumTrackDetectionShare = 0
        return persons
    }

    @Test(arguments: DetectionShareScenario.all)
    func flickeringVehicleTracksAreDropped(_ scenario: DetectionShareScenario) {
        let tracks = Tracker(persons: persons).track(frames(scenario))
        #expect(tracks.count == (scenario.kept ? 1 : 0))
    }

    /// 0 turns the rule off: every scenario's track is kept.
    @Test(arguments: DetectionShareScenario.all)
    func theRuleCanBeTurnedOff(_ scenario: DetectionShareScenario) {
        var configuration = TrackingConfiguration()
        configuration.minimumVehicleDetectionShare = 0
        #expect(Tracker(configuration: configuration, persons: persons).track(frames(scenario)).count == 1)
    }
}

/// A static car-shaped thing (score 0.9) detected in frames `detected` of a 30-frame, 10 Hz
/// sequence seen by a static sensor: a vehicle's track needs 5 detections unless the sequence's
/// start or end cut it short.
struct ShortTrackScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let detected: Range<Int>
    let category: String
    let kept: Bool
    var testDescription: String { name }

    static let all = [
        ShortTrackScenario(name: "a hedge passing as a car in three sweeps mid-sequence", detected: 12..<15, category: "Car", kept: false),
        ShortTrackScenario(name: "a fence passing as a van in four sweeps mid-sequence", detected: 12..<16, category: "Van", kept: false),
        ShortTrackScenario(name: "a car seen in five sweeps mid-sequence", detected: 12..<17, category: "Car", kept: true),
        ShortTrackScenario(name: "a car entering the view in the last three sweeps", detected: 27..<30, category: "Car", kept: true),
        ShortTrackScenario(name: "a car leaving the view in the first three sweeps", detected: 0..<3, category: "Car", kept: true),
        ShortTrackScenario(name: "a person is not held to the vehicle rule", detected: 12..<15, category: "Pedestrian", kept: true),
    ]
}

@Suite struct MinimumVehicleDetectionsTests {
    private func frames(_ scenario: ShortTrackScenario) -> [TrackerFrame] {
        let size: (Double, Double, Double) = scenario.category == "Pedestrian" ? (0.8, 0.6, 1.7) : (4, 1.7, 1.5)
        return (0..<30).map { k in
            let box = Box3D(x: 12, y: 3, z: -0.9, length: size.0, width: size.1, height: size.2, yaw: 0)
            let detections = scenario.detected.contains(k) ? [Detection(category: scenario.category, cuboid: box, score: 0.9, pointCount: 100)] : []
            return TrackerFrame(detections: detections, worldFromSensor: .identity, time: Double(k) / 10)
        }
    }

    @Test(arguments: ShortTrackScenario.all)
    func shortVehicleTracksAreDropped(_ scenario: ShortTrackScenario) {
        let tracks = Tracker().track(frames(scenario))
        #expect(tracks.count == (scenario.kept ? 1 : 0))
        #expect(tracks.first.map { Set($0.boxes.keys) == Set(scenario.detected) } ?? true)
    }

    /// 1 turns the rule off: every scenario's track is kept.
    @Test(arguments: ShortTrackScenario.all)
    func theRuleCanBeTurnedOff(_ scenario: ShortTrackScenario) {
        var configuration = TrackingConfiguration()
        configuration.minimumVehicleDetections = 1
        #expect(Tracker(configuration: configuration).track(frames(scenario)).count == 1)
    }
}

/// A flat face `width` across and `height` high, 30 m ahead, returns every 0.1 m across and
/// 0.15 m up from 0.3 m.
private func faceFeatures(width: Double, height: Double) -> ClusterFeatures {
    var x: [Float] = [], y: [Float] = [], h: [Float] = []
    for py in stride(from: -width / 2, through: width / 2, by: 0.1) {
        for ph in stride(from: 0.3, through: height, by: 0.15) { x.append(30); y.append(Float(py)); h.append(Float(ph)) }
    }
    let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: h.map { $0 - 1.7 }), heights: h)
    return ClusterFeatures(cluster, footprint: LShapeFitter().fit(cluster.footprint)!)
}

struct RejectedVehicleScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let width: Double, height: Double
    /// Whether the cluster is refused as a person because a vehicle would have taken it but for
    /// the whole-end rule.
    let refused: Bool
    var testDescription: String { name }

    static let all = [
        RejectedVehicleScenario(name: "a car's side cut to 1.0 m by an occluder, 1.4 m high", width: 1.0, height: 1.4, refused: true),
        RejectedVehicleScenario(name: "a person 0.5 m across, 1.75 m tall", width: 0.5, height: 1.75, refused: false),
    ]
}

@Suite struct RejectedVehicleIsNoPersonTests {
    /// A piece too short for the whole-end rule, which a vehicle class would otherwise have taken,
    /// scores higher as a Pedestrian than as any vehicle: it is refused, not made a person. A
    /// person's own shape is no vehicle, whatever the rule.
    @Test(arguments: RejectedVehicleScenario.all)
    func aPieceTheVehiclesLetGoIsNoPerson(_ scenario: RejectedVehicleScenario) {
        let features = faceFeatures(width: scenario.width, height: scenario.height)
        let detector = LidarDetector()
        let pedestrian = ClassModel.defaults.first { $0.name == "Pedestrian" }!
        let personScore = features.score(for: pedestrian)
        let vehicleScore = ClassModel.defaults.filter { $0.kind == .vehicle }.map { features.score(for: $0) }.max()!
        // The person outscores every vehicle under the rules as they stand.
        #expect(personScore > vehicleScore, "person \(personScore) vehicle \(vehicleScore)")
        #expect(detector.wouldBeVehicle(features, over: personScore) == scenario.refused)
        // With the whole-end rule off nothing is held against the person.
        var off = PrelabelConfiguration()
        off.vehicles.minimumSeenWidthShare = 0
        if scenario.refused {
            #expect(ClassModel.defaults.filter { $0.kind == .vehicle }.contains { features.score(for: $0, vehicles: off.vehicles) > personScore })
        }
    }
}

/// An object 20 m ahead seen from the sensor: its near face `width` across (y) and `depth` deep
/// along x, returns every 0.1 m on the near face and the right side up to `top`; above
/// `shoulder` only the middle `upperWidth` of the face returns (a tapering crown or post).
struct UpperSpanScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let width: Double, depth: Double, top: Double, shoulder: Double, upperWidth: Double
    /// Whether it scores as a Truck (at least the detector's minimum score).
    let truck: Bool
    var testDescription: String { name }

    static let all = [
        UpperSpanScenario(name: "a box truck's rear, flat and full width to the top", width: 2.5, depth: 0.1, top: 3.4, shoulder: 3.4, upperWidth: 2.5, truck: true),
        UpperSpanScenario(name: "a trimmed tree 2.1 m by 1.0 m, 1.5 m across above 2 m", width: 2.1, depth: 1.0, top: 3.4, shoulder: 2.0, upperWidth: 1.5, truck: false),
        UpperSpanScenario(name: "a pillar 2 m across, 1 m across above 2 m", width: 2.0, depth: 1.0, top: 3.5, shoulder: 2.0, upperWidth: 1.0, truck: false),
    ]

    var features: ClusterFeatures {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        for ph in stride(from: 0.3, through: top, by: 0.15) {
            let halfWidth = ph > shoulder ? upperWidth / 2 : width / 2
            for py in stride(from: -halfWidth, through: halfWidth + 1e-9, by: 0.1) { x.append(20); y.append(Float(py)); h.append(Float(ph)) }
            if ph <= shoulder {
                for px in stride(from: 20.1, through: 20 + depth, by: 0.1) { x.append(Float(px)); y.append(Float(-width / 2)); h.append(Float(ph)) }
            }
        }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: h.map { $0 - 1.7 }), heights: h)
        return ClusterFeatures(cluster, footprint: LShapeFitter.prelabel.fit(cluster.footprint)!)
    }
}

@Suite struct TruckUpperSpanTests {
    /// A truck's cab front and box rear are full width up to the top (``ClassModel/minimumUpperSpan``
    /// 1.9 m); tall compact things that taper are no truck's end.
    @Test(arguments: UpperSpanScenario.all)
    func aTrucksEndIsFullWidthToTheTop(_ scenario: UpperSpanScenario) {
        let truck = ClassModel.defaults.first { $0.name == "Truck" }!
        let score = scenario.features.score(for: truck)
        #expect((score >= PrelabelConfiguration().minimumScore) == scenario.truck, "score \(score)")
        // Without the truck's own span (the 0.9 m every vehicle class needs) each is a truck.
        var lenient = truck
        lenient.minimumUpperSpan = nil
        #expect(scenario.features.score(for: lenient) >= PrelabelConfiguration().minimumScore)
    }
}

/// A car-sized L (rear 1.7 m across at 8 m, 1 m left of the sensor, right side 3.9 m long, both
/// facing the sensor) whose returns reach `top`
/// metres, rings 0.05 m apart there (a 64-beam sensor near by): its roof, if it had one higher,
/// would have been seen.
struct NearTopScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let top: Double
    let car: Bool
    var testDescription: String { name }

    static let all = [
        NearTopScenario(name: "a hedge 1.05 m high", top: 1.05, car: false),
        NearTopScenario(name: "a low wall 1.1 m high", top: 1.1, car: false),
        NearTopScenario(name: "a car 1.45 m high", top: 1.45, car: true),
    ]

    var features: ClusterFeatures {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        for ph in stride(from: 0.3, through: top + 1e-9, by: 0.05) {
            for py in stride(from: 1.0, through: 2.7, by: 0.1) { x.append(8); y.append(Float(py)); h.append(Float(ph)) }
            for px in stride(from: 8.1, through: 11.9, by: 0.1) { x.append(Float(px)); y.append(1.0); h.append(Float(ph)) }
        }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: h.map { $0 - 1.73 }), heights: h)
        return ClusterFeatures(cluster, footprint: LShapeFitter.prelabel.fit(cluster.footprint)!)
    }
}

@Suite struct VehicleHeightToleranceTests {
    /// Near by, a vehicle's top is seen: a dense cluster under 1.1 m is no car (1.2 m at least, less
    /// ``VehicleConfiguration/heightToleranceBelow``); with the persons' 0.25 m it would be one.
    @Test(arguments: NearTopScenario.all)
    func aNearLowClusterIsNoCar(_ scenario: NearTopScenario) {
        let car = ClassModel.defaults.first { $0.name == "Car" }!
        let minimum = PrelabelConfiguration().minimumScore
        let score = scenario.features.score(for: car)
        #expect((score >= minimum) == scenario.car, "score \(score)")
        var lenient = VehicleConfiguration()
        lenient.heightToleranceBelow = 0.25
        #expect(scenario.features.score(for: car, vehicles: lenient) >= minimum)
    }
}

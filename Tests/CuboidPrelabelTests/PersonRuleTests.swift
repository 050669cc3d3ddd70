import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation
@testable import CuboidPrelabel
import Testing

/// An upright object of a person's size as a 64-beam sensor sees it: rings 0.4 degree apart from 2
/// degrees up downwards, returns every 0.09 degree of azimuth, from a sensor 1.73 m up.
struct UprightObject: CustomTestStringConvertible, Sendable {
    var name: String
    /// Horizontal range of the object, metres (straight ahead, on +x).
    var range: Double
    /// Width across the line of sight at a height above the ground, metres.
    var width: @Sendable (Double) -> Double
    /// Highest return above the ground, metres.
    var top: Double
    /// Lowest return above the ground, metres.
    var bottom = 0.3
    /// Whether a person class should take it.
    var isPerson: Bool

    var testDescription: String { name }

    /// The object's features, as the detector measures them.
    var features: ClusterFeatures {
        let mount = 1.73, step = 0.09 * Double.pi / 180
        var x: [Float] = [], y: [Float] = [], z: [Float] = []
        for ring in 0..<60 {
            let slope = tan((2.0 - 0.4 * Double(ring)) * Double.pi / 180)
            let height = mount + slope * range
            guard height >= bottom && height <= top else { continue }
            let half = width(height) / 2
            var azimuth = -half / range
            while azimuth <= half / range {
                x.append(Float(range * cos(azimuth))); y.append(Float(range * sin(azimuth))); z.append(Float(slope * range))
                azimuth += step
            }
        }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: z), heights: z.map { $0 + Float(mount) })
        return ClusterFeatures(cluster, footprint: LShapeFitter.prelabel.fit(cluster.footprint)!)
    }

    static let scenarios: [UprightObject] = [
        UprightObject(name: "a standing person 10 m out", range: 10, width: { $0 > 1.5 ? 0.22 : 0.48 }, top: 1.75, isPerson: true),
        UprightObject(name: "a standing person 30 m out", range: 30, width: { $0 > 1.5 ? 0.22 : 0.45 }, top: 1.7, isPerson: true),
        UprightObject(name: "a cyclist riding ahead 12 m out", range: 12, width: { $0 > 1.1 ? 0.45 : 0.6 }, top: 1.75, isPerson: true),
        UprightObject(name: "a pole 10 m out", range: 10, width: { _ in 0.12 }, top: 2.0, isPerson: false),
        UprightObject(name: "a sign post 25 m out", range: 25, width: { _ in 0.08 }, top: 1.9, isPerson: false),
        UprightObject(name: "a thin trunk 15 m out", range: 15, width: { _ in 0.16 }, top: 2.05, isPerson: false),
        UprightObject(name: "foliage hanging 1 m over open ground 15 m out", range: 15, width: { _ in 0.6 }, top: 1.9, bottom: 1.0, isPerson: false),
        UprightObject(name: "a bollard 8 m out", range: 8, width: { _ in 0.35 }, top: 0.7, isPerson: false),
    ]
}

@Suite struct PersonRuleTests {
    /// A person stands on the ground, with an upper body as wide as their shoulders; poles, posts
    /// and thin trunks are narrower, foliage floats over open ground, bollards are too low: a person
    /// class scores the first over the detector's minimum score and the others under it.
    @Test(arguments: UprightObject.scenarios)
    func personClassesTakeOnlyPeople(_ object: UprightObject) {
        let features = object.features
        let persons = ClassModel.defaults.filter { $0.kind == .person }
        let best = persons.map { features.score(for: $0) }.max()!
        let minimum = PrelabelConfiguration().minimumScore
        if object.isPerson {
            #expect(best >= 0.5, "\(object.name): score \(best), upper width \(features.personShape?.upperWidth ?? -1), height \(features.height), gap \(features.bottomGap)")
        } else {
            #expect(best < minimum, "\(object.name): score \(best), upper width \(features.personShape?.upperWidth ?? -1), height \(features.height), gap \(features.bottomGap)")
        }
    }

    /// The rules are the configuration's: with the upper-body width limit at 0 a pole scores as a
    /// person again, and with the open bottom gap at 2 m so does the foliage.
    @Test func theLimitsComeFromTheConfiguration() {
        let pole = UprightObject.scenarios.first { $0.name.hasPrefix("a pole") }!.features
        let pedestrian = ClassModel.defaults.first { $0.name == "Pedestrian" }!
        var open = PersonConfiguration()
        open.minimumUpperWidth = 0
        open.maximumOpenBottomGap = 2
        #expect(pole.score(for: pedestrian, persons: open) > pole.score(for: pedestrian) + 0.3)
        let foliage = UprightObject.scenarios.first { $0.name.hasPrefix("foliage") }!.features
        #expect(foliage.score(for: pedestrian, persons: open) > foliage.score(for: pedestrian) + 0.3)
    }
}

/// A person-sized object seen over twelve sweeps at 10 Hz by a static sensor, for the rules a
/// person's track must meet (``PersonConfiguration/minimumTrackScore``,
/// ``PersonConfiguration/minimumTrackDetectionShare``, ``PersonConfiguration/minimumTrackHeight``).
struct PersonTrackScenario: CustomTestStringConvertible, Sendable {
    var name: String
    /// Walking speed along +x, m/s.
    var speed: Double
    /// The sweeps (0..<12) it is detected in as a Pedestrian.
    var detectedIn: [Int]
    /// Height of every detection's box, metres.
    var height: Double
    /// Score of every detection.
    var score: Double
    /// Whether its track is handed out.
    var kept: Bool

    var testDescription: String { name }

    var frames: [TrackerFrame] {
        (0..<12).map { k in
            let t = Double(k) / 10
            let box = Box3D(x: 12 + speed * t, y: 4, z: -1.73 + height / 2, length: 0.85, width: 0.65, height: height, yaw: 0.3)
            let detections = detectedIn.contains(k) ? [Detection(category: "Pedestrian", cuboid: box, score: score, pointCount: 60)] : []
            return TrackerFrame(detections: detections, worldFromSensor: .identity, time: t)
        }
    }

    static let all: [PersonTrackScenario] = [
        PersonTrackScenario(name: "a walker detected in every sweep", speed: 1.3, detectedIn: Array(0..<12), height: 1.7, score: 0.8, kept: true),
        PersonTrackScenario(name: "a person standing, detected in 10 of 12 sweeps", speed: 0, detectedIn: [0, 1, 2, 3, 5, 6, 7, 9, 10, 11], height: 1.65, score: 0.7, kept: true),
        PersonTrackScenario(name: "a shrub that passes as a person in every third sweep", speed: 0, detectedIn: [0, 3, 6, 9], height: 1.6, score: 0.8, kept: false),
        PersonTrackScenario(name: "a hedge's end 1.0 m high in every sweep", speed: 0, detectedIn: Array(0..<12), height: 1.0, score: 0.9, kept: false),
    ]
}

@Suite struct PersonTrackRuleTests {
    @Test(arguments: PersonTrackScenario.all)
    func aPersonsTrackMustHoldUpOverItsFrames(_ scenario: PersonTrackScenario) {
        let tracks = Tracker().track(scenario.frames)
        #expect(tracks.count == (scenario.kept ? 1 : 0))
        // With the three track rules off every scenario's track is handed out: the rules, not the
        // tracker's own thresholds, decide.
        var off = PersonConfiguration()
        off.minimumTrackScore = 0
        off.minimumTrackDetectionShare = 0
        off.minimumTrackHeight = 0
        #expect(Tracker(persons: off).track(scenario.frames).count == 1)
    }

    /// The track score rule is off by default (it cost the short synthetic drives true people); set,
    /// it drops a post whose detections all score 0.35, which the tracker's own minimum keeps.
    @Test func aWeakPersonTrackIsDroppedWhenTheScoreRuleIsSet() {
        let post = PersonTrackScenario(name: "a post whose detections all score 0.35", speed: 0, detectedIn: Array(0..<12), height: 1.9, score: 0.35, kept: true)
        #expect(Tracker().track(post.frames).count == 1)
        var strict = PersonConfiguration()
        strict.minimumTrackScore = 0.5
        #expect(Tracker(persons: strict).track(post.frames).isEmpty)
    }

    /// The keys' defaults are the documented values, checked and read from a file.
    @Test func eachRuleHasItsOwnKey() throws {
        var config = PrelabelConfiguration()
        #expect(config.persons.minimumTrackScore == 0 && config.persons.minimumTrackDetectionShare == 0.6 && config.persons.minimumTrackHeight == 1.2)
        config.persons.minimumTrackDetectionShare = 1.5
        #expect(throws: (any Error).self) { try config.validate() }
        let decoded = try PrelabelConfiguration.decode(Array(#"{"persons": {"minimumTrackHeight": 0.9}}"#.utf8))
        #expect(decoded.persons.minimumTrackHeight == 0.9 && decoded.persons.minimumTrackDetectionShare == 0.6)
    }
}

/// A person seen walking for a short while moves less than a static object's threshold
/// (`tracking.staticDisplacement`, 1 m); ``PersonConfiguration/minimumWalkSpeed`` keeps its track
/// moving, its boxes following it, while a post whose centre jitters stays pinned.
struct WalkScenario: CustomTestStringConvertible, Sendable {
    var name: String
    /// Centre along +x in each of the sweeps (10 Hz), metres from x = 12.
    var offsets: [Double]
    /// Whether the track's boxes follow the centre (moving) rather than stay at one place.
    var moving: Bool
    var testDescription: String { name }

    static let all: [WalkScenario] = [
        WalkScenario(name: "a walker seen for 5 sweeps at 1.4 m/s", offsets: (0..<5).map { 0.14 * Double($0) }, moving: true),
        WalkScenario(name: "a post jittering by 0.1 m over 12 sweeps", offsets: (0..<12).map { $0 % 2 == 0 ? 0 : 0.1 }, moving: false),
        WalkScenario(name: "a person standing for 12 sweeps", offsets: Array(repeating: 0, count: 12), moving: false),
    ]
}

@Suite struct PersonWalkRuleTests {
    @Test(arguments: WalkScenario.all)
    func aShortWalkIsNotPinned(_ scenario: WalkScenario) throws {
        let frames = scenario.offsets.enumerated().map { k, offset in
            let box = Box3D(x: 12 + offset, y: 4, z: -0.9, length: 0.85, width: 0.65, height: 1.7, yaw: 0.3)
            return TrackerFrame(detections: [Detection(category: "Pedestrian", cuboid: box, score: 0.9, pointCount: 80)], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let track = try #require(Tracker().track(frames).first)
        let first = try #require(track.boxes.keys.min().flatMap { track.boxes[$0]?.cuboid })
        let last = try #require(track.boxes.keys.max().flatMap { track.boxes[$0]?.cuboid })
        #expect((last.x - first.x > 0.2) == scenario.moving)
        // With the rule off every short track is pinned.
        var off = PersonConfiguration()
        off.minimumWalkSpeed = 0
        let pinned = try #require(Tracker(persons: off).track(frames).first)
        #expect(Set(pinned.boxes.values.map(\.cuboid.x)).count == 1)
    }
}

import CuboidGeometry
import CuboidKernels
@testable import CuboidPrelabel
import Foundation
import Testing

private func detection(_ x: Double, _ y: Double, yaw: Double, category: String = "Car", score: Double = 0.9) -> Detection {
    Detection(category: category, cuboid: Box3D(x: x, y: y, z: -0.9, length: 4, width: 1.7, height: 1.5, yaw: yaw), score: score, pointCount: 100)
}

@Suite struct TrackerTests {
    /// Two cars, one driving at 8 m/s past a parked one, seen from an ego that itself drives at 5 m/s;
    /// the moving car is hidden in frames 6, 7 and 8. Detections carry yaw modulo pi (as the L-shape fit gives).
    @Test func identityKeptThroughAThreeFrameOcclusion() {
        var frames: [TrackerFrame] = []
        var generator = SplitMix64(seed: 7)
        for k in 0..<16 {
            let t = Double(k) / 10
            let ego = RigidPose(yaw: 0.02 * Double(k), translation: SIMD3(5 * t, 0, 0))
            func sensor(_ world: SIMD3<Double>, _ yaw: Double) -> Detection {
                let local = ego.inverse.apply(to: world)
                let noisy = SIMD3(local.x + 0.05 * generator.normal(), local.y + 0.05 * generator.normal(), local.z)
                // Yaw as a single sweep gives it: modulo pi.
                return detection(noisy.x, noisy.y, yaw: normalizedYaw(yaw - 0.02 * Double(k) + (k % 2 == 0 ? 0 : .pi)))
            }
            var detections = [sensor(SIMD3(20, 4, -0.9), 0.1)]
            if !(6...8).contains(k) { detections.append(sensor(SIMD3(2 + 8 * t, -3, -0.9), .pi)) }
            frames.append(TrackerFrame(detections: detections, worldFromSensor: ego, time: t))
        }
        let tracks = Tracker().track(frames)
        #expect(tracks.count == 2)
        let moving = tracks.first { $0.isMoving }, parked = tracks.first { !$0.isMoving }
        #expect(moving != nil && parked != nil)
        guard let moving, let parked else { return }
        #expect(moving.boxes.count == 16 && parked.boxes.count == 16)
        // Frames 6-8 come from the smoother, near the true position.
        for k in 6...8 {
            let ego = RigidPose(yaw: 0.02 * Double(k), translation: SIMD3(5 * Double(k) / 10, 0, 0))
            let box = moving.boxes[k]!.cuboid.transformed(by: ego)
            #expect(moving.boxes[k]!.detection == nil)
            #expect(abs(box.x - (2 + 8 * Double(k) / 10)) < 0.3 && abs(box.y + 3) < 0.3)
        }
        // The moving car points along its velocity (+x in the world) in every frame: flips fixed.
        #expect(moving.headingKnown)
        for (k, entry) in moving.boxes {
            let worldYaw = entry.cuboid.transformed(by: RigidPose(yaw: 0.02 * Double(k), translation: SIMD3(5 * Double(k) / 10, 0, 0))).yaw
            #expect(abs(shortestArc(from: 0, to: worldYaw)) < 0.05)
        }
        // The parked car holds one world position and one axis.
        let worldBoxes = parked.boxes.map { k, entry in entry.cuboid.transformed(by: RigidPose(yaw: 0.02 * Double(k), translation: SIMD3(5 * Double(k) / 10, 0, 0))) }
        for box in worldBoxes {
            #expect(abs(box.x - worldBoxes[0].x) < 1e-9 && abs(box.y - worldBoxes[0].y) < 1e-9)
            #expect(abs(shortestArc(from: box.yaw, to: worldBoxes[0].yaw)) < 1e-9)
            #expect(abs(box.x - 20) < 0.1 && abs(box.y - 4) < 0.1)
        }
    }

    @Test func singleDetectionsAreNotConfirmed() {
        let frames = (0..<5).map { k in
            TrackerFrame(detections: k == 2 ? [detection(10, 0, yaw: 0)] : [], worldFromSensor: .identity, time: Double(k) / 10)
        }
        #expect(Tracker().track(frames).isEmpty)
    }

    /// A track of two detections scoring 0.5 scores 0.5 x (1 - exp(-2/3)) = 0.24, less than one
    /// reported detection (0.3): dropped. Five such detections (0.41) or two scoring 0.9 (0.44) are kept.
    @Test(arguments: [(2, 0.5, false), (5, 0.5, true), (2, 0.9, true)])
    func weakTracksAreDropped(detections: Int, score: Double, kept: Bool) throws {
        let frames = (0..<detections).map { k in
            TrackerFrame(detections: [detection(10, 0, yaw: 0, score: score)], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let tracks = Tracker().track(frames)
        #expect(tracks.count == (kept ? 1 : 0))
        var everything = TrackingConfiguration()
        everything.minimumTrackScore = 0
        let all = Tracker(configuration: everything).track(frames)
        let track = try #require(all.first)
        #expect(abs(track.score - score * (1 - exp(-Double(detections) / 3))) < 1e-12)
    }

    /// A person's shape detected as a Pedestrian in ten frames, moving along +x at `speed` m/s
    /// (world frame, static sensor). Walking it stays a Pedestrian; at a cyclist's speed it becomes
    /// a Cyclist with a cyclist's length along its velocity; faster than anyone rides it is a piece
    /// of a vehicle and is dropped.
    @Test(arguments: [(1.4, "Pedestrian"), (6.0, "Cyclist"), (15.0, nil)] as [(Double, String?)])
    func aPersonsClassFollowsItsSpeed(speed: Double, expected: String?) throws {
        let frames = (0..<10).map { k in
            let t = Double(k) / 10
            let person = Detection(category: "Pedestrian", cuboid: Box3D(x: 10 + speed * t, y: 3, z: -0.9, length: 0.85, width: 0.65, height: 1.7, yaw: 1.2),
                                   score: 0.8, pointCount: 40)
            return TrackerFrame(detections: [person], worldFromSensor: .identity, time: t)
        }
        let tracks = Tracker().track(frames)
        guard let expected else {
            #expect(tracks.isEmpty)
            return
        }
        let track = try #require(tracks.first)
        #expect(tracks.count == 1 && track.category == expected)
        let box = try #require(track.boxes[5]?.cuboid)
        if expected == "Cyclist" {
            let cyclist = try #require(ClassModel.defaults.first { $0.name == "Cyclist" })
            #expect(box.length >= cyclist.typical[0] && box.width >= cyclist.typical[1])
            #expect(abs(sin(box.yaw)) < 0.05)  // along +x
        } else {
            #expect(abs(box.length - 0.85) < 1e-9)
        }
        // Without a Cyclist class a fast person keeps its class.
        let withoutCyclists = Tracker(classes: ClassModel.defaults.filter { $0.name != "Cyclist" }).track(frames)
        if expected == "Cyclist" { #expect(withoutCyclists.first?.category == "Pedestrian") }
    }

    /// A parked car and a person standing 1.5 m from it, both detected in frames 0-3; in frames
    /// 4-6 only an unclassified cluster remains where the car stands. The person's track, made
    /// first, may take it as evidence too, but not from the car: the car's track keeps its box in
    /// frames 4-6.
    @Test func peopleDoNotTakeAVehiclesEvidence() throws {
        let frames = (0..<7).map { k in
            let person = detection(10, 1.5, yaw: 0, category: "Pedestrian")
            let car = detection(10, 0, yaw: 0)
            let cluster = Detection(category: Detection.unknownCategory, cuboid: Box3D(x: 10, y: 0, z: -0.9, length: 2, width: 1.5, height: 1.2, yaw: 0),
                                    score: 0, pointCount: 20, source: Detection.weakSource)
            return TrackerFrame(detections: k < 4 ? [person, car] : [], evidence: k < 4 ? [] : [cluster], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let tracks = Tracker().track(frames)
        let car = try #require(tracks.first { $0.category == "Car" })
        #expect(Set(car.boxes.keys) == Set(0...6))
    }

    /// The classes renamed (as another taxonomy spells them): a fast walker still becomes a rider
    /// and a very fast one is dropped, since the rules follow the kinds and the models' data, not
    /// KITTI's names. An external detection's class takes the kind the configuration gives it.
    @Test(arguments: [(1.4, "Fussgaenger"), (6.0, "Radfahrer"), (15.0, nil)] as [(Double, String?)])
    func renamedClassesFollowTheSameRules(speed: Double, expected: String?) throws {
        var classes = ClassModel.defaults
        for k in classes.indices {
            classes[k].name = ["Car": "Auto", "Van": "Transporter", "Truck": "Lastwagen", "Pedestrian": "Fussgaenger", "Cyclist": "Radfahrer"][classes[k].name]!
            if classes[k].fasterClass != nil { classes[k].fasterClass = "Radfahrer" }
        }
        let frames = (0..<10).map { k in
            let t = Double(k) / 10
            let person = Detection(category: "Fussgaenger", cuboid: Box3D(x: 10 + speed * t, y: 3, z: -0.9, length: 0.85, width: 0.65, height: 1.7, yaw: 1.2),
                                   score: 0.8, pointCount: 40)
            return TrackerFrame(detections: [person], worldFromSensor: .identity, time: t)
        }
        let tracks = Tracker(classes: classes).track(frames)
        #expect(tracks.map(\.category) == (expected.map { [$0] } ?? []))
        #expect(tracks.allSatisfy { $0.kind == .person })
        // An external "Strassenbahn" configured as a vehicle does not share a track with a person
        // where both stand; unconfigured it is of kind other, which shares with neither.
        var configuration = TrackingConfiguration()
        configuration.externalClasses = [ClassKind(name: "Strassenbahn", kind: .vehicle)]
        let mixed = (0..<4).map { k in
            TrackerFrame(detections: [detection(10, 0, yaw: 0, category: k < 2 ? "Strassenbahn" : "Fussgaenger")], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let split = Tracker(configuration: configuration, classes: classes).track(mixed)
        #expect(split.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.person, .vehicle])
        let unconfigured = Tracker(classes: classes).track(mixed)
        #expect(unconfigured.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.other, .person])
    }

    @Test func vehiclesAndPeopleDoNotShareTracks() {
        let frames = (0..<4).map { k in
            TrackerFrame(detections: [detection(10, 0, yaw: 0, category: k < 2 ? "Car" : "Pedestrian")], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let tracks = Tracker().track(frames)
        #expect(tracks.count == 2)
        #expect(Set(tracks.map(\.category)) == ["Car", "Pedestrian"])
    }
}

@Suite struct StreamingTrackerTests {
    /// 800 frames (past the 256-frame steps in which the tracker forgets old frames): a car parked
    /// for the whole drive and cars that each pass in 60 frames. Every track comes out as soon as it
    /// ends, with one identity, and the parked car's track spans every frame.
    @Test func longDriveReleasesFinishedTracks() {
        var tracker = StreamingTracker()
        var tracks: [Track] = []
        var finishedWhileRunning = 0
        for k in 0..<800 {
            let t = Double(k) / 10
            var detections = [detection(15, 6, yaw: 0.2)]
            // Car n passes from frame 60 n to 60 n + 59, 10 m/s along y = -4, in its own lane.
            let n = k / 60, age = Double(k % 60) / 10
            detections.append(detection(-20 + 10 * age, -4 - Double(n % 2) * 3.5, yaw: 0))
            let done = tracker.add(TrackerFrame(detections: detections, worldFromSensor: .identity, time: t))
            finishedWhileRunning += done.count
            tracks += done
        }
        tracks += tracker.finish()
        // 14 passing cars (the last leaves at the end) and the parked one.
        #expect(tracks.count == 15)
        #expect(finishedWhileRunning == 13)
        #expect(Set(tracks.map(\.id)) == Set(1...15))
        let parked = tracks.filter { !$0.isMoving }
        #expect(parked.count == 1 && parked.first?.boxes.count == 800)
        for track in tracks where track.isMoving { #expect(track.boxes.count <= 60) }
        // The same tracks whichever way the frames are fed.
        var frames: [TrackerFrame] = []
        for k in 0..<800 {
            let n = k / 60, age = Double(k % 60) / 10
            frames.append(TrackerFrame(detections: [detection(15, 6, yaw: 0.2), detection(-20 + 10 * age, -4 - Double(n % 2) * 3.5, yaw: 0)],
                                       worldFromSensor: .identity, time: Double(k) / 10))
        }
        #expect(Tracker().track(frames) == tracks.sorted { $0.id < $1.id })
    }
}

@Suite struct EvidenceTests {
    /// A parked car, detected in frames 4 to 7 only; in frames 0 to 3 and 8 to 9 only a few returns
    /// no class fitted (evidence) lie on it, and a fragment lies 2 m off it in frame 2.
    func frames(evidenceOnCar: Bool) -> [TrackerFrame] {
        (0..<10).map { k in
            let ego = RigidPose(yaw: 0, translation: SIMD3(Double(k), 0, 0))
            let local = ego.inverse.apply(to: SIMD3(25, 5, -0.9))
            let detections = (4...7).contains(k) ? [detection(local.x, local.y, yaw: 0)] : []
            var evidence: [Detection] = []
            if !(4...7).contains(k) && evidenceOnCar {
                // The car's rear 1.2 m: its centre 1.4 m from the car's.
                evidence.append(Detection(category: "Unknown", cuboid: Box3D(x: local.x - 1.4, y: local.y, z: -1.2, length: 1.2, width: 0.3, height: 0.6, yaw: 0),
                                          score: 0, pointCount: 5, source: "weak"))
            }
            return TrackerFrame(detections: detections, evidence: evidence, worldFromSensor: ego, time: Double(k) / 10)
        }
    }

    /// Beyond its detections (frames 4 to 7) a parked car's box extends on evidence at most
    /// `vehicleEvidenceFramesBeyondDetections` frames: by default (no bound) and with 10 to every
    /// frame with evidence, with 3 to frame 1 before and frame 9 after, with 0 not at all.
    @Test(arguments: [("by default out to the furthest evidence", nil, Array(0..<10)),
                      ("three frames either side", 3, Array(1..<10)),
                      ("zero keeps the box within the detections", 0, Array(4...7)),
                      ("one frame either side", 1, Array(3...8)),
                      ("ten frames, beyond the furthest evidence", 10, Array(0..<10))] as [(String, Int?, [Int])])
    func evidenceBeyondAVehiclesDetections(name: String, reach: Int?, expected: [Int]) {
        var configuration = TrackingConfiguration()
        if let reach { configuration.vehicleEvidenceFramesBeyondDetections = reach }
        let tracks = Tracker(configuration: configuration).track(frames(evidenceOnCar: true))
        #expect(tracks.count == 1)
        #expect(tracks.first?.boxes.keys.sorted() == expected)
    }

    /// A person standing still, detected in frames 10 to 13 only, with a few unclassified returns
    /// on them (evidence) in every other frame of 30 (`evidenceAfter`) or in frames 0 to 9 only.
    /// Beyond the detections the box extends only as far as `minimumDetectedBoxShare` of the
    /// boxes stay on detections, the nearest frames first: 0.5 of 4 detections allows 4 more boxes
    /// (2 either side, or 4 before when evidence lies only before), 0.25 twelve, 0 every frame with
    /// evidence.
    @Test(arguments: [("half: two frames either side", 0.5, true, Array(8...15)),
                      ("half: four frames before when evidence lies only before", 0.5, false, Array(6...13)),
                      ("a quarter: six frames either side", 0.25, true, Array(4...19)),
                      ("zero sets no bound", 0.0, true, Array(0..<30)),
                      ("zero, evidence only before", 0.0, false, Array(0...13))] as [(String, Double, Bool, [Int])])
    func evidenceBeyondAPersonsDetections(name: String, share: Double, evidenceAfter: Bool, expected: [Int]) {
        var persons = PersonConfiguration()
        persons.minimumDetectedBoxShare = share
        let frames = (0..<30).map { k in
            let person = Detection(category: "Pedestrian", cuboid: Box3D(x: 12, y: 3, z: -0.9, length: 0.6, width: 0.6, height: 1.7, yaw: 0), score: 0.9, pointCount: 60)
            let returns = Detection(category: Detection.unknownCategory, cuboid: Box3D(x: 12, y: 3, z: -1.2, length: 0.4, width: 0.3, height: 0.8, yaw: 0),
                                    score: 0, pointCount: 8, source: Detection.weakSource)
            let detected = (10...13).contains(k)
            return TrackerFrame(detections: detected ? [person] : [], evidence: !detected && (k < 10 || evidenceAfter) ? [returns] : [],
                                worldFromSensor: .identity, time: Double(k) / 10)
        }
        let tracks = Tracker(persons: persons).track(frames)
        #expect(tracks.count == 1)
        #expect(tracks.first?.boxes.keys.sorted() == expected)
    }

    @Test(arguments: [(3, 5, 4, 2, 2), (1, 5, 4, 1, 3), (5, 0, 4, 4, 0), (2, 2, 9, 2, 2), (0, 0, 3, 0, 0), (4, 4, 0, 0, 0), (3, 3, 3, 2, 1)])
    func nearestFramesFirst(before: Int, after: Int, budget: Int, keptBefore: Int, keptAfter: Int) {
        let kept = nearestFirst(before: before, after: after, budget: budget)
        #expect(kept.before == keptBefore && kept.after == keptAfter)
    }

    @Test func evidenceKeepsAStaticTrackInItsFrames() {
        let configuration = TrackingConfiguration()
        let tracks = Tracker(configuration: configuration).track(frames(evidenceOnCar: true))
        #expect(tracks.count == 1)
        guard let track = tracks.first else { return }
        #expect(!track.isMoving)
        #expect(track.boxes.keys.sorted() == Array(0..<10))
        for (k, box) in track.boxes {
            let world = box.cuboid.transformed(by: RigidPose(yaw: 0, translation: SIMD3(Double(k), 0, 0)))
            #expect(abs(world.x - 25) < 1e-6 && abs(world.y - 5) < 1e-6)
            #expect(((4...7).contains(k)) == (box.detection != nil))
        }
        let without = Tracker(configuration: configuration).track(frames(evidenceOnCar: false))
        #expect(without.first?.boxes.keys.sorted() == Array(4...7))
    }

    /// Evidence alone never makes a track.
    @Test func evidenceNeverStartsATrack() {
        let alone = (0..<10).map { k in
            TrackerFrame(detections: [], evidence: [Detection(category: "Unknown", cuboid: Box3D(x: 20, y: 0, z: -1, length: 1, width: 1, height: 1, yaw: 0),
                                                              score: 0, pointCount: 5, source: "weak")],
                         worldFromSensor: .identity, time: Double(k) / 10)
        }
        #expect(Tracker().track(alone).isEmpty)
    }

    /// A car driving along x at 10 m/s (centre at x = 10 + frame), detected in `detected`; a
    /// fragment no class fits (1 m square) lies on its path at `offset` metres across it in every
    /// other frame of 0 to 11 but `gap`. The box extends on it, carried at the track's velocity,
    /// `movingVehicleEvidenceFramesAfter` frames after the last detection (default 3) and
    /// `movingVehicleEvidenceFramesBefore` before the first (default 0), up to the first frame
    /// without such evidence; a fragment beside the path is another object's.
    @Test(arguments: [("by default three frames after the last detection", 0..<5, 0.0, nil, nil, nil, Array(0..<8)),
                      ("zero turns it off", 0..<5, 0.0, nil, 0, nil, Array(0..<5)),
                      ("five frames after", 0..<5, 0.0, nil, 5, nil, Array(0..<10)),
                      ("a frame without evidence stops it", 0..<5, 0.0, 6, nil, nil, Array(0..<6)),
                      ("a fragment 2.5 m beside the path is not the car", 0..<5, 2.5, nil, nil, nil, Array(0..<5)),
                      ("by default not before the first detection", 5..<10, 0.0, nil, nil, nil, Array(5..<12)),
                      ("three frames before when asked", 5..<10, 0.0, nil, nil, 3, Array(2..<12))]
                     as [(String, Range<Int>, Double, Int?, Int?, Int?, [Int])])
    func evidenceBesideAMovingVehiclesDetections(name: String, detected: Range<Int>, offset: Double, gap: Int?, after: Int?, before: Int?, expected: [Int]) {
        var configuration = TrackingConfiguration()
        if let after { configuration.movingVehicleEvidenceFramesAfter = after }
        if let before { configuration.movingVehicleEvidenceFramesBefore = before }
        let frames = (0..<12).map { k in
            let x = 10 + Double(k)
            let fragment = Detection(category: Detection.unknownCategory, cuboid: Box3D(x: x, y: offset, z: -1, length: 1, width: 1, height: 1, yaw: 0),
                                     score: 0, pointCount: 30, source: Detection.weakSource)
            return TrackerFrame(detections: detected.contains(k) ? [detection(x, 0, yaw: 0)] : [],
                                evidence: !detected.contains(k) && k != gap ? [fragment] : [], worldFromSensor: .identity, time: Double(k) / 10)
        }
        let tracks = Tracker(configuration: configuration).track(frames)
        #expect(tracks.count == 1 && tracks.first?.isMoving == true)
        #expect(tracks.first?.boxes.keys.sorted() == expected)
        for (k, box) in tracks.first?.boxes ?? [:] {
            #expect(abs(box.cuboid.x - (10 + Double(k))) < 0.05 && abs(box.cuboid.y) < 0.05, "frame \(k): \(box.cuboid.x), \(box.cuboid.y)")
            #expect(detected.contains(k) == (box.detection != nil))
        }
    }
}

@Suite struct TrackAxisTests {
    /// A car driving along x at 8 m/s whose single-sweep axis is 90 degrees off in every third
    /// frame (only its rear was seen): every box keeps the car's axis, not a 45-degree mean.
    @Test func aPerpendicularMeasurementDoesNotTurnTheBox() {
        let frames = (0..<12).map { k in
            TrackerFrame(detections: [detection(10 + 0.8 * Double(k), 3, yaw: k % 3 == 1 ? .pi / 2 : 0.02)], worldFromSensor: .identity,
                         time: Double(k) / 10)
        }
        let tracks = Tracker().track(frames)
        #expect(tracks.count == 1 && tracks.first?.isMoving == true)
        for (_, box) in tracks.first?.boxes ?? [:] {
            #expect(abs(sin(box.cuboid.yaw - 0.02)) < 0.03, "yaw \(box.cuboid.yaw)")
        }
    }
}

/// Frames of one parked car seen from an ego driving along x at `step` metres a frame, 10 Hz; frame
/// k's detection is `sighting(k)`: where the detector put the car (world frame), its yaw and returns.
private func parkedCarFrames(_ count: Int, step: Double, _ sighting: (Int) -> (center: SIMD3<Double>, yaw: Double, points: Int)) -> [TrackerFrame] {
    (0..<count).map { k in
        let ego = RigidPose(yaw: 0, translation: SIMD3(step * Double(k), 0, 0))
        let seen = sighting(k)
        let local = ego.inverse.apply(to: seen.center)
        let detection = Detection(category: "Car", cuboid: Box3D(x: local.x, y: local.y, z: local.z, length: 3.9, width: 1.65, height: 1.4, yaw: seen.yaw),
                                  score: 0.9, pointCount: seen.points)
        return TrackerFrame(detections: [detection], worldFromSensor: ego, time: Double(k) / 10)
    }
}

/// The one static track of such frames, its boxes in the world frame by frame.
private func parkedCarTrack(_ frames: [TrackerFrame], step: Double) -> [(frame: Int, box: Box3D)]? {
    let tracks = Tracker().track(frames)
    #expect(tracks.count == 1)
    guard let track = tracks.first else { return nil }
    #expect(!track.isMoving)
    return track.boxes.sorted { $0.key < $1.key }.map { k, box in (k, box.cuboid.transformed(by: RigidPose(yaw: 0, translation: SIMD3(step * Double(k), 0, 0)))) }
}

@Suite struct MeasurementWeightTests {
    /// A parked car first seen from afar: its first detection, from 20 returns, was completed the
    /// wrong way and lies 3 m off; the next four, from 190 to 310 returns, are right. The track is
    /// static and its box within 0.3 m of the car (an unweighted mean would be 0.6 m off).
    @Test func aFewReturnsWeighLessThanMany() {
        let frames = parkedCarFrames(5, step: 1.5) { k in
            (k == 0 ? SIMD3(41.5, 12.6, -0.9) : SIMD3(40.0, 10.0, -0.9), 0, k == 0 ? 20 : 150 + 40 * k)
        }
        for (k, world) in parkedCarTrack(frames, step: 1.5) ?? [] {
            #expect(abs(world.x - 40) < 0.3 && abs(world.y - 10) < 0.3, "frame \(k): \(world.x), \(world.y)")
        }
    }
}

@Suite struct ParkedVehicleSpeedTests {
    /// A car whose detected centre creeps along its axis over 40 frames (10 Hz) at `speed` m/s, as a
    /// parked car's completed boxes do while the ego passes it: static below
    /// `parkedVehicleSpeed` (one box), moving at a vehicle's crawl above it, and moving with the rule
    /// off.
    @Test(arguments: [("wandering parked car", 0.35, 0.5, false), ("the rule off", 0.35, 0.0, true),
                      ("a car crawling at 1 m/s", 1.0, 0.5, true)] as [(String, Double, Double, Bool)])
    func wanderingAlongItsAxis(name: String, speed: Double, parkedSpeed: Double, moving: Bool) throws {
        let frames = parkedCarFrames(40, step: 0.8) { k in (SIMD3(20 + speed * Double(k) / 10, 6, -0.9), 0, 200) }
        var configuration = TrackingConfiguration()
        configuration.parkedVehicleSpeed = parkedSpeed
        let tracks = Tracker(configuration: configuration).track(frames)
        let track = try #require(tracks.count == 1 ? tracks.first : nil, "\(name): \(tracks.count) tracks")
        #expect(track.isMoving == moving, "\(name)")
        let xs = track.boxes.sorted { $0.key < $1.key }.map { k, box in box.cuboid.transformed(by: RigidPose(yaw: 0, translation: SIMD3(0.8 * Double(k), 0, 0))).x }
        let spread = (xs.max() ?? 0) - (xs.min() ?? 0)
        #expect(moving ? spread > 1 : spread < 1e-6, "\(name): boxes spread \(spread) m along x")
    }
}

@Suite struct WrongWayDetectionTests {
    /// A parked car whose detections alternate: right (axis along x, centre on the car) and
    /// completed the wrong way round (axis across, centre 1.2 m to the side). The track keeps the
    /// right axis and the right centre.
    @Test func wrongWayCompletionsDoNotMoveAStaticTrack() {
        let frames = parkedCarFrames(8, step: 0.6) { k in
            k % 3 == 1 ? (SIMD3(15.0, -4.0, -1.0), .pi / 2, 30) : (SIMD3(15.0, -2.8, -1.0), 0, 30)
        }
        for (k, world) in parkedCarTrack(frames, step: 0.6) ?? [] {
            #expect(abs(world.y + 2.8) < 0.05 && abs(sin(world.yaw)) < 0.05, "frame \(k): y \(world.y), yaw \(world.yaw)")
        }
    }
}

@Suite struct StaticRefitTests {
    /// A parked car 4.4 m by 1.8 m centred at (30, 5), axis along x, passed by an ego driving along
    /// x at 4 m a frame. The first five frames see only its rear (x = 27.8), the last five only its
    /// right side (y = 4.1); each detection is completed to the typical 3.9 m by 1.65 m from what it
    /// saw. The track's box, refitted on the outlines of all ten, is the car; averaged, it is not.
    func frames() -> [TrackerFrame] {
        (0..<10).map { k in
            let ego = RigidPose(yaw: 0, translation: SIMD3(4 * Double(k), 0, 0))
            let rear = k < 5
            let world: [SIMD2<Double>] = rear
                ? stride(from: 4.1, through: 5.9, by: 0.1).map { SIMD2(27.8, $0) }
                : stride(from: 27.8, through: 32.2, by: 0.1).map { SIMD2($0, 4.1) }
            let outline = world.map { p in let l = ego.inverse.apply(to: SIMD3(p.x, p.y, 0)); return SIMD2(l.x, l.y) }
            let center = rear ? SIMD3(27.8 + 1.95, 5.0, -0.9) : SIMD3(30.0, 4.1 + 0.825, -0.9)
            let local = ego.inverse.apply(to: center)
            let detection = Detection(category: "Car", cuboid: Box3D(x: local.x, y: local.y, z: local.z, length: 3.9, width: 1.65, height: 1.4, yaw: 0),
                                      score: 0.9, pointCount: world.count, outline: outline)
            return TrackerFrame(detections: [detection], worldFromSensor: ego, time: Double(k) / 10)
        }
    }

    func worstOverlap(refit: Bool) -> Double {
        var configuration = TrackingConfiguration()
        configuration.refitStaticTracks = refit
        let tracks = Tracker(configuration: configuration).track(frames())
        #expect(tracks.count == 1 && tracks.first?.isMoving == false)
        let car = Box3D(x: 30, y: 5, z: -0.9, length: 4.4, width: 1.8, height: 1.4, yaw: 0)
        var worst = 1.0
        for (k, entry) in tracks.first?.boxes ?? [:] {
            let world = entry.cuboid.transformed(by: RigidPose(yaw: 0, translation: SIMD3(4 * Double(k), 0, 0)))
            worst = min(worst, iou(world.bev, car.bev))
        }
        return worst
    }

    @Test func refitOnAllViewsFindsTheCorners() {
        #expect(worstOverlap(refit: true) > 0.95)
        #expect(worstOverlap(refit: false) < 0.9)
    }
}

@Suite struct OutlineMemoryTests {
    /// A car followed for 100 frames keeps the outlines of its 32 best-seen detections only (the
    /// ones with the most returns), so a track that lasts the whole drive stays small.
    @Test func aLongTrackKeepsItsBestOutlines() {
        let configuration = TrackingConfiguration()
        func sighting(_ k: Int) -> WorldDetection {
            let points = (k * 37) % 100 + 1
            let detection = Detection(category: "Car", cuboid: Box3D(x: 10 + Double(k), y: 0, z: -0.9, length: 3.9, width: 1.65, height: 1.4, yaw: 0),
                                      score: 0.9, pointCount: points, outline: [SIMD2(8 + Double(k), -0.8), SIMD2(12 + Double(k), -0.8)])
            return WorldDetection(detection, index: 0, kind: .vehicle, worldFromSensor: .identity)
        }
        var tracklet = Tracklet(frame: 0, time: 0, detection: sighting(0), configuration)
        for k in 1..<100 {
            tracklet.predict(to: Double(k) / 10, configuration)
            tracklet.update(frame: k, detection: sighting(k), configuration)
        }
        let kept = tracklet.steps.compactMap(\.detection).filter { !$0.outline.isEmpty }.map(\.points)
        #expect(kept.count == Tracklet.maximumOutlines)
        let best = (0..<100).map { ($0 * 37) % 100 + 1 }.sorted(by: >).prefix(Tracklet.maximumOutlines)
        #expect(kept.sorted(by: >) == Array(best))
    }
}

import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidPointClouds
import CuboidSynthesis
import CuboidTestSupport
import Foundation
import Testing

@testable import CuboidOdometry

/// Poses re-expressed from their first one.
func relative(_ poses: [RigidPose]) -> [RigidPose] {
    guard let first = poses.first else { return [] }
    return poses.map { first.inverse.composed(with: $0) }
}

/// A synthetic drive (the shipped residential scene, 32 beams) with its exact lidar poses.
struct SyntheticDrive: CustomTestStringConvertible, Sendable {
    var name: String
    var frames: Range<Int>
    var testDescription: String { name }

    static let straight = SyntheticDrive(name: "straight: frames 0-14 along the first straight, 6 m/s", frames: 0..<15)
    static let turning = SyntheticDrive(name: "turning: frames 55-74 through the 90-degree bend of radius 30 m", frames: 55..<75)

    static let world: SyntheticWorld = {
        let scene = try! SceneDescription.read(SharedData.sampleData + "/scenes/residential.json")
        return SyntheticWorld(scene: scene, frameCount: 80)
    }()

    func run(threads: Int) -> (estimate: [RigidPose], truth: [RigidPose]) {
        let world = Self.world
        var odometer = LidarOdometer(threads: threads)
        var estimate: [RigidPose] = [], truth: [RigidPose] = []
        for frame in frames {
            estimate.append(odometer.register(world.renderSweep(frame: frame, threads: 2).cloud).pose)
            truth.append(world.lidarPose(at: world.time(ofFrame: frame)))
        }
        return (estimate, relative(truth))
    }
}

@Suite("Lidar odometry: synthetic drives with exact poses")
struct SyntheticOdometryTests {
    @Test("turning from a standing start (no velocity yet): heading within 0.5 degree, position within 6 % of the path")
    func turning() {
        let (estimate, truth) = SyntheticDrive.turning.run(threads: 2)
        let accuracy = OdometryAccuracy.evaluate(estimate: estimate, reference: truth)
        // The scenario really turns: the reference heading changes by more than 20 degrees.
        let heading = truth.last!.rotation.rotate(SIMD3(1, 0, 0))
        #expect(abs(atan2(heading.y, heading.x)) * 180 / .pi > 20)
        #expect(accuracy.maximumYawDriftDegrees <= 0.5, "\(accuracy)")
        #expect(accuracy.maximumTranslationError <= 0.06 * accuracy.pathLength, "\(accuracy)")
        #expect(accuracy.meanFrameRotationErrorDegrees < 0.05, "\(accuracy)")
    }

    @Test("straight down a synthetic street from a standing start: the motion is lost (known limitation)")
    func straight() {
        // The rendered street is the same all along the road (flat ground, parallel facades and
        // kerbs): 78 % of a sweep's returns lie within 0.1 m of the previous sweep's at zero motion,
        // so from a standing start the registration stays near zero. Real KITTI footage moves.
        let (estimate, truth) = SyntheticDrive.straight.run(threads: 2)
        let accuracy = OdometryAccuracy.evaluate(estimate: estimate, reference: truth)
        #expect(accuracy.pathLength > 8)
        #expect(accuracy.maximumYawDriftDegrees <= 0.3, "\(accuracy)")
        withKnownIssue("standing start on a translation-invariant synthetic street") {
            #expect(accuracy.maximumTranslationError <= 0.05 * accuracy.pathLength, "\(accuracy)")
        }
    }

    @Test("the poses do not depend on the thread count")
    func deterministic() {
        let drive = SyntheticDrive(name: "frames 55-60", frames: 55..<61)
        #expect(drive.run(threads: 1).estimate == drive.run(threads: 3).estimate)
    }
}

/// A straight corridor along x: two walls 3 m either side of its axis and a floor, seen from a
/// sensor 1.7 m above the floor at `pose` (world-from-lidar).
func corridorSweep(seenFrom pose: RigidPose) -> PointCloud {
    var x: [Float] = [], y: [Float] = [], z: [Float] = []
    let toSensor = pose.inverse
    func add(_ p: SIMD3<Double>) {
        let s = toSensor.apply(to: p)
        x.append(Float(s.x)); y.append(Float(s.y)); z.append(Float(s.z))
    }
    for i in stride(from: -60.0, through: 60, by: 0.25) {
        for h in stride(from: -1.7, through: 1.3, by: 0.25) {
            add(SIMD3(i, 3, h))
            add(SIMD3(i, -3, h))
        }
        for w in stride(from: -2.9, through: 2.9, by: 0.5) { add(SIMD3(i, w, -1.7)) }
    }
    return PointCloud(x: x, y: y, z: z)
}

@Suite("Lidar odometry: degenerate input")
struct DegenerateOdometryTests {
    @Test("one sweep: the identity pose")
    func oneSweep() {
        var odometer = LidarOdometer()
        let step = odometer.register(SyntheticDrive.world.renderSweep(frame: 0, threads: 2).cloud)
        #expect(step.pose == .identity)
        #expect(odometer.trajectory.count == 1)
    }

    @Test("empty sweeps keep the constant-velocity prediction and never give a non-finite pose")
    func emptySweeps() {
        var odometer = LidarOdometer()
        let world = SyntheticDrive.world
        var poses: [RigidPose] = []
        for frame in 0..<3 { poses.append(odometer.register(world.renderSweep(frame: frame, threads: 2).cloud).pose) }
        let empty = odometer.register(PointCloud(x: [], y: [], z: []))
        #expect(empty.predicted)
        #expect(empty.sourcePoints == 0)
        // Constant velocity: the empty sweep's pose continues the last motion.
        let last = poses[1].inverse.composed(with: poses[2])
        let expected = poses[2].composed(with: last)
        #expect(simd_distance(empty.pose.translation, expected.translation) < 1e-9)
        let next = odometer.register(world.renderSweep(frame: 4, threads: 2).cloud)
        #expect(next.pose.translation.x.isFinite && !next.predicted)
        // Registered again from the prediction: within a frame's travel (0.6 m) of it.
        #expect(simd_distance(next.pose.translation, empty.pose.translation) < 1)
    }

    @Test("a corridor: the sideways offset and heading are recovered, the unobservable axis stays finite")
    func corridor() {
        var odometer = LidarOdometer()
        var truth: [RigidPose] = []
        var estimate: [RigidPose] = []
        for k in 0..<10 {
            let pose = RigidPose(yaw: 0.004 * Double(k), translation: SIMD3(Double(k) * 0.8, 0.05 * Double(k), 0))
            truth.append(pose)
            estimate.append(odometer.register(corridorSweep(seenFrom: pose)).pose)
        }
        let t = relative(truth)
        for (e, g) in zip(estimate, t) {
            #expect(e.translation.x.isFinite && e.translation.y.isFinite && e.translation.z.isFinite)
            #expect(abs(e.translation.y - g.translation.y) < 0.05, "sideways \(e.translation.y) vs \(g.translation.y)")
            #expect(abs(e.translation.z - g.translation.z) < 0.05)
            #expect(abs(e.rotation.yaw - g.rotation.yaw) < 0.2 * .pi / 180)
        }
    }
}

func simd_distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

@Suite("Lidar odometry: pieces")
struct OdometryPieceTests {
    @Test("rotation vector and Rodrigues' formula invert each other", arguments: [SIMD3<Double>(0, 0, 0.3), SIMD3(0.1, -0.2, 0.05), SIMD3(0, 0, 3.0)])
    func rotationVector(w: SIMD3<Double>) {
        let back = Rigid.rotation(w).rotationVector
        #expect(simd_distance(back, w) < 1e-9)
    }

    @Test("the evaluation is zero for the reference itself and sees a yaw drift")
    func evaluation() {
        let truth = (0..<50).map { RigidPose(yaw: 0.01 * Double($0), translation: SIMD3(Double($0), 0.1 * Double($0), 0)) }
        let same = OdometryAccuracy.evaluate(estimate: truth, reference: truth)
        #expect(same.finalTranslationError < 1e-9 && abs(same.finalYawDriftDegrees) < 1e-9)
        let drifted = truth.enumerated().map { RigidPose(rotation: Quaternion(yaw: 0.001 * Double($0.offset)) * $0.element.rotation, translation: $0.element.translation) }
        let scored = OdometryAccuracy.evaluate(estimate: drifted, reference: truth)
        #expect(abs(scored.finalYawDriftDegrees - 0.049 * 180 / .pi) < 1e-6)
        #expect(scored.kittiTranslationErrorPercent == nil)
    }

    @Test("poses written in KITTI odometry form read back to 1e-12")
    func posesRoundTrip() throws {
        let poses = [RigidPose.identity, RigidPose(yaw: 0.3, translation: SIMD3(1.5, -2.25, 0.125))]
        let back = try SequenceFiles.poses(SequenceFiles.encodePoses(poses), count: 2)
        for (a, b) in zip(poses, back) {
            #expect(simd_distance(a.translation, b.translation) < 1e-12)
            #expect(a.rotation.angle(to: b.rotation) < 1e-7)
        }
    }
}

@Suite("Lidar odometry: KITTI tracking 0000 (real data)", .enabled(if: SharedData.isAvailable))
struct KITTIOdometryTests {
    @Test("all 154 camera-cropped sweeps (about 25 s in a debug build): yaw within 1 degree of the ORB-SLAM3 reference, parked cars pinned at least as well")
    func kittiTracking() throws {
        let sequence = try SensorSequence.open(SharedData.path("kitti_tracking/training"))
        let count = sequence.count
        var odometer = LidarOdometer(threads: 2)
        var estimate: [RigidPose] = []
        for index in 0..<count { estimate.append(odometer.register(try sequence.pointCloud(at: index)).pose) }
        let reference = sequence.frames.prefix(count).map { $0.egoPose! }
        let accuracy = OdometryAccuracy.evaluate(estimate: estimate, reference: reference)
        #expect(accuracy.pathLength > 20)
        #expect(abs(accuracy.finalYawDriftDegrees) <= 1, "\(accuracy)")
        // The reference path is 3 % longer than the lidar's (parked cars' gold says the lidar is right:
        // scaling the reference by 0.97 pins them 2-3 times tighter); the estimate is within 4 %.
        #expect(accuracy.pathLengthRatio > 0.96 && accuracy.pathLengthRatio < 1.01, "\(accuracy)")
        var labels = try sequence.labelSet()
        labels.frames = Array(labels.frames.prefix(count))
        let withReference = StaticObjectSpread.measure(labels, poses: reference).filter { $0.maximumDeviation <= 0.5 }
        let withEstimate = Dictionary(uniqueKeysWithValues: StaticObjectSpread.measure(labels, poses: estimate).map { ($0.track, $0) })
        #expect(withReference.count >= 8)
        for parked in withReference {
            let spread = try #require(withEstimate[parked.track])
            #expect(spread.maximumDeviation <= max(0.25, parked.maximumDeviation), "track \(parked.track): \(spread) vs reference \(parked)")
        }
        // The gold, measured in the lidar's own frame, holds the estimate's scale within 1 %.
        let scale = try #require(StaticObjectSpread.stillestScale(labels, poses: estimate, tracks: Set(withReference.map(\.track))))
        #expect(abs(scale.scale - 1) <= 0.01, "\(scale)")
    }

    @Test("the two references of 0000 disagree on scale: parked cars' gold wants ORB-SLAM3's translations 3 % shorter and the GPS/IMU's (VCD's OpenLABEL file) 3 % longer")
    func referenceScales() throws {
        let sequence = try SensorSequence.open(SharedData.path("kitti_tracking/training"))
        let orb = sequence.frames.map { $0.egoPose! }
        let gps = try ReferencePoses.openLABEL(SharedData.path("openlabel/vcd/openlabel100_kitti_tracking_0000.json"), count: sequence.count)
        #expect(gps.count == sequence.count)
        let labels = try sequence.labelSet()
        let parked = Set(StaticObjectSpread.measure(labels, poses: orb).filter { $0.maximumDeviation <= 0.5 }.map(\.track))
        #expect(parked.count >= 8)
        let orbScale = try #require(StaticObjectSpread.stillestScale(labels, poses: orb, tracks: parked))
        let gpsScale = try #require(StaticObjectSpread.stillestScale(labels, poses: gps, tracks: parked))
        #expect(orbScale.scale > 0.95 && orbScale.scale < 0.99, "\(orbScale)")
        #expect(gpsScale.scale > 1.01 && gpsScale.scale < 1.05, "\(gpsScale)")
        let accuracy = OdometryAccuracy.evaluate(estimate: gps, reference: orb)
        #expect(accuracy.pathLengthRatio < 0.96, "\(accuracy)")
        #expect(abs(accuracy.finalYawDriftDegrees) < 1, "\(accuracy)")
    }

    @Test("an OpenLABEL reference with fewer frames than asked for is refused, naming the file")
    func openLABELTooFewFrames() throws {
        let path = SharedData.path("openlabel/vcd/openlabel100_kitti_tracking_0000.json")
        #expect(throws: ReferencePoses.Failure.tooFewFrames(path: path, expected: 1000, found: 154)) {
            try ReferencePoses.openLABEL(path, count: 1000)
        }
    }
}

/// A sweep of a walled room (40 x 20 m, pillars every 4 m along both long walls) taken while the
/// sensor moves along x at `speed` metres a sweep: each return is seen from where the sensor was when
/// the beam swept its azimuth (a spin from behind the sensor, round through the front), and carries
/// that time, so the sweep is skewed the way a real spinning lidar's is.
func skewedRoomSweep(sweep k: Int, speed: Double, timestamps: Bool) -> PointCloud {
    var world: [SIMD3<Double>] = []
    for h in stride(from: -1.5, through: 2.0, by: 0.25) {
        for x in stride(from: -20.0, through: 20.0, by: 0.2) { world.append(SIMD3(x, 10, h)); world.append(SIMD3(x, -10, h)) }
        for y in stride(from: -10.0, through: 10.0, by: 0.2) { world.append(SIMD3(20, y, h)); world.append(SIMD3(-20, y, h)) }
        for x in stride(from: -18.0, through: 18.0, by: 4) {
            for a in stride(from: 0.0, to: 2 * Double.pi, by: Double.pi / 6) {
                world.append(SIMD3(x + 0.3 * cos(a), 6 + 0.3 * sin(a), h))
                world.append(SIMD3(x + 0.3 * cos(a), -6 + 0.3 * sin(a), h))
            }
        }
    }
    var x: [Float] = [], y: [Float] = [], z: [Float] = [], t: [Float] = []
    let middle = SIMD3<Double>(Double(k) * speed - 8, 0, 0)
    for p in world {
        let azimuth = atan2(p.y - middle.y, p.x - middle.x)
        let s = (azimuth + .pi) / (2 * .pi)  // 0 behind the sensor, 0.5 ahead, 1 behind again
        let sensor = middle + SIMD3((s - 0.5) * speed, 0, 0)
        let q = p - sensor
        x.append(Float(q.x)); y.append(Float(q.y)); z.append(Float(q.z)); t.append(Float(s * 0.1))
    }
    let attributes = timestamps ? [PointAttribute(name: StandardAttribute.timestamp, values: AttributeValues(t))] : []
    return PointCloud(x: x, y: y, z: z, attributes: attributes)
}

@Suite("Lidar odometry: motion compensation")
struct DeskewTests {
    @Test("per-point times: every sweep is motion-compensated and the distance driven comes out within 5 %; without them none is")
    func deskew() {
        let speed = 1.2
        func travelled(timestamps: Bool) -> (distance: Double, deskewed: Int) {
            var odometer = LidarOdometer()
            var last = OdometryStep(pose: .identity, sourcePoints: 0, correspondences: 0, iterations: 0, deskewed: false, predicted: false)
            var deskewed = 0
            for k in 0..<10 {
                last = odometer.register(skewedRoomSweep(sweep: k, speed: speed, timestamps: timestamps))
                if last.deskewed { deskewed += 1 }
            }
            return (last.pose.translation.x, deskewed)
        }
        let truth = 9 * speed
        let with = travelled(timestamps: true), without = travelled(timestamps: false)
        #expect(with.deskewed == 10 && without.deskewed == 0)
        #expect(with.distance.isFinite && without.distance.isFinite)
        #expect(abs(with.distance - truth) < 0.05 * truth, "compensated \(with.distance) m, uncompensated \(without.distance) m, truth \(truth) m")
        // This room's skew is symmetric front to back, so the uncompensated sweeps come out as close
        // (measured 10.79 m against 10.82 m compensated): compensation must not cost accuracy.
        #expect(abs(without.distance - truth) < 0.05 * truth, "uncompensated \(without.distance) m, truth \(truth) m")
    }
}

/// A real folder, what `--poses` defaults to there, and why.
struct DefaultPoseScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let folder: String
    let expected: PoseSource
    var testDescription: String { name }
}

@Suite("Which poses a run uses by default (real data)", .enabled(if: SharedData.isAvailable))
struct DefaultPoseSourceTests {
    static let scenarios = [
        DefaultPoseScenario(name: "KITTI tracking 0000 has poses/0000.txt: given", folder: "kitti_tracking/training", expected: .given),
        DefaultPoseScenario(name: "KITTI raw 2011_09_26, 20 consecutive sweeps, no OXTS: estimate", folder: "kitti_raw/2011_09_26", expected: .estimate),
        DefaultPoseScenario(name: "KITTI raw 0005, 60 consecutive full sweeps: estimate", folder: "kitti_raw/2011_09_26_drive_0005", expected: .estimate),
        DefaultPoseScenario(name: "KITTI object frames are separate scenes: none", folder: "kitti_object/training", expected: .none),
        DefaultPoseScenario(name: "SUSTechPOINTS' example is every 5th frame, sweeps seconds apart: none", folder: "sustechpoints", expected: .none),
        DefaultPoseScenario(name: "nuScenes keyframe with its ego pose: given", folder: "nuscenes", expected: .given),
    ]

    @Test(arguments: scenarios)
    func defaultSource(_ scenario: DefaultPoseScenario) throws {
        let sequence = try SensorSequence.open(SharedData.path(scenario.folder))
        #expect(SequencePoses.defaultSource(for: sequence) == scenario.expected)
    }

    @Test("consecutive means names counting up by one, or timestamps at most 0.25 s apart")
    func consecutive() throws {
        let kitti = try SensorSequence.open(SharedData.path("kitti_raw/2011_09_26"))
        #expect(kitti.sweepsAreConsecutive())
        let sustech = try SensorSequence.open(SharedData.path("sustechpoints"))
        #expect(sustech.frames.map(\.name) == ["000950", "000965", "000970", "000975"])
        #expect(!sustech.sweepsAreConsecutive())
    }
}

/// Labels read for interpolation, the poses asked for, and what the run must do.
struct LabelPoseScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let labelsHavePoses: Bool
    let requested: PoseSource?
    /// The poses line's start, or nil when the choice must throw `failure`.
    let line: String?
    let failure: String?
    let keepsPoses: Bool
    var testDescription: String { name }

    static let all = [
        LabelPoseScenario(name: "labels with poses, nothing asked: given, kept", labelsHavePoses: true, requested: nil,
                          line: "poses: given", failure: nil, keepsPoses: true),
        LabelPoseScenario(name: "labels without poses, no recording, nothing asked: none available", labelsHavePoses: false, requested: nil,
                          line: "poses: none available", failure: nil, keepsPoses: false),
        LabelPoseScenario(name: "labels with poses, none asked: taken away", labelsHavePoses: true, requested: PoseSource.none,
                          line: "poses: none (sensor frame)", failure: nil, keepsPoses: false),
        LabelPoseScenario(name: "given asked, no pose anywhere: refused", labelsHavePoses: false, requested: .given,
                          line: nil, failure: "--poses given", keepsPoses: false),
        LabelPoseScenario(name: "estimate asked, no sweeps: refused", labelsHavePoses: true, requested: .estimate,
                          line: nil, failure: "--poses estimate needs the lidar sweeps", keepsPoses: false),
    ]
}

@Suite("Which poses labels read for interpolation carry (no recording)")
struct LabelPoseChoiceTests {
    @Test(arguments: LabelPoseScenario.all)
    func choose(_ scenario: LabelPoseScenario) throws {
        let labels = LabelSet(frames: (0..<3).map { index in
            LabeledFrame(name: "\(index)", timestamp: 0.1 * Double(index),
                         egoPose: scenario.labelsHavePoses ? RigidPose(yaw: 0.1 * Double(index), translation: SIMD3(Double(index), 0, 0)) : nil)
        })
        do {
            let chosen = try SequencePoses.choose(for: labels, recording: nil, labelFolder: nil, requested: scenario.requested)
            let line = try #require(scenario.line, "\(scenario.name): should have thrown")
            #expect(chosen.line.hasPrefix(line), "\(chosen.line)")
            #expect(chosen.recording == nil)
            #expect(chosen.labels.frames.allSatisfy { ($0.egoPose != nil) == scenario.keepsPoses })
            if scenario.keepsPoses { #expect(chosen.labels == labels) }
        } catch let failure as SequencePoses.Failure {
            let expected = try #require(scenario.failure, "\(scenario.name): threw \(failure)")
            #expect(failure.description.hasPrefix(expected), "\(failure)")
        }
    }
}

@Suite("Odometry through unreadable sweeps")
struct OdometryGapTests {
    @Test("coast() keeps the constant-velocity prediction, as registering an empty sweep does")
    func coastIsAnEmptySweep() {
        var coasted = LidarOdometer(), registered = LidarOdometer()
        let world = SyntheticDrive.world
        for frame in 0..<3 {
            let sweep = world.renderSweep(frame: frame, threads: 2).cloud
            _ = coasted.register(sweep)
            _ = registered.register(sweep)
        }
        let step = coasted.coast()
        let empty = registered.register(PointCloud(x: [], y: [], z: []))
        #expect(step.predicted && step.sourcePoints == 0)
        #expect(step.pose == empty.pose && coasted.threshold == registered.threshold)
        let poses = coasted.trajectory
        let expected = poses[2].composed(with: poses[1].inverse.composed(with: poses[2]))
        #expect(simd_distance(step.pose.translation, expected.translation) < 1e-9)
        let next = world.renderSweep(frame: 4, threads: 2).cloud
        #expect(coasted.register(next) == registered.register(next))
    }

    @Test("skip: one pose a frame, those of the sequence with an empty sweep there, the sweep listed; stop: the error names the file",
          arguments: UnreadableSweep.all)
    func skipPredictsThroughTheGap(_ broken: UnreadableSweep) throws {
        let root = try scratchFolder("odometry-gap")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["broken", "empty"] { try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: root + "/" + name) }
        let sequence = try SensorSequence.open(root + "/broken"), emptied = try SensorSequence.open(root + "/empty")
        let path = try sequence.pointCloudFile(at: 1)
        try Data(broken.bytes).write(to: URL(fileURLWithPath: path))
        try Data().write(to: URL(fileURLWithPath: try emptied.pointCloudFile(at: 1)))
        let skipped = try LidarOdometer.estimate(sequence, onError: .skip)
        let reference = try LidarOdometer.estimate(emptied)
        #expect(skipped.steps.count == sequence.count && skipped.poses == reference.poses)
        #expect(skipped.skipped.map(\.frame) == [1] && skipped.skipped[0].path == path && skipped.skipped[0].error.contains(path))
        #expect(skipped.notes.contains { $0.contains("1 unreadable sweep skipped") })
        #expect(reference.skipped.isEmpty)
        #expect { try LidarOdometer.estimate(sequence) } throws: { "\($0)".contains(path) }
    }
}

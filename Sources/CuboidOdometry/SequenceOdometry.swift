public import CuboidDatasets
public import CuboidFormats
public import CuboidGeometry
import CuboidPointClouds
import Foundation

/// The poses of a whole sequence, estimated by ``LidarOdometer``, with what it cost.
public struct OdometryRun: Sendable {
    /// One step per frame, in frame order.
    public var steps: [OdometryStep]
    /// Seconds spent reading each frame's sweep.
    public var readingSeconds: [Double]
    /// Seconds spent registering each frame's sweep.
    public var registrationSeconds: [Double]
    /// Returns read per frame.
    public var pointCounts: [Int]
    /// Things the user should know (sweeps not motion-compensated, sweeps that kept the prediction).
    public var notes: [String]
    /// The sweeps left out under `SweepErrorPolicy/skip`: each has a step (the constant-velocity
    /// prediction, see ``LidarOdometer/coast()``), no returns and no reading or registration time.
    public var skipped: [SkippedSweep] = []

    /// World-from-lidar poses, world = the first sweep's lidar frame.
    public var poses: [RigidPose] { steps.map(\.pose) }
}

extension LidarOdometer {
    /// Estimates a pose for every frame of a sequence, reading its lidar sweeps in order.
    ///
    /// Under `SweepErrorPolicy.skip` a sweep that cannot be read is a gap: the frame keeps a pose,
    /// the constant-velocity prediction through the gap (``LidarOdometer/coast()``), so the poses
    /// stay one a frame; the sweep is listed in ``OdometryRun/skipped`` and in a note.
    /// - Parameters:
    ///   - sequence: The recording whose sweeps are read.
    ///   - configuration: The odometer's settings.
    ///   - threads: Threads for each sweep's registration.
    ///   - onError: What an unreadable sweep does (default: stops the run).
    ///   - progress: Called with the number of frames done.
    /// - Throws: the sequence's error for a sweep that is missing or does not decode, under `SweepErrorPolicy.stop`.
    public static func estimate(_ sequence: SensorSequence, configuration: OdometryConfiguration = OdometryConfiguration(), threads: Int = 1,
                                onError: SweepErrorPolicy = .stop, progress: (Int) -> Void = { _ in }) throws -> OdometryRun {
        var odometer = LidarOdometer(configuration: configuration, threads: threads)
        var run = OdometryRun(steps: [], readingSeconds: [], registrationSeconds: [], pointCounts: [], notes: [])
        let clock = ContinuousClock()
        for index in 0..<sequence.count {
            let started = clock.now
            guard let cloud = try SkippedSweeps.reading(sequence, at: index, policy: onError, skipped: &run.skipped, { try sequence.pointCloud(at: index) }) else {
                run.steps.append(odometer.coast())
                run.pointCounts.append(0)
                run.readingSeconds.append(0)
                run.registrationSeconds.append(0)
                progress(index + 1)
                continue
            }
            let read = clock.now
            let step = odometer.register(cloud)
            let done = clock.now
            run.steps.append(step)
            run.pointCounts.append(cloud.count)
            run.readingSeconds.append(seconds(read - started))
            run.registrationSeconds.append(seconds(done - read))
            progress(index + 1)
        }
        let skippedFrames = Set(run.skipped.map(\.frame))
        let read = run.steps.indices.filter { !skippedFrames.contains($0) }
        let deskewed = read.filter { run.steps[$0].deskewed }.count
        if configuration.deskew && deskewed < read.count {
            run.notes.append("\(read.count - deskewed) of \(read.count) sweeps not motion-compensated: their points carry no per-point timestamp (KITTI .bin has none)")
        }
        if !run.skipped.isEmpty {
            run.notes.append("\(run.skipped.count) unreadable \(run.skipped.count == 1 ? "sweep" : "sweeps") skipped: \(run.skipped.count == 1 ? "its pose is" : "their poses are") the constant-velocity prediction through the gap")
        }
        let kept = read.dropFirst().filter { run.steps[$0].predicted }.count
        if kept > 0 { run.notes.append("\(kept) sweeps kept the constant-velocity prediction (too few returns or correspondences)") }
        return run
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Where a run's ego poses come from.
public enum PoseSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// The sequence's own poses (poses file, OXTS, the labels' poses).
    case given
    /// Estimated from the lidar sweeps with ``LidarOdometer``.
    case estimate
    /// No poses: everything stays in each sweep's sensor frame.
    case none
}

/// A sequence with the poses a run chose, and a line saying which.
public struct PosedSequence: Sendable {
    public var sequence: SensorSequence
    /// The poses used (`.none` when the sequence has none and none were estimated).
    public var source: PoseSource
    /// `poses: given (poses/0000.txt or OXTS)`, `poses: estimated by lidar odometry (154 sweeps, 3.1 s)`, `poses: none`.
    public var line: String
    /// The odometry run, when poses were estimated.
    public var odometry: OdometryRun?
}

/// The sequence a run should use for `requested` poses (nil: ``SequencePoses/defaultSource(for:)``).
public enum SequencePoses {
    /// Errors choosing poses.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noGivenPoses(String)
        /// `given` was asked for labels whose frames and recording carry no pose.
        case noPosesForLabels
        /// `estimate` was asked for labels without a recording to read sweeps from.
        case estimateNeedsSweeps
        public var description: String {
            switch self {
            case .noGivenPoses(let root): "\(root): the sequence has no ego poses; use --poses estimate (lidar odometry) or --poses none"
            case .noPosesForLabels: "--poses given: neither the labels nor the recording carry ego poses; use --poses estimate (needs the sweeps) or none"
            case .estimateNeedsSweeps: "--poses estimate needs the lidar sweeps: give --sequence"
            }
        }
    }

    /// Whether every frame of the sequence carries a pose.
    public static func hasGivenPoses(_ sequence: SensorSequence) -> Bool {
        !sequence.frames.isEmpty && sequence.frames.allSatisfy { $0.egoPose != nil }
    }

    /// The poses a run uses when none are asked for: the sequence's own when every frame has one;
    /// else estimated when its frames are consecutive sweeps of one drive
    /// (`SequenceLayout.framesAreOneDrive` and `SensorSequence.sweepsAreConsecutive(maximumGap:)`);
    /// else none: separate samples such as KITTI object frames have no motion between them to
    /// estimate, and sweeps seconds apart move too far for the odometry's prediction
    /// (`--poses estimate` still runs it).
    public static func defaultSource(for sequence: SensorSequence) -> PoseSource {
        if hasGivenPoses(sequence) { return .given }
        return sequence.layout.framesAreOneDrive && sequence.sweepsAreConsecutive() ? .estimate : .none
    }

    /// The ego poses of a label set read for interpolation, and the recording laid beside it.
    ///
    /// `recording` is the sequence named beside the labels (`--sequence`), `labelFolder` the dataset
    /// folder the labels were read from, if they were; the sweeps to estimate from are the
    /// recording's, else the folder's. `requested` nil: `given` when the labels or the recording
    /// carry poses, else with sweeps ``defaultSource(for:)``, else none. `given` keeps the labels'
    /// and the recording's poses. `estimate` and `none` replace the recording's poses and take the
    /// labels' away; labels read from `labelFolder` without a recording are read again from the
    /// folder with its new poses.
    /// - Returns: the labels, the recording with the chosen poses (nil without one) and a line
    ///   saying which poses the frames carry.
    /// - Throws: ``Failure/noPosesForLabels`` for `given` with no pose anywhere,
    ///   ``Failure/estimateNeedsSweeps`` for `estimate` without sweeps; what the odometry and
    ///   reading the folder throw.
    public static func choose(for labels: LabelSet, recording: SensorSequence?, labelFolder: SensorSequence?, requested: PoseSource?,
                              threads: Int = 1, progress: (Int) -> Void = { _ in })
        throws -> (labels: LabelSet, recording: SensorSequence?, line: String) {
        var labels = labels, recordingOut = recording
        let sweeps = recording ?? labelFolder
        let labelsHavePoses = labels.frames.contains { $0.egoPose != nil }
        let givenAvailable = labelsHavePoses || sweeps.map(hasGivenPoses) == true
        let mode = requested ?? (givenAvailable || sweeps == nil ? .given : defaultSource(for: sweeps!))
        var line = givenAvailable ? "poses: given (the labels' or the recording's own)" : "poses: none available (sensor frame)"
        if mode == .given, !givenAvailable, requested == .given { throw Failure.noPosesForLabels }
        if mode != .given {
            guard let sweeps else {
                if mode == .estimate { throw Failure.estimateNeedsSweeps }
                for index in labels.frames.indices { labels.frames[index].egoPose = nil }
                return (labels, nil, "poses: none (sensor frame)")
            }
            let posed = try choose(sweeps, requested: mode, threads: threads, progress: progress)
            line = posed.line
            if recording != nil { recordingOut = posed.sequence }
            if labelFolder != nil && recording == nil {
                labels = try posed.sequence.labelSet()
            } else {
                for index in labels.frames.indices { labels.frames[index].egoPose = nil }
            }
        }
        return (labels, recordingOut, line)
    }

    /// The sequence with the poses `requested` (nil: ``defaultSource(for:)``).
    /// - Parameters:
    ///   - sequence: The recording.
    ///   - requested: Which poses to use; nil for the default.
    ///   - configuration: The odometer's settings, when the poses are estimated.
    ///   - threads: Threads for each sweep's registration.
    ///   - onError: What an unreadable sweep does when the poses are estimated (see
    ///     ``LidarOdometer/estimate(_:configuration:threads:onError:progress:)``).
    ///   - progress: Called with the number of frames estimated.
    public static func choose(_ sequence: SensorSequence, requested: PoseSource?, configuration: OdometryConfiguration = OdometryConfiguration(),
                              threads: Int = 1, onError: SweepErrorPolicy = .stop, progress: (Int) -> Void = { _ in }) throws -> PosedSequence {
        let source = requested ?? defaultSource(for: sequence)
        switch source {
        case .given:
            guard hasGivenPoses(sequence) else { throw Failure.noGivenPoses(sequence.root) }
            return PosedSequence(sequence: sequence, source: .given, line: "poses: given (the sequence's own)", odometry: nil)
        case .none:
            let why = requested != nil ? "" : sequence.count < 2 ? ", one sweep"
                : sequence.layout.framesAreOneDrive ? ", the sweeps are not consecutive: --poses estimate to try the odometry anyway"
                : ", the \(sequence.layout.rawValue) frames are separate samples"
            return PosedSequence(sequence: sequence.replacingEgoPoses(Array(repeating: nil, count: sequence.count)), source: .none,
                                 line: "poses: none (sensor frame\(why))", odometry: nil)
        case .estimate:
            let started = Date()
            let run = try LidarOdometer.estimate(sequence, configuration: configuration, threads: threads, onError: onError, progress: progress)
            let line = String(format: "poses: estimated by lidar odometry (%d sweeps, %.1f s)", sequence.count, Date().timeIntervalSince(started))
            return PosedSequence(sequence: sequence.replacingEgoPoses(run.poses), source: .estimate, line: line, odometry: run)
        }
    }
}

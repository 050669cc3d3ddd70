import ArgumentParser
import Cuboid
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension PoseSource: ExpressibleByArgument {}

struct Odometry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate the ego's world-from-lidar pose of every sweep from the lidar alone (lidar odometry).",
        discussion: """
            Frame-to-map registration: each sweep, range-limited and thinned in voxels, is aligned by \
            robust point-to-point ICP against a local voxel map of the earlier sweeps, starting from a \
            constant-velocity prediction, with a correspondence distance that adapts to how wrong the \
            prediction has been. Sweeps whose points carry a per-point timestamp are motion-compensated \
            first (KITTI .bin has none; this is said). Writes one pose per line in KITTI odometry's \
            form (12 row-major values of the 3 x 4 world-from-lidar matrix; world = the first sweep's \
            lidar frame). With --reference (repeatable; KITTI odometry form or an OpenLABEL file with \
            ego poses, such as VCD's KITTI files with GPS/IMU poses), prints the drift against those poses (both re-expressed \
            from their first frame), KITTI's segment errors when the path is 100 m or longer, and, when \
            the sequence has gold tracks, how still its parked objects stay with each set of poses. \
            With --on-error skip an unreadable sweep is a gap: its frame keeps a line in the poses file, \
            the constant-velocity prediction through the gap (the last relative motion again; the map \
            is not updated), and it is listed on standard error and in --skipped.
            """)

    @Argument(help: "Sequence folder (any layout `cuboid inspect` opens).")
    var sequence: String?

    @Option(name: .shortAndLong, help: "Output poses file (KITTI odometry form).")
    var out: String?

    @Option(help: "Also write the poses as an OpenLABEL file: one frame per sweep (its name and timestamp), each with a transform SENSOR_to_odom whose matrix4x4 is the world-from-lidar pose.")
    var openlabel: String?

    @Option(help: ArgumentHelp("Reference poses to score the estimate against; repeat to score against several. A KITTI odometry form file (one line per frame; extra lines are ignored) or an OpenLABEL file (.json) whose frames carry ego poses (VCD's KITTI files: GPS/IMU). The first picks the parked objects.", valueName: "poses"))
    var reference: [String] = []

    @OptionGroup var sweepErrors: SweepErrorOptions

    @Option(help: "With --on-error skip: also list the skipped sweeps in this CSV file (frame,name,path,error; the header alone when none was skipped).")
    var skipped: String?

    @Option(help: "Configuration JSON (every key optional; see --write-config).")
    var config: String?

    @Option(help: "Write the default configuration to this file and exit.")
    var writeConfig: String?

    @Option(name: .customLong("threads"), help: "Worker threads (default: all cores); the poses do not depend on it.")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if skipped != nil && sweepErrors.onError != .skip { throw ValidationError("--skipped lists the sweeps --on-error skip leaves out; give --on-error skip with it") }
    }

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        var configuration = OdometryConfiguration()
        if let config {
            do { configuration = try JSONDecoder().decode(OdometryConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: config))) } catch {
                printError("\(config): \(error)")
                throw ExitCode(1)
            }
        }
        if let writeConfig {
            try refuseOverwriting(inputs: [config], outputFiles: [writeConfig])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileBytes.writeAtomically(Array(try encoder.encode(configuration)) + [10], to: writeConfig)
            print("wrote \(writeConfig)")
            return
        }
        guard let sequence else { throw ValidationError("give SEQUENCE (or --write-config FILE)") }
        do {
            let opened = try openSequence(sequence)
            try refuseOverwriting(inputs: opened.inputFiles + [config] + reference, outputFiles: [out, openlabel, skipped].compactMap { $0 })
            let references = try reference.map { path in
                try ReferencePoses.isOpenLABEL(path) ? ReferencePoses.openLABEL(path, count: opened.count)
                    : FileBytes.decode(path) { (bytes) throws(SequenceFileError) in try SequenceFiles.poses(bytes, count: opened.count) }
            }
            let started = Date()
            let progress = ProgressLine("odometry", total: opened.count)
            let run = try LidarOdometer.estimate(opened, configuration: configuration, threads: threads, onError: sweepErrors.onError) { progress.update($0) }
            let wall = Date().timeIntervalSince(started)
            if let out { try FileBytes.writeAtomically(SequenceFiles.encodePoses(run.poses), to: out) }
            let skippedList = sweepErrors.onError == .skip ? skipped : nil
            if let skippedList { try FileBytes.writeAtomically(SkippedSweeps.csv(run.skipped), to: skippedList) }
            if let openlabel {
                let frames = zip(opened.frames, run.poses).map { frame, pose in LabeledFrame(name: frame.name, timestamp: frame.timestamp, egoPose: pose) }
                try FileBytes.writeAtomically(OpenLABELFile.encode(LabelSet(sensorName: opened.sensorName, frames: frames)), to: openlabel)
            }
            var report = OdometryReport(sequence: sequence, frames: opened.count, poses: "estimated by lidar odometry", run: run, wall: wall, threads: threads)
            report.references = zip(reference, references).map { ReferenceScore(reference: $0, accuracy: OdometryAccuracy.evaluate(estimate: run.poses, reference: $1)) }
            report.accuracy = report.references.first?.accuracy
            if let referencePoses = references.first {
                if opened.hasLabels {
                    let labels = try opened.labelSet()
                    let aligned = referencePoses.map { referencePoses[0].inverse.composed(with: $0) }
                    let withReference = StaticObjectSpread.measure(labels, poses: aligned)
                    let withEstimate = Dictionary(uniqueKeysWithValues: StaticObjectSpread.measure(labels, poses: run.poses).map { ($0.track, $0) })
                    // Parked: the tracks that stay within `parkedLimit` metres with the reference poses.
                    report.parked = withReference.filter { $0.maximumDeviation <= OdometryReport.parkedLimit }.compactMap { reference in
                        withEstimate[reference.track].map { ParkedObject(track: reference.track, category: reference.category, frames: reference.frames,
                                                                          referenceDeviation: reference.maximumDeviation, estimateDeviation: $0.maximumDeviation,
                                                                          referenceMeanDeviation: reference.meanDeviation, estimateMeanDeviation: $0.meanDeviation) }
                    }
                    // The scale each trajectory's translations need for the parked objects' gold to stay stillest.
                    let parkedTracks = Set(report.parked?.map(\.track) ?? [])
                    report.estimateStillestScale = StaticObjectSpread.stillestScale(labels, poses: run.poses, tracks: parkedTracks)?.scale
                    for (index, poses) in references.enumerated() {
                        report.references[index].stillestScale = StaticObjectSpread.stillestScale(labels, poses: poses, tracks: parkedTracks)?.scale
                    }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                for line in report.lines { print(line) }
            }
            for note in run.notes { Log.shared.notice("\(sequence): \(note)") }
            for path in [out, openlabel, skippedList].compactMap({ $0 }) { print("wrote \(path)") }
            SweepErrorOptions.report(run.skipped, listedIn: skippedList)
            if !run.skipped.isEmpty { throw ExitCode(SweepErrorOptions.skippedExitCode) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            reportError(error, path: sequence)
            throw ExitCode(1)
        }
    }
}

/// The estimate's accuracy against one reference.
struct ReferenceScore: Codable {
    /// The reference file as given.
    var reference: String
    var accuracy: OdometryAccuracy
    /// The factor on this reference's translations that holds the parked objects' gold stillest.
    var stillestScale: Double?
}

/// A parked object's world-centre spread with the reference and the estimated poses.
struct ParkedObject: Codable {
    var track: String, category: String, frames: Int, referenceDeviation: Double, estimateDeviation: Double
    var referenceMeanDeviation: Double, estimateMeanDeviation: Double
}

/// What `cuboid odometry` prints.
struct OdometryReport: Codable {
    /// A gold track whose world centre stays within this (metres, bird's-eye view) with the reference poses counts as parked.
    static let parkedLimit = 0.5
    var sequence: String
    var frames: Int
    var poses: String
    var medianFrameMilliseconds: Double
    var medianRegistrationMilliseconds: Double
    var wholeRunMillisecondsPerFrame: Double
    var meanPoints: Double
    var threads: Int
    var loadAverage: Double?
    var notes: [String]
    /// Against the first reference (the same as `references[0].accuracy`).
    var accuracy: OdometryAccuracy?
    /// Against every reference, in the order given.
    var references: [ReferenceScore] = []
    var parked: [ParkedObject]?
    /// The factor on the estimate's translations that holds the parked objects' gold stillest (1: the scale agrees with the gold).
    var estimateStillestScale: Double?
    /// The sweeps skipped under `--on-error skip` (absent when none was).
    var skipped: [SkippedSweep]?

    init(sequence: String, frames: Int, poses: String, run: OdometryRun, wall: Double, threads: Int) {
        self.sequence = sequence
        self.frames = frames
        self.poses = poses
        let total = zip(run.readingSeconds, run.registrationSeconds).map { $0 + $1 }
        medianFrameMilliseconds = Self.median(total) * 1000
        medianRegistrationMilliseconds = Self.median(run.registrationSeconds) * 1000
        wholeRunMillisecondsPerFrame = frames > 0 ? wall / Double(frames) * 1000 : 0
        meanPoints = run.pointCounts.isEmpty ? 0 : Double(run.pointCounts.reduce(0, +)) / Double(run.pointCounts.count)
        self.threads = threads
        loadAverage = Self.loadAverage()
        notes = run.notes
        skipped = run.skipped.isEmpty ? nil : run.skipped
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func loadAverage() -> Double? {
        #if canImport(Glibc)
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) >= 1 ? loads[0] : nil
        #else
        return nil
        #endif
    }

    var lines: [String] {
        var lines = ["\(sequence): \(frames) frames, poses: \(poses)"]
        lines.append(String(format: "  per frame: median %.1f ms (reading and registration; registration alone %.1f ms), whole run %.1f ms a frame, %.0f returns a sweep, %d threads",
                            medianFrameMilliseconds, medianRegistrationMilliseconds, wholeRunMillisecondsPerFrame, meanPoints, threads)
                     + (loadAverage.map { String(format: ", load average %.2f", $0) } ?? ""))
        for score in references {
            let a = score.accuracy
            lines.append("  reference \(score.reference):")
            lines.append(String(format: "  against the reference over %d frames (%.1f m path): final position error %.3f m (%.2f %% of the path, largest %.3f m), yaw drift %.3f deg (largest %.3f deg)",
                                a.frames, a.pathLength, a.finalTranslationError, a.finalTranslationDriftPercent, a.maximumTranslationError,
                                a.finalYawDriftDegrees, a.maximumYawDriftDegrees))
            lines.append(String(format: "  relative pose error per frame: %.4f m, %.4f deg; estimated path / reference path %.4f",
                                a.meanFrameTranslationError, a.meanFrameRotationErrorDegrees, a.pathLengthRatio))
            lines.append(String(format: "  scale onto the reference %.4f; final position error with it %.2f %% of the path",
                                a.scaleToReference, a.scaleAlignedFinalDriftPercent))
            if let t = a.kittiTranslationErrorPercent, let r = a.kittiRotationErrorDegreesPer100m {
                lines.append(String(format: "  KITTI segments (100-800 m): translation %.2f %%, rotation %.3f deg/100 m", t, r))
            } else {
                lines.append("  KITTI segments (100-800 m): path shorter than 100 m")
            }
        }
        if let parked {
            for object in parked {
                lines.append(String(format: "  parked %@ %@ (%d frames): world centre within %.3f m of its mean, %.3f m on average (reference poses %.3f m, %.3f m)",
                                    object.category, object.track, object.frames, object.estimateDeviation, object.estimateMeanDeviation,
                                    object.referenceDeviation, object.referenceMeanDeviation))
            }
            if let worst = parked.map(\.estimateDeviation).max() {
                lines.append(String(format: "  parked objects: largest spread %.3f m with the estimated poses, %.3f m with the reference (%d objects)",
                                    worst, parked.map(\.referenceDeviation).max() ?? 0, parked.count))
            }
            if let scale = estimateStillestScale {
                lines.append(String(format: "  parked objects stillest with translations scaled by %.4f (estimate)", scale)
                             + references.compactMap { r in r.stillestScale.map { String(format: ", %.4f (%@)", $0, r.reference) } }.joined())
            }
        }
        return lines
    }
}

import ArgumentParser
import Cuboid
import Foundation

struct Prelabel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pre-label lidar footage: proposed cuboids, tracks and camera boxes for people to correct.",
        discussion: """
            Per sequence: model-free detection in every sweep (ground by concentric-zone plane fits, \
            bird's-eye-view clustering, L-shape cuboid fits completed to class sizes, classification), \
            then tracking and smoothing in the world frame with the ego poses (--poses: the sequence's own, \
            else estimated by lidar odometry), 2D boxes in \
            every camera, the labels in the chosen formats, review_queue.csv (most doubtful boxes first) \
            and preview/ images. Frames detected by an earlier run are read back from OUT/cache only when \
            that run had the same sweep bytes, configuration, external detections and tool version; \
            other frames are detected again (and counted as re-detected). \
            A KITTI tracking folder (training, or the folder above it) with several sequences stands for \
            each training/velodyne/SEQ. With several sequences each gets OUT/NAME; --shard K/N takes every N-th sequence from the K-th, \
            in name order, so N machines can split a batch.
            """)

    @Argument(help: "Sequence folders (any layout `cuboid inspect` opens).")
    var sequences: [String] = []

    @Option(name: .shortAndLong, help: "Output folder.")
    var out: String?

    @Option(help: "Comma-separated label formats to write: \(LabelFormat.allCases.filter { $0 != .nuScenesInfo }.map(\.rawValue).joined(separator: ", ")) (default: openlabel).")
    var to: String?

    @Option(name: .customLong("format"), help: .hidden)
    var earlierFormat: String?

    @Option(help: "Camera whose 2D boxes the one-camera formats (cvat, cvat-video, mot) get, on a rig with several; for kitti and kitti-tracking on a rig without KITTI's calibration, the camera that stands for camera 2.")
    var camera: String?

    @Option(help: "Configuration JSON (every key optional; see --write-config).")
    var config: String?

    @Option(help: "Write the default configuration to this file and exit.")
    var writeConfig: String?

    @Option(help: "External detections (KITTI folder or OpenLABEL file) to track with, or instead of, the lidar detector.")
    var detections: String?

    @Option(help: "Format of --detections: openlabel or kitti.")
    var detectionsFormat: String = "openlabel"

    @Option(help: "join (external and lidar boxes) or replace (external boxes only).")
    var detectionsMode: String = "join"

    @Option(help: "K/N: process the K-th of N shares of the sequences (1-based); `auto`: the share a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with CUBOID_SHARD_COUNT) gives this task.")
    var shard: String?

    @Option(name: .customLong("threads"), help: "Worker threads (default: all cores); the outputs do not depend on it.")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    @Flag(help: "Skip the preview images.")
    var noPreviews = false

    @Flag(help: "Score the pre-labels against the sequence's gold with cuboid qa's evaluation (Car, Pedestrian, Cyclist; BEV IoU 0.5 and 0.7; gold within 40 m with >= 10 points; CLEAR MOT and IDF1 when tracked); writes OUT/score.json.")
    var score = false

    @Option(help: "Gold labels for --score (OpenLABEL; default: SEQUENCE/gold.openlabel.json, else the sequence's own labels).")
    var gold: String?

    @Option(help: "Camera bounding the scored region (default: camera 2 for KITTI folders whose gold covers only its view: image_2 for KITTI object, image_02 for KITTI tracking and KITTI raw with label_02, when scored against the layout's own labels; else the whole sweep).")
    var regionCamera: String?

    @OptionGroup var sweepErrors: SweepErrorOptions

    @Option(help: "Ego poses for tracking: given (the sequence's own), estimate (lidar odometry, see `cuboid odometry`) or none (default: given when every frame has one, else estimate when the frames are sweeps of one drive, else none).")
    var poses: PoseSource?

    func validate() throws {
        try checkRenamed(to, "--to", earlier: earlierFormat, "--format")
    }

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        var options = PrelabelOptions()
        options.threads = threads
        if let config {
            do { options.configuration = try PrelabelConfiguration.read(config) } catch {
                reportError(error, path: config)
                throw ExitCode(1)
            }
        }
        if let writeConfig {
            try refuseOverwriting(inputs: [config], outputFiles: [writeConfig])
            try FileBytes.writeAtomically(options.configuration.encoded, to: writeConfig)
            print("wrote \(writeConfig)")
            return
        }
        guard let out, !sequences.isEmpty else { throw ValidationError("give SEQUENCE... and --out DIR (or --write-config FILE)") }
        var formats: [LabelFormat] = []
        for name in (to ?? earlierFormat ?? LabelFormat.openLABEL.rawValue).split(separator: ",") {
            guard let parsed = LabelFormat(rawValue: String(name)), parsed != .nuScenesInfo else { throw ValidationError("unknown format '\(name)'; known: \(LabelFormat.allCases.filter { $0 != .nuScenesInfo }.map(\.rawValue).joined(separator: ", "))") }
            formats.append(parsed)
        }
        options.formats = formats
        options.camera = camera
        options.previews = !noPreviews
        options.collectLabels = score
        options.onError = sweepErrors.onError
        guard let mode = ExternalDetectionMode(rawValue: detectionsMode) else { throw ValidationError("--detections-mode is join or replace") }
        options.externalMode = mode

        // A KITTI tracking folder with several sequences stands for each of them (SensorSequence.sequenceFolders).
        let sequences = self.sequences.flatMap { SensorSequence.sequenceFolders($0) }
        // Each sequence's folder: OUT itself, or OUT/NAME (NAME made safe as one component) with several.
        let folders = Dictionary(uniqueKeysWithValues: sequences.map { path in
            (path, sequences.count == 1 ? out : PathComponent.file(in: out, name: Paths.lastComponent(path)))
        })
        let byFolder = Dictionary(grouping: sequences, by: { folders[$0]! })
        if let clash = byFolder.values.first(where: { $0.count > 1 }) {
            throw ValidationError("sequences \(clash.joined(separator: " and ")) have the same folder name, so their outputs would go to one folder \(folders[clash[0]]!); give them distinct names")
        }
        var selected = sequences.sorted()
        if let shard {
            let share = try parseShard(shard)
            selected = share.select(selected)
        }
        var failed = false, skipped = false
        for path in selected {
            let folder = folders[path]!
            do {
                skipped = try run(path, output: folder, options: options) || skipped
            } catch let exit as ExitCode {
                throw exit
            } catch {
                reportError(error, path: path)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
        if skipped { throw ExitCode(SweepErrorOptions.skippedExitCode) }
    }

    /// Pre-labels one sequence; returns whether sweeps were skipped.
    private func run(_ path: String, output: String, options: PrelabelOptions) throws -> Bool {
        let started = Date()
        var options = options
        let opened = try openSequence(path)
        let outputs = PrelabelRunner.outputs(in: output, formats: options.formats)
        try refuseOverwriting(inputs: opened.inputFiles + [config, detections, gold], outputFiles: outputs.files + (score ? [output + "/score.json"] : []),
                              outputFolders: outputs.folders)
        try PrelabelRunner.checkFormats(options.formats, sequence: opened, camera: options.camera)
        let lock = try holdOutputFolder(output)
        defer { withExtendedLifetime(lock) {} }
        let odometryProgress = ProgressLine("odometry", total: opened.count)
        let posed = try SequencePoses.choose(opened, requested: poses, threads: options.threads, onError: options.onError) { odometryProgress.update($0) }
        let sequence = posed.sequence
        options.skippedBefore = posed.odometry?.skipped ?? []
        if let detections {
            var context = LabelContext()
            if detectionsFormat == "kitti" {
                context.calibration = try sequence.kittiCalibration(at: 0)
                if sequence.layout == .kittiObject { context.calibrationFolder = sequence.root }
            }
            guard let format = LabelFormat(rawValue: detectionsFormat) else { throw ValidationError("unknown --detections-format") }
            options.externalDetections = try LabelStore.read(detections, format: format, context: context)
        }
        let lines = ["detect": ProgressLine("detect", total: sequence.count), "write": ProgressLine("write", total: sequence.count)]
        let summary = try PrelabelRunner.run(sequence, output: output, options: options) { stage, done, _ in lines[stage]?.update(done) }
        let detected = summary.frames - summary.resumedFrames
        let skippedPart = summary.skipped.isEmpty ? "" : ", \(summary.skipped.count) unreadable sweeps skipped"
        var line = "\(path): \(summary.frames) frames (\(summary.resumedFrames) from the cache\(skippedPart)), \(summary.boxes) boxes, \(summary.tracks) "
        line += summary.tracked ? "tracks" : "untracked detections (no ego poses)"
        print(line + " -> \(output)")
        print("  " + posed.line)
        for note in summary.notes { Log.shared.warning("\(output): \(note)") }
        if summary.redetectedFrames > 0 {
            let reasons = summary.redetectionReasons.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
            let frames = summary.redetectedFrames == 1 ? "1 frame" : "\(summary.redetectedFrames) frames"
            print("  \(frames) re-detected: cache made by " + reasons.joined(separator: ", "))
        }
        if detected > 0 {
            print("  " + stageTimes(summary.detectionTimings, sweeps: detected) + String(format: "; tracking %.1f ms for the sequence", summary.trackingSeconds * 1000))
        }
        if summary.frames > 0 {
            print("  " + runTimes(summary, wall: Date().timeIntervalSince(started)))
        }
        if score {
            let goldPath = gold ?? (FileManager.default.fileExists(atPath: path + "/gold.openlabel.json") ? path + "/gold.openlabel.json" : nil)
            let goldSet = try goldPath.map { try LabelStore.read($0, format: .openLABEL) } ?? sequence.labelSet()
            // The layout's own labels cover its labelled region; gold.openlabel.json and --gold the whole sweep.
            let region = regionCamera ?? (goldPath == nil ? sequence.labelledRegionCamera : nil)
            var score = try SequenceScoring.score(summary.labels, gold: goldSet, sequence: sequence, regionCamera: region, tracked: summary.tracked,
                                                  threads: options.threads)
            score.poses = posed.source.rawValue
            for result in score.classes { print("  " + SequenceScore.line(result)) }
            for result in score.classes { if let line = SequenceScore.trackingLine(result, iou: 0.5) { print("  " + line) } }
            try FileBytes.writeAtomically(score.encoded, to: output + "/score.json")
        }
        SweepErrorOptions.report(summary.skipped, listedIn: output + "/" + SkippedSweeps.fileName)
        return !summary.skipped.isEmpty
    }
}

/// `per sweep: ground 12.1 ms, clustering 2.5 ms, fitting 18.0 ms, total 32.6 ms`
func stageTimes(_ timings: DetectionTimings, sweeps: Int) -> String {
    let n = Double(max(sweeps, 1)) / 1000
    return String(format: "per sweep: ground %.1f ms, clustering %.1f ms, fitting %.1f ms, total %.1f ms",
                  timings.ground / n, timings.clustering / n, timings.fitting / n, timings.total / n)
}

/// The whole run's time a frame and what lay outside detection, e.g. `per frame: whole run 45.1 ms
/// (2.71 s wall / 60 frames), median frame 41.0 ms on the main thread; outside detection: reading
/// 1.9 ms, tracking 0.0 ms, labels 2.2 ms, waiting 0.4 ms; other threads: cache writes 17.0 ms,
/// previews 0.0 ms`. The whole run counts from opening the sequence to the last file written; the
/// main thread's frame time is its detection, reading, tracking and labels for the frame; the other
/// threads' work (cache encoding and fsync, preview drawing and writing) overlaps it.
func runTimes(_ summary: PrelabelSummary, wall: Double) -> String {
    let t = summary.runTimings
    let n = Double(max(summary.frames, 1)) / 1000
    return String(format: "per frame: whole run %.1f ms (%.2f s wall / %d frames), median frame %.1f ms on the main thread; "
                  + "outside detection: reading %.1f ms, tracking %.1f ms, labels %.1f ms, waiting %.1f ms; other threads: cache writes %.1f ms, previews %.1f ms",
                  wall / n, wall, summary.frames, t.medianFrame * 1000, t.reading / n, summary.trackingSeconds / n, t.labels / n, t.waiting / n,
                  t.cacheWriting / n, t.previews / n)
}

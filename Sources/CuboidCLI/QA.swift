import ArgumentParser
import Cuboid
import Foundation

extension MatchCriterion: ExpressibleByArgument {}
extension MetricDefinition: ExpressibleByArgument {}
extension MissingFramePolicy: ExpressibleByArgument {}

struct QA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Score taskers' labels against gold (or two taskers against each other), with feedback and pictures.",
        subcommands: [QARun.self, QAMerge.self, QAConfig.self, QAHistoryCommand.self],
        defaultSubcommand: QARun.self)
}

/// The exit code of a run in which a tasker scored below `--fail-under`.
let qaBelowThresholdExitCode: Int32 = 3

struct QARun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Score taskers' labels against gold and write an HTML/JSON/CSV report with a picture of every error.",
        discussion: """
            GOLD and LABELS are label files or folders in any format `cuboid labels convert` reads (detected, or named \
            with --gold-format / --labels-format), or a dataset folder (KITTI object, SUSTechPOINTS...) whose gold is read. \
            Each --labels is one tasker, named by its folder or as NAME=PATH. Frames are paired by name. Without --gold \
            and with two --labels, the two taskers' agreement is reported.

            The sweeps and camera frames come from --sequence, or from the gold's dataset folder (a KITTI label_2 folder's \
            parent); they give point counts ("extra box with 3 points inside"), DontCare regions and the pictures.

            A class with neither gold nor labelled boxes is "not scored" (left out of the figures); precision, recall, \
            F1 and MOTA are "n/a" where they are undefined (recall and MOTA without gold). Class names match without \
            case unless the configuration sets caseSensitiveClasses; the summary lists the names so matched.

            Exit codes: 0 scored; 3 a tasker's gate metric (the configuration's gateMetric, default F1) is below \
            --fail-under or not computable; 1 bad input (the message names the file and line), or a tasker with \
            nothing scored (no frame names in common, no box of an evaluated class) without --allow-empty; 64 bad arguments.
            """)

    @Option(help: "Gold labels: a file, a folder of per-frame files, or a dataset folder.")
    var gold: String?

    @Option(help: "Format of the gold labels (default: detected).")
    var goldFormat: LabelFormat?

    @Option(name: .customLong("labels"), help: "A tasker's labels, as PATH or NAME=PATH; repeat for several taskers.")
    var labels: [String] = []

    @Option(help: "Format of the taskers' labels (default: detected per tasker).")
    var labelsFormat: LabelFormat?

    @Option(name: .shortAndLong, help: "Report folder (index.html, tasker pages, report.json, metrics.csv, findings.csv, pictures/).")
    var out: String

    @Option(help: "QA configuration JSON (`cuboid qa config` prints the defaults).")
    var config: String?

    @Option(help: "Override the configuration's match criterion: \(MatchCriterion.allCases.map(\.rawValue).joined(separator: ", ")).")
    var match: MatchCriterion?

    @Option(name: .customLong("metric"),
            help: "Also compute this metric definition (repeatable; adds to the configuration's metrics): nuscenes (nuScenes AP over centre distances and ATE/ASE/AOE, as the nuscenes-devkit), kitti (KITTI AP R40 and R11 per difficulty, as the KITTI devkit), hota (HOTA, DetA, AssA, LocA, as TrackEval).")
    var metrics: [MetricDefinition] = []

    @Option(help: "Override the configuration's missingFrames: skip (default: score the frames both sides have), count-as-missed (a frame the tasker lacks counts its gold as missed, a frame without gold its boxes as extras), error.")
    var missingFrames: MissingFramePolicy?

    @Option(help: "The recording whose sweeps and camera frames go with the labels (default: the gold's dataset folder).")
    var sequence: String?

    @Option(help: "Exit with code 3 when a tasker's gate metric (default F1) is below this value or cannot be computed (nothing scored).")
    var failUnder: Double?

    @Flag(help: "Write the report even when a tasker has nothing scored (no frame in common with the gold, no box of an evaluated class); otherwise that is an error (exit 1).")
    var allowEmpty = false

    @Option(help: "Store the run in this SQLite history (created if needed; a batch recorded again replaces the tasker's earlier run of it); see `cuboid qa history`.")
    var history: String?

    @Option(help: "Batch name for the history (default: the gold's folder or file name).")
    var batch: String?

    @Flag(help: "Write the report without pictures.")
    var noPictures = false

    @Option(help: "Pictures for at most this many findings per tasker.")
    var maxPictures = 500

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "K/N: score the K-th of N shares of the frames and write OUT/shard.json for `cuboid qa merge`; auto: the share a Slurm job array or Kubernetes Indexed Job gives this task.")
    var shard: String?

    // Gold check and report order (issue 26).
    @Flag(help: "List the findings frame by frame on the tasker pages (frames with the costliest findings first) instead of in one list, costliest first.")
    var groupByFrame = false

    @OptionGroup var source: LabelSourceArguments

    func validate() throws {
        if labels.isEmpty { throw ValidationError("give the taskers' labels with --labels PATH (or NAME=PATH)") }
        if gold == nil && labels.count != 2 { throw ValidationError("without --gold, give exactly two --labels to measure their agreement") }
        if let failUnder, !(0...1).contains(failUnder) { throw ValidationError("--fail-under must be in [0, 1]") }
        if maxPictures < 0 { throw ValidationError("--max-pictures must be >= 0") }
    }

    func run() throws {
        var configuration = try config.map { try QAConfiguration.read($0) } ?? QAConfiguration()
        // Opened first, so a file that is no database stops the run before the scoring.
        let store = try history.map { try QAHistory(path: $0) }
        if let match { configuration.match = match }
        if let missingFrames { configuration.missingFrames = missingFrames }
        for metric in metrics where !configuration.metrics.contains(metric) { configuration.metrics.append(metric) }
        let input = try QAInputs.load(gold: gold, goldFormat: goldFormat, labels: labels, labelsFormat: labelsFormat, sequence: sequence,
                                      source: source)
        let outputs = QAReportWriter.outputs(in: out, taskers: input.taskers.map(\.name))
        try refuseOverwriting(inputs: [gold, sequence, config, history, source.calib, source.dataset] + labels.map { namedArgument($0).path },
                              outputFiles: outputs.files, outputFolders: outputs.folders)
        let lock = try holdOutputFolder(out)
        defer { withExtendedLifetime(lock) {} }
        let threadCount = threads ?? Parallelism.availableCores
        let share = try shard.map { try parseShard($0) }
        let total = input.gold?.frames.count ?? input.taskers[0].labels.frames.count
        let progress = ProgressLine("qa", total: max(1, share.map { (total - $0.index) / $0.count + 1 } ?? total))
        let scored: QAShard
        if let goldLabels = input.gold {
            scored = try QualityReview.scoreShard(gold: goldLabels, taskers: input.taskers, configuration: configuration, sequence: input.sequence,
                                                  shard: share, threads: threadCount, progress: { done, _ in progress.update(done) })
        } else {
            scored = try QualityReview.scoreShard(gold: input.taskers[0].labels, taskers: [input.taskers[1]], configuration: configuration,
                                                  sequence: input.sequence, agreement: true, goldName: input.taskers[0].name, shard: share,
                                                  threads: threadCount, progress: { done, _ in progress.update(done) })
        }
        let report = share == nil ? try QualityReview.report(merging: [scored], threads: threadCount) : QualityReview.report(partial: scored, threads: threadCount)
        if share == nil && !allowEmpty { try report.requireScored() }
        let writer = QAReportWriter(maximumPicturesPerTasker: maxPictures, drawsPictures: !noPictures, groupsByFrame: groupByFrame)
        let pictures = ProgressLine("pictures", total: max(1, report.taskers.reduce(0) { $0 + min($1.findings.count, maxPictures) }), unit: "findings")
        let written = try writer.write(report, sequence: input.sequence, to: out, gold: input.gold ?? input.taskers.first?.labels,
                                       taskerLabels: input.gold == nil ? Array(input.taskers.dropFirst()) : input.taskers,
                                       progress: { done, _ in pictures.update(done) })
        if let share {
            try FileBytes.writeAtomically(try scored.encoded(), to: out + "/shard.json")
            print("shard \(share): \(scored.scoredFrames) of \(scored.frameNames.count) frames scored; combine the shards with `cuboid qa merge`")
            print(QASummary.table(written))
            print("report of this shard: \(out)/index.html")
            return
        }
        print(QASummary.table(written))
        if let store { try storeHistory(written, in: store, batch: batch ?? Paths.lastComponent(gold ?? labels[0])) }
        print("report: \(out)/index.html")
        try gate(written, failUnder: failUnder)
    }
}

/// `K/N`, or `auto` for the share a job scheduler gives this task.
func parseShard(_ text: String) throws -> BatchShard {
    do {
        if text == "auto" {
            guard let scheduled = try BatchShard.fromScheduler(ProcessInfo.processInfo.environment) else {
                throw ValidationError("--shard auto needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX and CUBOID_SHARD_COUNT (a Kubernetes Indexed Job)")
            }
            return scheduled
        }
        return try BatchShard.parse(text)
    } catch let error as BatchShardError {
        throw ValidationError("--shard: \(error)")
    }
}

struct QAMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the reports of `cuboid qa --shard K/N` runs into the report one machine would write.",
        discussion: """
            Each SHARD is the --out folder of one shard (holding shard.json and its pictures). The shards must come \
            from the same labels and configuration and cover every frame once. Exit codes as for `cuboid qa`.
            """)

    @Argument(help: "The shards' report folders.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "Merged report folder.")
    var out: String

    @Option(help: "Pictures for at most this many findings per tasker (as given to the shards).")
    var maxPictures = 500

    @Flag(help: "Write the report without pictures.")
    var noPictures = false

    @Option(help: "Exit with code 3 when a tasker's gate metric is below this value or cannot be computed (nothing scored).")
    var failUnder: Double?

    @Flag(help: "Write the report even when a tasker has nothing scored; otherwise that is an error (exit 1).")
    var allowEmpty = false

    @Option(help: "Store the merged run in this SQLite history.")
    var history: String?

    @Option(help: "Batch name for the history (default: the merged folder's name).")
    var batch: String?

    func run() throws {
        let store = try history.map { try QAHistory(path: $0) }
        var loaded: [QAShard] = []
        for folder in shards {
            let path = folder + "/shard.json"
            do {
                loaded.append(try QAShard.decode(try FileBytes.read(path)))
            } catch let error as FileAccessError {
                throw error
            } catch {
                throw ValidationError("\(path) is not a QA shard: \(error)")
            }
        }
        let outputs = QAReportWriter.outputs(in: out, taskers: loaded.flatMap { $0.taskerNames })
        try refuseOverwriting(inputs: shards.map { $0 + "/shard.json" } + [history], outputFiles: outputs.files, outputFolders: [])
        let lock = try holdOutputFolder(out)
        defer { withExtendedLifetime(lock) {} }
        let report = try QualityReview.report(merging: loaded)
        if !allowEmpty { try report.requireScored() }
        let written = try QAReportWriter(maximumPicturesPerTasker: maxPictures, drawsPictures: !noPictures)
            .write(report, sequence: nil, to: out, pictureFolders: shards)
        print("merged \(loaded.count) shard(s), \(report.frameCount) frames")
        print(QASummary.table(written))
        if let store { try storeHistory(written, in: store, batch: batch ?? Paths.lastComponent(out)) }
        print("report: \(out)/index.html")
        try gate(written, failUnder: failUnder)
    }
}

/// Exits with ``qaBelowThresholdExitCode`` when a tasker's gate metric is below the threshold.
func gate(_ report: QAReport, failUnder: Double?) throws {
    guard let failUnder else { return }
    let metric = report.configuration.gateMetric
    let failing = report.taskers.filter { (report.gateValue($0) ?? -1) < failUnder }
    guard !failing.isEmpty else { return }
    for tasker in failing {
        let value = report.gateValue(tasker).map { String(format: "%.4f", $0) } ?? "not computable"
        print("below threshold: \(tasker.name) \(metric.rawValue) \(value) < \(failUnder)")
    }
    throw ExitCode(qaBelowThresholdExitCode)
}

/// Labels and the recording a QA run reads.
enum QAInputs {
    struct Loaded {
        var gold: LabelSet?
        var taskers: [TaskerLabels]
        var sequence: SensorSequence?
    }

    static func load(gold: String?, goldFormat: LabelFormat?, labels: [String], labelsFormat: LabelFormat?, sequence: String?,
                     source: LabelSourceArguments) throws -> Loaded {
        var recording = try sequence.map { try openSequence($0) }
        var goldLabels: LabelSet?
        if let gold {
            let (set, opened) = try read(gold, format: goldFormat, recording: recording, source: source)
            goldLabels = set
            if recording == nil { recording = opened }
        }
        var taskers: [TaskerLabels] = []
        for entry in labels {
            let (name, path) = namedArgument(entry)
            let (set, opened) = try read(path, format: labelsFormat, recording: recording, source: source)
            if recording == nil && goldLabels == nil { recording = opened }
            taskers.append(TaskerLabels(name: name, labels: set))
        }
        return Loaded(gold: goldLabels, taskers: taskers, sequence: recording)
    }

    /// Reads one side: a dataset folder's gold, or a label file/folder in its format. A KITTI label
    /// folder's parent, when it is a KITTI object folder, gives the calibration and the recording.
    static func read(_ path: String, format: LabelFormat?, recording: SensorSequence?,
                     source: LabelSourceArguments) throws -> (LabelSet, SensorSequence?) {
        try requireInput(path)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if format == nil, isDirectory.boolValue, let opened = try? SensorSequence.open(path), opened.hasLabels {
            return (try opened.labelSet(), opened)
        }
        guard let chosen = format ?? LabelFormat.detect(path) else {
            throw ValidationError("cannot tell the label format of \(path): name it with --gold-format or --labels-format")
        }
        var context = try source.context()
        var opened = recording
        let parent = Paths.parent(path)
        if opened == nil, chosen == .kitti, FileManager.default.fileExists(atPath: parent + "/calib") {
            opened = try? SensorSequence.open(parent)
        }
        if context.calibration == nil && context.calibrationFolder == nil && (chosen == .kitti || chosen == .kittiTracking) {
            if let opened, opened.layout == .kittiObject {
                context.calibrationFolder = opened.root
            } else if let opened {
                context.calibration = try opened.kittiCalibration(at: 0)
            } else if FileManager.default.fileExists(atPath: parent + "/calib") {
                context.calibrationFolder = parent
            }
        }
        return (try LabelStore.read(path, format: chosen, context: context), opened)
    }
}

/// The summary printed after a run.
enum QASummary {
    static func table(_ report: QAReport) -> String {
        func f(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        var lines = [report.isAgreement ? "agreement with \(report.goldName), \(report.frameCount) frames" : "QA against gold, \(report.frameCount) frames",
                     "tasker        class       TP    FP    FN  precision  recall      F1  mean IoU  AP(101)    MOTA  findings"]
        for tasker in report.taskers {
            for c in tasker.classes + [ClassReport(category: "all", detection: tasker.overall)] {
                let d = c.detection
                func pad(_ text: String, _ width: Int) -> String { String(text.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0) }
                guard d.isScored else {
                    lines.append(pad(tasker.name, 12) + " " + pad(c.category, 10)
                                 + (c.category == "all" ? "   nothing scored (no gold and no labelled box of any evaluated class)"
                                                         : "   not scored (no gold and no labelled box of the class)"))
                    continue
                }
                let findings = c.category == "all" ? tasker.findings.count : tasker.findings.filter { $0.category == c.category }.count
                lines.append(pad(tasker.name, 12) + " " + pad(c.category, 10) + String(format: " %5d %5d %5d", d.truePositives, d.falsePositives, d.falseNegatives)
                             + "     " + [f(d.precision), f(d.recall), f(d.f1), f(d.meanIoU), f(c.averagePrecision?.coco101), f(c.tracking?.mota)]
                                 .map { $0.leftPadded(6) }.joined(separator: "  ") + String(format: "  %8d", findings))
            }
            if report.configuration.metrics.contains(.nuscenes) {
                for c in tasker.classes + [ClassReport(category: "mean", detection: tasker.overall)] {
                    guard let n = c.category == "mean" ? tasker.nuScenesMean : c.nuScenes else { continue }
                    lines.append("  \(tasker.name) nuScenes \(c.category): AP \(f(n.meanAveragePrecision)) ("
                                 + zip(report.configuration.nuScenes.distances, n.averagePrecisions).map { "\(String(format: "%g", $0)) m \(f($1))" }.joined(separator: ", ")
                                 + "), ATE \(f(n.translationError)) m, ASE \(f(n.scaleError)), AOE " + (n.orientationError.map { f($0) + " rad" } ?? "n/a"))
                }
            }
            if report.configuration.metrics.contains(.kitti) {
                for c in tasker.classes {
                    guard let levels = c.kitti else { continue }
                    lines.append("  \(tasker.name) KITTI \(c.category): " + levels.map { "\($0.difficulty) R40 \(f($0.r40)) R11 \(f($0.r11))" }.joined(separator: ", "))
                }
            }
            if report.configuration.metrics.contains(.hota) {
                for c in tasker.classes {
                    guard let h = c.tracking?.hota else { continue }
                    lines.append("  \(tasker.name) HOTA \(c.category): HOTA \(f(h.hota)), DetA \(f(h.detA)), AssA \(f(h.assA)), LocA \(f(h.locA))")
                }
            }
            let s = tasker.skips
            var notes: [String] = []
            if !s.framesOnlyInGold.isEmpty { notes.append("\(s.framesOnlyInGold.count) gold frame(s) not labelled (\(report.configuration.missingFrames.rawValue))") }
            if !s.framesOnlyInLabels.isEmpty { notes.append("\(s.framesOnlyInLabels.count) labelled frame(s) without gold (\(report.configuration.missingFrames.rawValue))") }
            let unknown = s.unknownLabelClasses.merging(s.unknownGoldClasses, uniquingKeysWith: +)
            if !unknown.isEmpty { notes.append("unknown classes skipped: " + unknown.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")) }
            if !s.renamedClasses.isEmpty {
                notes.append("class names matched: " + s.renamedClasses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
            }
            if s.labelsWithoutGeometry + s.goldWithoutGeometry > 0 {
                notes.append("\(s.labelsWithoutGeometry + s.goldWithoutGeometry) box(es) without the compared geometry skipped")
            }
            // Gold check (issue 26).
            let doubtful = tasker.doubtfulGold.count
            if doubtful > 0 {
                let gated = report.gateValue(tasker).map { String(format: "%.4f", $0) } ?? "n/a"
                notes.append("\(doubtful) finding(s) with doubtful \(report.isAgreement ? report.goldName : "gold") listed for a reviewer"
                             + (report.configuration.goldCheck.countInGate ? " (counted in the gate)" : "; gate \(report.configuration.gateMetric.rawValue) without them \(gated)"))
            }
            if !notes.isEmpty { lines.append("  \(tasker.name): " + notes.joined(separator: "; ")) }
        }
        return lines.joined(separator: "\n")
    }
}

struct QAConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the default QA configuration (KITTI thresholds) as JSON, to edit and pass with --config.")

    func run() throws {
        print(String(decoding: QAConfiguration().encoded, as: UTF8.self), terminator: "")
    }
}

/// Records a report's taskers in the history, saying how many earlier runs of the batch it replaced.
func storeHistory(_ report: QAReport, in store: QAHistory, batch: String) throws {
    let taskers = Set(report.taskers.map(\.name))
    let replaced = try store.entries().filter { $0.batch == batch && taskers.contains($0.tasker) }.count
    try store.record(report, batch: batch)
    print("history: stored \(report.taskers.count) run(s) under batch \(batch) in \(store.path)"
          + (replaced > 0 ? ", replacing \(replaced) earlier run(s) of the same batch and tasker" : ""))
}

struct QAHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show each tasker's QA runs over time from a history database, with the change in F1.")

    @Argument(help: "Only this tasker.")
    var tasker: String?

    @Option(help: "The history database written by `cuboid qa --history`.")
    var history: String

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: history) else { throw ValidationError("no history database at \(history)") }
        let entries = try QAHistory(path: history).entries(tasker: tasker)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for entry in entries { print(String(decoding: try encoder.encode(entry), as: UTF8.self)) }
            return
        }
        if entries.isEmpty {
            print(tasker.map { "no runs of \($0) in \(history)" } ?? "no runs in \(history)")
            return
        }
        print("tasker        batch                 recorded              frames  precision  recall      F1   change  findings")
        var previous: [String: Double] = [:]
        for e in entries {
            let change = previous[e.tasker].flatMap { old in e.f1.map { String(format: "%+.4f", $0 - old) } } ?? "     -"
            if let f1 = e.f1 { previous[e.tasker] = f1 }
            func f(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "   n/a" }
            func pad(_ text: String, _ width: Int) -> String { String(text.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0) }
            print(pad(e.tasker, 12) + "  " + pad(e.batch, 20) + "  " + pad(e.recordedAt, 20) + "  "
                  + String(format: "%6d     ", e.frames) + f(e.precision) + "  " + f(e.recall) + "  " + f(e.f1) + "  " + change.leftPadded(7) + String(format: "  %8d", e.findings))
        }
    }
}

extension String {
    /// The string right-aligned in a field of `width` characters.
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

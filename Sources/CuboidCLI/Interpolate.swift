import ArgumentParser
import Cuboid
import Foundation

extension InterpolationMethod: ExpressibleByArgument {}

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill every frame between human keyframes of each track, in the world frame.",
        subcommands: [InterpolateRun.self, InterpolateEvaluate.self, InterpolateSuggest.self],
        defaultSubcommand: InterpolateRun.self)
}

/// The keyframe input shared by both subcommands: a label file (or a dataset folder) and the recording.
struct KeyframeInputArguments: ParsableArguments {
    @Option(help: "Format of the labels (default: detected from a file's content; a dataset folder is read as its gold).")
    var from: LabelFormat?

    @Option(name: .customLong("format"), help: .hidden)
    var earlierFormat: LabelFormat?

    /// `--from`, or its earlier spelling `--format`.
    var format: LabelFormat? { from ?? earlierFormat }

    func validate() throws {
        try checkRenamed(from, "--from", earlier: earlierFormat, "--format")
    }

    @Option(help: "The recording (any layout `cuboid inspect` reads): timestamps, ego poses, cameras and lidar sweeps for the labels' frames.")
    var sequence: String?

    @OptionGroup var source: LabelSourceArguments

    @Option(help: "Ego poses: given (the labels' or the recording's own), estimate (lidar odometry on the recording's sweeps: --sequence, or the dataset folder) or none (sensor frame) (default: given when there are any, else estimate when there are sweeps).")
    var poses: PoseSource?

    /// Reads the labels and lays them onto the sequence's frames, with the chosen ego poses.
    /// - Returns: also the line saying which poses the frames carry.
    func load(_ path: String, threads: Int = Parallelism.availableCores) throws -> (labels: LabelSet, sequence: SensorSequence?, sequenceIndex: [Int], posesLine: String) {
        var opened = try sequence.map { try openSequence($0) }
        var labels: LabelSet
        var isDirectory: ObjCBool = false
        let isFolder = format == nil && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        let folder = isFolder ? try openSequence(path) : nil
        if isFolder {
            labels = try folder!.labelSet()
        } else {
            var context = try source.context()
            if context.calibration == nil, context.calibrationFolder == nil, let opened { context.calibration = try opened.kittiCalibration(at: 0) }
            labels = try LabelStore.read(path, format: try labelInputFormat(path, given: format, option: "--from"), context: context)
        }
        // The recording whose sweeps can give poses: --sequence, else the dataset folder.
        let progress = ProgressLine("odometry", total: (opened ?? folder)?.count ?? 0)
        let posesLine: String
        do {
            (labels, opened, posesLine) = try SequencePoses.choose(for: labels, recording: opened, labelFolder: folder, requested: poses,
                                                                   threads: threads) { progress.update($0) }
        } catch let failure as SequencePoses.Failure {
            throw ValidationError(failure.description)
        }
        guard let opened else { return (labels, nil, [], posesLine) }
        let aligned = try opened.align(labels)
        labels = aligned.labels
        if aligned.renumberedFrames > 0 {
            Log.shared.notice("\(path): \(aligned.renumberedFrames) labelled frames renumbered to make room for the sweeps between them")
        }
        return (labels, opened, aligned.sequenceIndex, posesLine)
    }
}

struct InterpolateRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Fill the frames between keyframes and write every frame.",
        discussion: """
            KEYFRAMES holds the keyframe labels with track ids: OpenLABEL (frames with timestamps and \
            ego poses, cuboids in the sensor frame), KITTI tracking (with --sequence for poses and \
            calibration), CVAT XML or MOT tracks (image boxes), or any other format with --from. \
            Every frame the file lists is an output frame; with --sequence every sweep between the \
            first and last labelled frame is. Each box gets the attribute interpolation = keyframe, \
            interpolated or snapped. One line per track is printed, then the flags (heading flips, \
            tracks that leave the sensor range, keyframes that disagree with their neighbours). \
            The output is written to a temporary file and renamed; the input is never modified.
            """)

    @Argument(help: "Keyframe labels.")
    var keyframes: String

    @Option(name: .shortAndLong, help: "Output labels.")
    var out: String

    @Option(help: "Format of OUT.")
    var to: LabelFormat = .openLABEL

    @Option(help: "world, world-smooth, world-linear or sensor-linear.")
    var method: InterpolationMethod = .worldSmooth

    @Flag(help: "Move filled cuboids to fit their sweep's lidar points (needs --sequence).")
    var snap = false

    @Option(help: "Sensor range for the out-of-range flag, metres.")
    var range: Double = 80

    @Option(name: .customLong("threads"), help: "Worker threads (default: all cores); the output does not depend on it.")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    @OptionGroup var input: KeyframeInputArguments

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if snap && input.sequence == nil { throw ValidationError("--snap needs --sequence (the lidar sweeps)") }
        guard range > 0 else { throw ValidationError("--range must be > 0") }
    }

    func run() throws {
        let outputs = labelOutputs(out, format: to)
        try refuseOverwriting(inputs: [keyframes, input.sequence, input.source.calib, input.source.dataset],
                              outputFiles: outputs.files, outputFolders: outputs.folders)
        let lock = try outputs.folders.first.map(holdOutputFolder)
        defer { withExtendedLifetime(lock) {} }
        do {
            let (labels, sequence, indices, posesLine) = try input.load(keyframes, threads: threads)
            print(posesLine)
            var options = InterpolationOptions(method: method, snap: snap ? SnapSettings() : nil)
            options.sensorRange = range
            options.threads = threads
            var progress: ProgressLine?
            let result = try KeyframeInterpolator.interpolate(labels, options: options, pointCloud: { index in
                try sequence?.pointCloud(at: indices[index])
            }, progress: { done, total in
                if progress == nil { progress = ProgressLine("snap", total: total) }
                progress?.update(done)
            })
            let losses = try LabelStore.write(result.labels, to: out, format: to, context: input.source.context())
            for line in losses { Log.shared.warning("\(out): \(line)") }
            for track in result.tracks { print(describe(track)) }
            for flag in result.flags { print("flag: \(flag)") }
            for note in result.notes { print("note: \(note)") }
            let filled = result.tracks.reduce(0) { $0 + $1.filled }, snapped = result.tracks.reduce(0) { $0 + $1.snapped }
            print("\(result.tracks.count) tracks, \(result.tracks.reduce(0) { $0 + $1.keyframes }) keyframes, \(filled) boxes filled"
                + (snap ? " (\(snapped) snapped)" : "") + ", \(result.flags.count) flags, \(labels.frames.count) frames -> \(out)"
                + (result.untrackedObjects > 0 ? "; \(result.untrackedObjects) objects without a track id passed through" : "")
                + (result.replacedBoxes > 0 ? "; \(result.replacedBoxes) non-key boxes of the input replaced" : ""))
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: keyframes)
            throw ExitCode(1)
        }
    }

    /// `track 12 Car: 4 keyframes 000010-000040, 27 filled, moving 8.1 m/s`.
    func describe(_ track: InterpolatedTrackSummary) -> String {
        var text = "track \(track.track) \(track.category): \(track.keyframes) keyframe\(track.keyframes == 1 ? "" : "s") "
            + (track.keyframes == 1 ? track.firstFrame : "\(track.firstFrame)-\(track.lastFrame)") + ", \(track.filled) filled"
        if track.snapped > 0 { text += " (\(track.snapped) snapped)" }
        if !track.hasCuboids {
            text += ", image boxes"
        } else if track.isStatic {
            text += ", static"
        } else if let speed = track.speed {
            text += String(format: ", moving %.1f m/s", speed)
        }
        return text
    }
}

struct InterpolateEvaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score interpolation against dense gold: keep every K-th gold frame, fill, compare.",
        discussion: """
            GOLD is a label file (OpenLABEL by default) or a dataset folder read as its gold \
            (SUSTechPOINTS, KITTI object). For every K and method, every K-th gold frame keeps its \
            boxes as keyframes; the boxes filled in the frames between are compared with the gold \
            there, by track id: mean bird's-eye-view IoU (also over moving and static objects apart, \
            and per class), mean and 90th-percentile centre error. Gold boxes of frames past a \
            track's last keyframe are counted as not covered. world-linear is the plain straight \
            line in the world frame, the baseline the other world methods must not fall below.
            """)

    @Argument(help: "Gold labels with track ids in every labelled frame.")
    var gold: String

    @Option(help: "Keyframe spacings, in gold frames.")
    var every: String = "2,5,10,20"

    @Option(help: "Methods to score (comma-separated; default all).")
    var methods: String = InterpolationMethod.allCases.map(\.rawValue).joined(separator: ",")

    @Flag(help: "Also score world-smooth with snapping (needs --sequence).")
    var snap = false

    @Flag(help: "One JSON object per line.")
    var json = false

    @OptionGroup var input: KeyframeInputArguments

    func validate() throws {
        if snap && input.sequence == nil { throw ValidationError("--snap needs --sequence (the lidar sweeps)") }
        _ = try spacings()
        _ = try chosenMethods()
    }

    func spacings() throws -> [Int] {
        try every.split(separator: ",").map {
            guard let k = Int($0), k >= 2 else { throw ValidationError("--every takes integers >= 2, found '\($0)'") }
            return k
        }
    }

    func chosenMethods() throws -> [InterpolationMethod] {
        try methods.split(separator: ",").map {
            guard let method = InterpolationMethod(rawValue: String($0)) else { throw ValidationError("unknown method '\($0)'") }
            return method
        }
    }

    func run() throws {
        do {
            let (goldFrames, sequence, goldIndices, posesLine) = try input.loadLabelledFrames(gold)
            if json { FileHandle.standardError.write(Data((posesLine + "\n").utf8)) } else { print(posesLine) }
            var cache: [Int: PointCloud] = [:]
            for k in try spacings() {
                var runs = try chosenMethods().map { InterpolationOptions(method: $0) }
                if snap { runs.append(InterpolationOptions(method: .worldSmooth, snap: SnapSettings())) }
                for options in runs {
                    let accuracy = try InterpolationEvaluation.evaluate(gold: goldFrames, every: k, options: options) { index in
                        guard let sequence else { return nil }
                        if let cloud = cache[index] { return cloud }
                        let cloud = try sequence.pointCloud(at: goldIndices[index])
                        cache[index] = cloud
                        return cloud
                    }
                    print(json ? jsonLine(accuracy) : accuracyText(accuracy))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: gold)
            throw ExitCode(1)
        }
    }

}

/// `K=10  world-smooth  7596 boxes  BEV IoU 0.9977 (moving 0.9948 over 3438, static ...)  centre error ...`,
/// then one indented line per class.
func accuracyText(_ a: InterpolationAccuracy, label: String? = nil) -> String {
    var name = a.method.rawValue + (a.snapped ? "+snap" : "")
    name += String(repeating: " ", count: max(0, 18 - name.count))
    var parts: [String] = []
    if let moving = a.movingMeanBEVIoU { parts.append(String(format: "moving %.4f over %d", moving, a.movingScored)) }
    if let still = a.staticMeanBEVIoU { parts.append(String(format: "static %.4f over %d", still, a.staticScored)) }
    let groups = parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    let head = label ?? String(format: "K=%-3d", a.keyframeEvery)
    var text = String(format: "%@ %@ %5d keyframes %6d boxes  BEV IoU %.4f%@  centre error %.3f m (p90 %.3f m)  %d not covered",
                      head, name, a.keyframes, a.scored, a.meanBEVIoU, groups, a.meanCenterError, a.centerError90, a.uncovered)
    for group in a.classes {
        text += String(format: "\n    %@: %d boxes  BEV IoU %.4f  centre error %.3f m", group.category, group.scored, group.meanBEVIoU,
                       group.meanCenterError)
    }
    return text
}

/// One JSON object, keys sorted.
func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
}

extension KeyframeInputArguments {
    /// The labels' labelled frames only (a sequence adds empty sweeps between them), and each one's
    /// index in the sequence; objects that are not tracks left out (`InterpolationEvaluation.trackedGold(_:)`).
    func loadLabelledFrames(_ path: String) throws -> (labels: LabelSet, sequence: SensorSequence?, sequenceIndex: [Int], posesLine: String) {
        let (loaded, sequence, indices, posesLine) = try load(path)
        let (labels, leftOut) = InterpolationEvaluation.trackedGold(loaded)
        if leftOut > 0 {
            Log.shared.warning("\(path): \(leftOut) objects without a track of their own (no id, DontCare, an id twice in a frame) left out")
        }
        var kept = labels
        var keptIndices: [Int] = []
        kept.frames = []
        for (index, frame) in labels.frames.enumerated() where !frame.objects.isEmpty {
            kept.frames.append(frame)
            keptIndices.append(sequence == nil ? index : indices[index])
        }
        return (kept, sequence, keptIndices, posesLine)
    }
}

struct InterpolateSuggest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Name, per track, the fewest frames to label so the fill stays within a centre error.",
        discussion: """
            DENSE holds boxes with track ids in every frame (gold of the drive, a tracker's or \
            pre-labeller's output), read as `interpolate evaluate` reads GOLD. Per track, the boxes \
            are taken into the world frame with the ego poses, and the fewest of them (first and last \
            included) are chosen so that every other box lies within --max-error of the straight \
            world line between the chosen boxes around it: straight constant-speed stretches need \
            two, turns, stops and accelerations more. Prints one line per track with the frames to \
            label. With --compare-every K, DENSE is taken as gold: the chosen frames and every K-th \
            frame are each filled with --method and scored against it (keyframe counts beside).
            """)

    @Argument(help: "Dense labels with track ids.")
    var dense: String

    @Option(name: .customLong("max-error"), help: "Largest centre error of the straight-line fill on DENSE, metres.")
    var maxError: Double = SuggestionOptions().maximumCenterError

    @Option(name: .customLong("max-gap"), help: "Longest gap between suggested keyframes, in the track's boxes.")
    var maxGap: Int = SuggestionOptions().maximumGap

    @Option(help: "Instead of --max-error: at most N keyframes over all tracks (at least each track's ends), each placed where the fill's error drops most.")
    var budget: Int?

    @Option(name: .customLong("compare-every"), help: "Also score the suggestion and every K-th frame against DENSE as gold.")
    var compareEvery: Int?

    @Option(help: "Method for --compare-every.")
    var method: InterpolationMethod = .worldSmooth

    @Flag(help: "One JSON object per line.")
    var json = false

    @OptionGroup var input: KeyframeInputArguments

    func validate() throws {
        guard maxError >= 0 else { throw ValidationError("--max-error must be >= 0") }
        guard maxGap >= 1 else { throw ValidationError("--max-gap must be >= 1") }
        if let compareEvery, compareEvery < 2 { throw ValidationError("--compare-every must be >= 2") }
        if let budget, budget < 1 { throw ValidationError("--budget must be >= 1") }
    }

    func run() throws {
        do {
            let (labels, _, _, posesLine) = try input.loadLabelledFrames(dense)
            if json { FileHandle.standardError.write(Data((posesLine + "\n").utf8)) } else { print(posesLine) }
            var options = SuggestionOptions(maximumCenterError: maxError)
            options.maximumGap = maxGap
            let suggestion = try budget.map { try KeyframeSuggestion.suggest(labels, budget: $0, options: options) }
                ?? KeyframeSuggestion.suggest(labels, options: options)
            for track in suggestion {
                if json {
                    print(jsonLine(track))
                } else {
                    let names = track.frames.map { labels.frames[$0].name }
                    print("track \(track.track) \(track.category): \(track.frames.count) of \(track.boxes) frames, worst centre error "
                        + String(format: "%.3f m: ", track.worstCenterError) + names.joined(separator: " "))
                }
            }
            let total = suggestion.reduce(0) { $0 + $1.frames.count }, boxes = suggestion.reduce(0) { $0 + $1.boxes }
            if !json {
                print("\(suggestion.count) tracks: \(total) keyframes to label of \(boxes) boxes ("
                    + (budget.map { "budget \($0)" } ?? "max error \(maxError) m") + ")")
            }
            if let compareEvery {
                let fillOptions = InterpolationOptions(method: method)
                let chosenKeys = KeyframeSuggestion.keyframes(of: labels, suggestion: suggestion)
                let regularKeys = InterpolationEvaluation.keyframes(of: labels, every: compareEvery)
                let chosen = try InterpolationEvaluation.evaluate(gold: labels, keyframes: chosenKeys, keyframeEvery: 0, options: fillOptions)
                let regular = try InterpolationEvaluation.evaluate(gold: labels, every: compareEvery, options: fillOptions)
                // Both scored only on the boxes both fill (neither labels them and both fill them).
                let common = InterpolationEvaluation.commonlyScored(labels, keyframeSets: [chosenKeys, regularKeys])
                let chosenCommon = try InterpolationEvaluation.evaluate(gold: common, keyframes: chosenKeys, keyframeEvery: 0, options: fillOptions)
                let regularCommon = try InterpolationEvaluation.evaluate(gold: common, keyframes: regularKeys, keyframeEvery: compareEvery,
                                                                         options: fillOptions)
                let regularWithEnds = try InterpolationEvaluation.evaluate(
                    gold: labels, keyframes: InterpolationEvaluation.keyframes(of: labels, everyWithTrackEnds: compareEvery),
                    keyframeEvery: compareEvery, options: fillOptions)
                if json {
                    print(jsonLine(chosen))
                    print(jsonLine(regular))
                    print(jsonLine(regularWithEnds))
                    print(jsonLine(chosenCommon))
                    print(jsonLine(regularCommon))
                } else {
                    print(accuracyText(chosen, label: "suggested"))
                    print(accuracyText(regular, label: String(format: "every %-3d", compareEvery)))
                    print(accuracyText(regularWithEnds, label: String(format: "every %d + track ends", compareEvery)))
                    print("on the boxes both the suggestion and keyframes every \(compareEvery) frames fill (neither labels them):")
                    print(accuracyText(chosenCommon, label: "suggested"))
                    print(accuracyText(regularCommon, label: String(format: "every %-3d", compareEvery)))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            reportError(error, path: dense)
            throw ExitCode(1)
        }
    }
}

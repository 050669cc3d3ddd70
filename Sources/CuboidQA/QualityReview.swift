public import CuboidDatasets
public import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation

/// One tasker's labels, by the name the report uses.
public struct TaskerLabels: Sendable {
    public var name: String
    public var labels: LabelSet

    public init(name: String, labels: LabelSet) {
        self.name = name
        self.labels = labels
    }
}

/// Detection figures of one class, with AP and tracking when the labels allow them.
public struct ClassReport: Sendable, Hashable, Codable {
    public var category: String
    public var detection: DetectionMetrics
    /// Present when every labelled box of the class has a score.
    public var averagePrecision: AveragePrecision?
    /// Present when every counted gold box and labelled box of the class has a track id.
    public var tracking: TrackingMetrics?

    public init(category: String, detection: DetectionMetrics, averagePrecision: AveragePrecision? = nil, tracking: TrackingMetrics? = nil) {
        self.category = category
        self.detection = detection
        self.averagePrecision = averagePrecision
        self.tracking = tracking
    }
}

/// One frame's figures for one tasker, over all evaluated classes.
public struct FrameReport: Sendable, Hashable, Codable {
    public var frame: String
    public var detection: DetectionMetrics
}

/// How often a matched pair agrees on one attribute.
public struct AttributeAgreement: Sendable, Hashable, Codable {
    public var attribute: String
    public var compared: Int
    public var agreed: Int
    public var rate: Double { compared == 0 ? 1 : Double(agreed) / Double(compared) }
}

/// A cell of the class confusion table: gold class (rows; `none` for extras) against labelled class
/// (columns; `none` for misses).
public struct ConfusionCell: Sendable, Hashable, Codable {
    public var gold: String
    public var labelled: String
    public var count: Int

    public init(gold: String, labelled: String, count: Int) {
        self.gold = gold
        self.labelled = labelled
        self.count = count
    }
}

/// What was left out of one tasker's scores, and why: nothing is dropped silently.
public struct QASkips: Sendable, Hashable, Codable {
    /// Frames the gold has and the tasker lacks (skipped, or scored as empty).
    public var framesOnlyInGold: [String] = []
    /// Frames the tasker has and the gold lacks (skipped, or scored as all extras).
    public var framesOnlyInLabels: [String] = []
    /// Boxes of classes neither evaluated nor known, by class, on the tasker's side and the gold's.
    public var unknownLabelClasses: [String: Int] = [:]
    public var unknownGoldClasses: [String: Int] = [:]
    /// Boxes of known classes that are not evaluated (Misc, Van...), on each side.
    public var notEvaluatedLabels = 0
    public var notEvaluatedGold = 0
    /// Boxes that lack the geometry the criterion compares (a cuboid, or a 2D box in the camera).
    public var labelsWithoutGeometry = 0
    public var goldWithoutGeometry = 0
    /// Counted gold boxes ignored by the gold filters (range, points, difficulty) or as neighbours.
    public var ignoredGold = 0
}

/// Everything QA found for one tasker.
public struct TaskerReport: Sendable, Hashable, Codable {
    public var name: String
    /// All evaluated classes together.
    public var overall: DetectionMetrics
    public var classes: [ClassReport]
    public var frames: [FrameReport]
    public var findings: [QAFinding]
    public var confusion: [ConfusionCell]
    public var attributes: [AttributeAgreement]
    public var skips: QASkips

    /// The value of a gate metric (nil when it cannot be computed, such as MOTA without track ids).
    public func value(of metric: GateMetric) -> Double? {
        switch metric {
        case .f1: overall.f1
        case .precision: overall.precision
        case .recall: overall.recall
        case .meanIoU: overall.meanIoU
        case .mota:
            classes.compactMap(\.tracking).isEmpty ? nil
                : { let t = classes.compactMap(\.tracking); return 1 - Double(t.reduce(0) { $0 + $1.misses + $1.falsePositives + $1.identitySwitches }) / Double(max(1, t.reduce(0) { $0 + $1.objects })) }()
        }
    }
}

/// The result of a QA run.
public struct QAReport: Sendable, Hashable, Codable {
    /// Whether this is an agreement between two taskers (no gold).
    public var isAgreement: Bool
    /// What the gold (or, for agreement, the first tasker) is called.
    public var goldName: String
    public var configuration: QAConfiguration
    /// Frames scored (gold frames, plus frames scored as empty).
    public var frameCount: Int
    public var taskers: [TaskerReport]
}

/// What one share of a batch's frames leaves for ``QualityReview/report(merging:threads:)``: the
/// batch's identity (configuration, taskers, every frame's name, skips) and the outcome of each frame
/// the share scored, exactly (stored as JSON by `cuboid qa --shard`).
public struct QAShard: Sendable, Hashable, Codable {
    struct ScoredFrame: Sendable, Hashable, Codable {
        /// Position in ``QAShard/frameNames``.
        var index: Int
        /// One outcome per tasker.
        var outcomes: [FrameOutcome]
    }

    /// The share, or nil for a whole batch.
    public var shard: BatchShard?
    public var configuration: QAConfiguration
    public var isAgreement: Bool
    public var goldName: String
    public var taskerNames: [String]
    /// Every frame of the batch, in order.
    public var frameNames: [String]
    var skips: [QASkips]
    var frames: [ScoredFrame]

    /// Frames this share scored.
    public var scoredFrames: Int { frames.count }

    /// The shard as JSON (doubles written to round-trip exactly).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// Reads a shard's JSON.
    /// - Throws: `DecodingError` for a file that is not a shard.
    public static func decode(_ bytes: [UInt8]) throws -> QAShard { try JSONDecoder().decode(QAShard.self, from: Data(bytes)) }
}

/// Shares that cannot be merged into one report.
public enum QAMergeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The shares do not come from the same batch, taskers and configuration.
    case mismatch(String)
    /// Frames no share scored.
    case missingFrames([String])
    /// Frames more than one share scored.
    case duplicateFrames([String])

    public var description: String {
        switch self {
        case .mismatch(let reason): reason
        case .missingFrames(let frames): "no shard scored \(frames.count) frame(s): \(frames.prefix(10).joined(separator: ", ")) (is a shard missing?)"
        case .duplicateFrames(let frames): "\(frames.count) frame(s) were scored by two shards: \(frames.prefix(10).joined(separator: ", "))"
        }
    }
}

/// Labels that cannot be scored as the configuration demands.
public enum QAInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A class neither evaluated nor known, with `unknownClasses: error`.
    case unknownClass(side: String, frame: String, name: String)
    /// Frames one side lacks, with `missingFrames: error`.
    case missingFrames(side: String, frames: [String])
    /// Two frames of one side share a name.
    case duplicateFrame(side: String, frame: String)
    /// No tasker was given, or two share a name.
    case taskers(String)

    public var description: String {
        switch self {
        case .unknownClass(let side, let frame, let name):
            "\(side), frame \(frame): unknown class '\(name)' (not in the configuration's classes or known list; map it with classMap, or set unknownClasses to skip)"
        case .missingFrames(let side, let frames):
            "\(side) lacks \(frames.count) frame\(frames.count == 1 ? "" : "s") the other side has: \(frames.prefix(10).joined(separator: ", "))\(frames.count > 10 ? ", ..." : "") (set missingFrames to skip or empty)"
        case .duplicateFrame(let side, let frame): "\(side): two frames are named \(frame)"
        case .taskers(let reason): reason
        }
    }
}

/// Scores taskers' labels against gold (or two taskers against each other), frame by frame.
public enum QualityReview {
    /// Scores every tasker against the gold.
    /// - Parameters:
    ///   - gold: The gold labels (sensor frame). For agreement, the first tasker.
    ///   - taskers: The labels to score, in the gold's sensor frame; frames are paired by name, or by
    ///     number when both names are numbers (`0000000010` and `000010`).
    ///   - configuration: Matching, classes, filters and tolerances (validated here).
    ///   - sequence: The recording, for the returns inside boxes (filters, feedback) and the cameras
    ///     (DontCare regions, 2D filters); frames paired by name. nil: no point counts.
    ///   - agreement: Score two taskers symmetrically (no gold filters or ignored boxes).
    ///   - threads: Worker threads over frames.
    ///   - progress: Called with (frames done, frames in all) after each frame, from a worker thread, one call at a time.
    /// - Throws: ``ConfigurationFileError``, ``QAInputError``, or file errors from reading the sweeps.
    /// - Complexity: O(F (G L)) similarities plus one optimal assignment per frame and class.
    public static func evaluate(gold: LabelSet, taskers: [TaskerLabels], configuration: QAConfiguration, sequence: SensorSequence? = nil,
                                agreement: Bool = false, threads: Int = Parallelism.availableCores,
                                progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> QAReport {
        let scored = try scoreShard(gold: gold, taskers: taskers, configuration: configuration, sequence: sequence, agreement: agreement,
                                    goldName: agreement ? "first tasker" : "gold", shard: nil, threads: threads, progress: progress)
        return try report(merging: [scored], threads: threads)
    }

    /// Scores one share of a batch's frames (every N-th frame of the gold's order from the K-th), for
    /// N machines to split a batch; ``report(merging:threads:)`` combines the shares into the report a
    /// single run gives. With `shard` nil every frame is scored. Parameters and errors as in
    /// ``evaluate(gold:taskers:configuration:sequence:agreement:threads:progress:)``; `goldName`
    /// names the gold side in the report.
    /// - Complexity: O(F/N (G L)).
    public static func scoreShard(gold: LabelSet, taskers: [TaskerLabels], configuration: QAConfiguration, sequence: SensorSequence? = nil,
                                  agreement: Bool = false, goldName: String = "gold", shard: BatchShard?,
                                  threads: Int = Parallelism.availableCores,
                                  progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> QAShard {
        try configuration.validate()
        guard !taskers.isEmpty else { throw QAInputError.taskers("no labels to score: give at least one --labels") }
        let names = taskers.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw QAInputError.taskers("two taskers are named \(duplicate): name them with NAME=PATH")
        }
        let goldSide = agreement ? "tasker \(taskers[0].name)" : "gold"
        let goldFrames = try index(gold, side: goldSide)
        // The frames scored: the gold's, then (with missingFrames: empty) the taskers' extra ones.
        var frameNames = gold.frames.map(\.name)
        var skips = [QASkips](repeating: QASkips(), count: taskers.count)
        var labelFrames: [[String: Int]] = []
        for (t, tasker) in taskers.enumerated() {
            let frames = try index(tasker.labels, side: "tasker \(tasker.name)")
            labelFrames.append(frames)
            skips[t].framesOnlyInGold = gold.frames.map(\.name).filter { frames[frameKey($0)] == nil }
            skips[t].framesOnlyInLabels = tasker.labels.frames.map(\.name).filter { goldFrames[frameKey($0)] == nil }
            switch configuration.missingFrames {
            case .error:
                if !skips[t].framesOnlyInGold.isEmpty { throw QAInputError.missingFrames(side: "tasker \(tasker.name)", frames: skips[t].framesOnlyInGold) }
                if !skips[t].framesOnlyInLabels.isEmpty { throw QAInputError.missingFrames(side: goldSide, frames: skips[t].framesOnlyInLabels) }
            case .empty:
                for name in skips[t].framesOnlyInLabels where !frameNames.contains(where: { frameKey($0) == frameKey(name) }) { frameNames.append(name) }
            case .skip: break
            }
        }
        try checkClasses(gold, side: goldSide, configuration: configuration)
        for tasker in taskers { try checkClasses(tasker.labels, side: "tasker \(tasker.name)", configuration: configuration) }

        let cameraName = configuration.camera ?? defaultCamera(gold)
        let sequenceIndex = Dictionary((sequence?.frames ?? []).enumerated().map { (frameKey($1.name), $0) }, uniquingKeysWith: { a, _ in a })
        let needsPoints = sequence != nil
        // Per frame of the share, in parallel: every tasker's matches, findings and figures.
        let selected = shard.map { $0.select(Array(frameNames.indices)) } ?? Array(frameNames.indices)
        var results = [[FrameOutcome]?](repeating: nil, count: selected.count)
        var firstError: (any Error)?
        let lock = NSLock()
        var done = 0
        let chunk = max(1, min(16, selected.count / max(1, threads * 4)))
        forEachChunk(count: selected.count, threads: max(1, threads), chunkSize: chunk) { range in
            for position in range {
                let f = selected[position]
                let name = frameNames[f]
                do {
                    let key = frameKey(name)
                    let goldFrame = goldFrames[key].map { gold.frames[$0] } ?? LabeledFrame(name: name)
                    var cloud: PointCloud?
                    var camera = gold.cameras.first { $0.name == cameraName }
                    if let sequence, let s = sequenceIndex[key] {
                        if needsPoints { cloud = try sequence.pointCloud(at: s) }
                        if let cameraName, let found = try sequence.cameras(at: s).first(where: { $0.name == cameraName }) { camera = found }
                    }
                    let frameMatcher = FrameMatcher(configuration: configuration, camera: camera, cameraName: cameraName, symmetric: agreement)
                    var outcomes: [FrameOutcome] = []
                    for (t, tasker) in taskers.enumerated() {
                        let labelFrame: LabeledFrame
                        if let k = labelFrames[t][key] {
                            labelFrame = tasker.labels.frames[k]
                        } else if goldFrames[key] != nil && configuration.missingFrames == .empty {
                            labelFrame = LabeledFrame(name: name)
                        } else {
                            outcomes.append(FrameOutcome(scored: false))
                            continue
                        }
                        if goldFrames[key] == nil && configuration.missingFrames != .empty {
                            outcomes.append(FrameOutcome(scored: false))
                            continue
                        }
                        outcomes.append(frameMatcher.evaluate(gold: goldFrame, labelled: labelFrame, cloud: cloud))
                    }
                    lock.lock()
                    results[position] = outcomes
                    done += 1
                    progress?(done, selected.count)
                    lock.unlock()
                } catch {
                    lock.lock()
                    if firstError == nil { firstError = error }
                    lock.unlock()
                }
            }
        }
        if let firstError { throw firstError }
        return QAShard(shard: shard, configuration: configuration, isAgreement: agreement, goldName: goldName, taskerNames: names,
                       frameNames: frameNames, skips: skips,
                       frames: zip(selected, results).map { QAShard.ScoredFrame(index: $0, outcomes: $1!) })
    }

    /// The report of a whole batch from the shares that scored it.
    /// - Throws: ``QAMergeError`` when the shares come from different batches or configurations, or do
    ///   not cover every frame exactly once.
    /// - Complexity: O(frames x taskers) plus AP and tracking per tasker and class.
    public static func report(merging shards: [QAShard], threads: Int = Parallelism.availableCores) throws(QAMergeError) -> QAReport {
        guard let first = shards.first else { throw .mismatch("no shards to merge") }
        for other in shards.dropFirst() {
            if other.configuration != first.configuration { throw .mismatch("the shards were scored with different configurations") }
            if other.taskerNames != first.taskerNames || other.goldName != first.goldName || other.isAgreement != first.isAgreement {
                throw .mismatch("the shards score different taskers or gold")
            }
            if other.frameNames != first.frameNames || other.skips != first.skips { throw .mismatch("the shards come from different batches") }
        }
        var outcomes = [[FrameOutcome]?](repeating: nil, count: first.frameNames.count)
        var duplicated: [String] = []
        for shard in shards {
            for frame in shard.frames {
                if outcomes[frame.index] != nil { duplicated.append(first.frameNames[frame.index]) }
                outcomes[frame.index] = frame.outcomes
            }
        }
        if !duplicated.isEmpty { throw .duplicateFrames(duplicated) }
        let missing = first.frameNames.indices.filter { outcomes[$0] == nil }.map { first.frameNames[$0] }
        if !missing.isEmpty { throw .missingFrames(missing) }
        return summarizeAll(first, outcomes: outcomes.map { $0! }, threads: threads)
    }

    /// The report of one share alone: frames other shares score count as not scored.
    public static func report(partial shard: QAShard, threads: Int = Parallelism.availableCores) -> QAReport {
        let unscored = [FrameOutcome](repeating: FrameOutcome(scored: false), count: shard.taskerNames.count)
        var outcomes = [[FrameOutcome]](repeating: unscored, count: shard.frameNames.count)
        for frame in shard.frames { outcomes[frame.index] = frame.outcomes }
        return summarizeAll(shard, outcomes: outcomes, threads: threads)
    }

    private static func summarizeAll(_ shard: QAShard, outcomes: [[FrameOutcome]], threads: Int) -> QAReport {
        let configuration = shard.configuration
        let matcher = FrameMatcher(configuration: configuration, camera: nil, cameraName: nil, symmetric: shard.isAgreement)
        let lock = NSLock()
        var reports = [TaskerReport?](repeating: nil, count: shard.taskerNames.count)
        forEachChunk(count: shard.taskerNames.count, threads: max(1, threads), chunkSize: 1) { range in
            for t in range {
                let report = summarize(tasker: t, name: shard.taskerNames[t], frameNames: shard.frameNames, results: outcomes, skips: shard.skips[t],
                                       configuration: configuration, matcher: matcher, agreement: shard.isAgreement)
                lock.lock()
                reports[t] = report
                lock.unlock()
            }
        }
        return QAReport(isAgreement: shard.isAgreement, goldName: shard.goldName, configuration: configuration,
                        frameCount: shard.frameNames.count, taskers: reports.map { $0! })
    }

    /// One tasker's figures from the frames' outcomes, in frame order.
    private static func summarize(tasker t: Int, name: String, frameNames: [String], results: [[FrameOutcome]], skips: QASkips,
                                  configuration: QAConfiguration, matcher: FrameMatcher, agreement: Bool) -> TaskerReport {
        var report = TaskerReport(name: name, overall: DetectionMetrics(), classes: [], frames: [], findings: [], confusion: [],
                                  attributes: [], skips: skips)
        report.findings.reserveCapacity(frameNames.indices.reduce(0) { $0 + results[$1][t].findings.count })
        var perClass: [String: DetectionMetrics] = [:]
        var apFrames: [String: [APFrame]] = [:]
        var tracking: [String: TrackingAccumulator] = [:]
        var trackable = Set(configuration.evaluatedClasses), tracked = Set<String>()
        var confusion: [String: Int] = [:]
        var attributes: [String: AttributeCount] = [:]
        var scored = Set(configuration.evaluatedClasses)
        for (f, name) in frameNames.enumerated() {
            let outcome = results[f][t]
            guard outcome.scored else { continue }
            var frameMetrics = DetectionMetrics()
            for match in outcome.classes {
                perClass[match.category, default: DetectionMetrics()] += match.metrics
                frameMetrics += match.metrics
                apFrames[match.category, default: []].append(match.apFrame)
                if match.apFrame.scores.contains(nil) { scored.remove(match.category) }
                if let input = match.tracking {
                    if !input.gold.isEmpty || !input.labels.isEmpty { tracked.insert(match.category) }
                    tracking[match.category, default: TrackingAccumulator()].add(input)
                } else {
                    trackable.remove(match.category)
                }
            }
            report.frames.append(FrameReport(frame: name, detection: frameMetrics))
            report.findings += outcome.findings
            for (key, count) in outcome.confusion { confusion[key, default: 0] += count }
            for (key, value) in outcome.attributes {
                attributes[key, default: AttributeCount()].compared += value.compared
                attributes[key, default: AttributeCount()].agreed += value.agreed
            }
            report.skips.unknownLabelClasses.merge(outcome.skips.unknownLabelClasses, uniquingKeysWith: +)
            report.skips.unknownGoldClasses.merge(outcome.skips.unknownGoldClasses, uniquingKeysWith: +)
            report.skips.notEvaluatedLabels += outcome.skips.notEvaluatedLabels
            report.skips.notEvaluatedGold += outcome.skips.notEvaluatedGold
            report.skips.labelsWithoutGeometry += outcome.skips.labelsWithoutGeometry
            report.skips.goldWithoutGeometry += outcome.skips.goldWithoutGeometry
            report.skips.ignoredGold += outcome.skips.ignoredGold
        }
        for category in configuration.evaluatedClasses {
            let metrics = perClass[category] ?? DetectionMetrics()
            report.overall += metrics
            let frames = apFrames[category] ?? []
            let hasLabels = frames.contains { !$0.scores.isEmpty }
            let ap = scored.contains(category) && hasLabels
                ? AveragePrecisionCalculator.compute(frames, threshold: matcher.threshold(category), cocoRange: configuration.match == .iou2D) : nil
            let track = trackable.contains(category) && tracked.contains(category) && !agreement ? (tracking[category] ?? TrackingAccumulator()).finished() : nil
            report.classes.append(ClassReport(category: category, detection: metrics, averagePrecision: ap, tracking: track))
        }
        report.confusion = confusion.map { key, count in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            return ConfusionCell(gold: parts[0], labelled: parts[1], count: count)
        }.sorted { ($0.gold, $0.labelled) < ($1.gold, $1.labelled) }
        report.attributes = attributes.map { AttributeAgreement(attribute: $0.key, compared: $0.value.compared, agreed: $0.value.agreed) }
            .sorted { $0.attribute < $1.attribute }
        return report
    }

    /// Two taskers' agreement: the first tasker stands in for gold, with nothing filtered or ignored,
    /// so the figures that do not depend on the order (matches, F1, mean IoU, ATE, ASE, AOE) are
    /// the same either way round; precision and recall swap.
    public static func agreement(_ first: TaskerLabels, _ second: TaskerLabels, configuration: QAConfiguration,
                                 sequence: SensorSequence? = nil, threads: Int = Parallelism.availableCores) throws -> QAReport {
        let scored = try scoreShard(gold: first.labels, taskers: [second], configuration: configuration, sequence: sequence, agreement: true,
                                    goldName: first.name, shard: nil, threads: threads)
        return try report(merging: [scored], threads: threads)
    }

    private static func index(_ set: LabelSet, side: String) throws(QAInputError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (k, frame) in set.frames.enumerated() {
            guard index[frameKey(frame.name)] == nil else { throw .duplicateFrame(side: side, frame: frame.name) }
            index[frameKey(frame.name)] = k
        }
        return index
    }

    private static func checkClasses(_ set: LabelSet, side: String, configuration: QAConfiguration) throws(QAInputError) {
        guard configuration.unknownClasses == .error else { return }
        for frame in set.frames {
            for object in frame.objects {
                let name = configuration.canonical(object.category)
                if configuration.classes[name] == nil && !configuration.known.contains(name) {
                    throw .unknownClass(side: side, frame: frame.name, name: object.category)
                }
            }
        }
    }

    /// The key frames are paired by: the name, or the number when the name is all digits
    /// (`0000000010` pairs with `000010`, as KITTI raw and KITTI tracking number the same frame).
    static func frameKey(_ name: String) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(name) else { return name }
        return String(number)
    }

    /// The camera the gold's 2D boxes use when there is exactly one (KITTI's `image_2`), or the first.
    static func defaultCamera(_ set: LabelSet) -> String? {
        var names = Set<String>()
        for frame in set.frames.prefix(50) { for object in frame.objects { names.formUnion(object.boxes.keys) } }
        if names.contains(LabeledObject.kittiCamera) { return LabeledObject.kittiCamera }
        return names.sorted().first ?? set.cameras.first?.name
    }
}

/// Matched pairs compared on one attribute, and how many agreed.
struct AttributeCount: Sendable, Hashable, Codable {
    var compared = 0
    var agreed = 0
}

/// One frame of one tasker, as the per-frame pass leaves it for the per-tasker sums (and as a shard
/// stores it for `cuboid qa merge`).
struct FrameOutcome: Sendable, Hashable, Codable {
    struct ClassOutcome: Sendable, Hashable, Codable {
        var category: String
        var metrics: DetectionMetrics
        var apFrame: APFrame
        /// nil when a box lacks a track id.
        var tracking: TrackingInput?
    }

    var scored: Bool
    var classes: [ClassOutcome] = []
    var findings: [QAFinding] = []
    /// Counts by "gold\0labelled".
    var confusion: [String: Int] = [:]
    var attributes: [String: AttributeCount] = [:]
    var skips = QASkips()
}

extension FrameMatcher {
    /// The frame's objects as the matcher sees them: classes renamed, geometry and point counts taken.
    func prepare(_ frame: LabeledFrame, counts: [Int]?) -> [PreparedObject] {
        frame.objects.enumerated().map { index, object in
            PreparedObject(index: index, category: configuration.canonical(object.category), cuboid: object.cuboid,
                           box: cameraName.flatMap { object.boxes[$0] }, points: counts?[index])
        }
    }

    /// Scores one frame of one tasker: matching per class, then the findings.
    func evaluate(gold goldFrame: LabeledFrame, labelled labelFrame: LabeledFrame, cloud: PointCloud?) -> FrameOutcome {
        var outcome = FrameOutcome(scored: true)
        let gold = prepare(goldFrame, counts: cloud.map { $0.pointCounts(inside: goldFrame.objects) })
        let labelled = prepare(labelFrame, counts: cloud.map { $0.pointCounts(inside: labelFrame.objects) })
        let known = Set(configuration.known)
        for (side, objects) in [(0, gold), (1, labelled)] {
            for object in objects where configuration.classes[object.category] == nil {
                if object.category == configuration.gold.dontCareClass { continue }
                if known.contains(object.category) {
                    if side == 0 { outcome.skips.notEvaluatedGold += 1 } else { outcome.skips.notEvaluatedLabels += 1 }
                } else if side == 0 {
                    outcome.skips.unknownGoldClasses[object.category, default: 0] += 1
                } else {
                    outcome.skips.unknownLabelClasses[object.category, default: 0] += 1
                }
            }
            for object in objects where configuration.classes[object.category] != nil && !hasGeometry(object) {
                if side == 0 { outcome.skips.goldWithoutGeometry += 1 } else { outcome.skips.labelsWithoutGeometry += 1 }
            }
        }
        let dontCare = symmetric ? [] : gold.compactMap { $0.category == configuration.gold.dontCareClass ? $0.box : nil }
        var leftoverGold: [(category: String, object: PreparedObject)] = []
        var leftoverLabels: [(category: String, object: PreparedObject)] = []
        var matchedGold: [(category: String, gold: PreparedObject, label: PreparedObject)] = []
        for category in configuration.evaluatedClasses {
            let match = self.match(category: category, gold: gold, goldSource: goldFrame.objects, labelled: labelled, dontCare: dontCare)
            var metrics = DetectionMetrics()
            metrics.truePositives = match.matches.count
            metrics.falseNegatives = match.counted.count - match.matches.count
            metrics.falsePositives = match.labelled.count - match.matches.count - match.ignoredLabels.count
            metrics.ignoredLabels = match.ignoredLabels.count
            outcome.skips.ignoredGold += match.ignoredGold.filter { $0.category == category }.count
            let tolerances = configuration.tolerances
            for pair in match.matches {
                let g = match.counted[pair.gold], l = match.labelled[pair.label]
                metrics.overlapSum += pair.overlap
                let deviation: BoxDeviation
                if configuration.match.usesCuboids {
                    let a = g.cuboid!, b = l.cuboid!
                    metrics.translationErrorSum += planarDistance(a, b)
                    metrics.scaleErrorSum += 1 - alignedVolumeIoU(a, b)
                    metrics.orientationErrorSum += abs(shortestArc(from: a.yaw, to: b.yaw))
                    deviation = BoxDeviation(gold: a, labelled: b)
                } else {
                    let a = g.box!, b = l.box!
                    let dx = a.center.x - b.center.x, dy = a.center.y - b.center.y
                    metrics.translationErrorSum += (dx * dx + dy * dy).squareRoot()
                    let intersection = min(a.width, b.width) * min(a.height, b.height)
                    let union = a.area + b.area - intersection
                    metrics.scaleErrorSum += union > 0 ? 1 - intersection / union : 0
                    deviation = BoxDeviation(gold: a, labelled: b)
                }
                outcome.confusion[category + "\u{0}" + category, default: 0] += 1
                let words = deviation.describe(tolerances)
                if !words.isEmpty {
                    metrics.inaccurate += 1
                    outcome.findings.append(finding(.inaccurate, frame: goldFrame, labelFrame: labelFrame, category: category, gold: g, label: l,
                                                    overlap: pair.overlap, deviation: deviation, words: words))
                }
                matchedGold.append((category, g, l))
                compareAttributes(goldFrame.objects[g.index], labelFrame.objects[l.index], into: &outcome.attributes)
            }
            let matchedGoldSet = Set(match.matches.map(\.gold)), matchedLabelSet = Set(match.matches.map(\.label))
            for (k, object) in match.counted.enumerated() where !matchedGoldSet.contains(k) { leftoverGold.append((category, object)) }
            for (k, object) in match.labelled.enumerated() where !matchedLabelSet.contains(k) && !match.ignoredLabels.contains(k) {
                leftoverLabels.append((category, object))
            }
            outcome.classes.append(FrameOutcome.ClassOutcome(category: category, metrics: metrics,
                                                             apFrame: apFrame(match, labelFrame: labelFrame),
                                                             tracking: trackingInput(match, goldFrame: goldFrame, labelFrame: labelFrame)))
        }
        // Labelled boxes of known classes that are not evaluated can explain a miss ("labelled Van, gold Car").
        for object in labelled where configuration.classes[object.category] == nil && known.contains(object.category) && hasGeometry(object) {
            leftoverLabels.append((object.category, object))
        }
        explainLeftovers(gold: leftoverGold, labels: leftoverLabels, matched: matchedGold, goldFrame: goldFrame, labelFrame: labelFrame,
                         into: &outcome)
        return outcome
    }

    /// Pairs the frame's unmatched gold and labelled boxes that lie near each other, so that the
    /// feedback says "labelled Van, gold Car" or "too far off" instead of a miss and an extra; what
    /// stays unpaired becomes "missed", "duplicate" or "extra".
    func explainLeftovers(gold: [(category: String, object: PreparedObject)], labels: [(category: String, object: PreparedObject)],
                          matched: [(category: String, gold: PreparedObject, label: PreparedObject)],
                          goldFrame: LabeledFrame, labelFrame: LabeledFrame, into outcome: inout FrameOutcome) {
        var pairedGold = Set<Int>(), pairedLabels = Set<Int>()
        if !gold.isEmpty && !labels.isEmpty {
            let similarities = similarity(labels.map(\.object), gold.map(\.object))
            // Near: IoU at least 0.1, or centres within twice the class distance.
            var cost = Matrix(rows: labels.count, columns: gold.count, repeating: .nan)
            for l in labels.indices {
                for g in gold.indices {
                    let value = similarities[l, g]
                    let near = configuration.match == .centerDistance
                        ? -value <= 2 * configuration.classes[gold[g].category]!.distance : value >= 0.1
                    guard near else { continue }
                    let normalised = configuration.match == .centerDistance ? 1 / (1 - value) : value
                    cost[l, g] = -(normalised + (labels[l].category == gold[g].category ? 1 : 0))
                }
            }
            for pair in optimalAssignment(cost: cost) {
                let g = gold[pair.column], l = labels[pair.row]
                pairedGold.insert(pair.column)
                pairedLabels.insert(pair.row)
                let value = similarities[pair.row, pair.column]
                let overlap = overlap(g.object, l.object, similarity: value)
                let deviation = configuration.match.usesCuboids
                    ? BoxDeviation(gold: g.object.cuboid!, labelled: l.object.cuboid!) : BoxDeviation(gold: g.object.box!, labelled: l.object.box!)
                let words = deviation.describe(configuration.tolerances)
                if g.category == l.category {
                    outcome.confusion[g.category + "\u{0}none", default: 0] += 1
                    outcome.confusion["none\u{0}" + l.category, default: 0] += 1
                    outcome.findings.append(finding(.belowThreshold, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object,
                                                    label: l.object, overlap: overlap, deviation: deviation, words: words))
                } else {
                    outcome.confusion[g.category + "\u{0}" + l.category, default: 0] += 1
                    outcome.findings.append(finding(.misclassified, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object,
                                                    label: l.object, overlap: overlap, deviation: deviation, words: words))
                }
            }
        }
        for (k, g) in gold.enumerated() where !pairedGold.contains(k) {
            outcome.confusion[g.category + "\u{0}none", default: 0] += 1
            outcome.findings.append(finding(.missed, frame: goldFrame, labelFrame: labelFrame, category: g.category, gold: g.object, label: nil,
                                            overlap: nil, deviation: nil, words: []))
        }
        for (k, l) in labels.enumerated() where !pairedLabels.contains(k) && configuration.classes[l.category] != nil {
            outcome.confusion["none\u{0}" + l.category, default: 0] += 1
            // A second box on a gold box that is already matched.
            let candidates = matched.filter { $0.category == l.category }
            var duplicateOf: (gold: PreparedObject, overlap: Double)?
            if !candidates.isEmpty {
                let values = similarity([l.object], candidates.map(\.gold))
                for (c, candidate) in candidates.enumerated() where values[0, c] >= threshold(l.category) {
                    let overlap = overlap(candidate.gold, l.object, similarity: values[0, c])
                    if duplicateOf.map({ overlap > $0.overlap }) ?? true { duplicateOf = (candidate.gold, overlap) }
                }
            }
            if let duplicateOf {
                outcome.findings.append(finding(.duplicate, frame: goldFrame, labelFrame: labelFrame, category: l.category, gold: duplicateOf.gold,
                                                label: l.object, overlap: duplicateOf.overlap, deviation: nil, words: []))
            } else {
                outcome.findings.append(finding(.extra, frame: goldFrame, labelFrame: labelFrame, category: l.category, gold: nil, label: l.object,
                                                overlap: nil, deviation: nil, words: []))
            }
        }
    }

    func finding(_ kind: FindingKind, frame goldFrame: LabeledFrame, labelFrame: LabeledFrame, category: String, gold: PreparedObject?,
                 label: PreparedObject?, overlap: Double?, deviation: BoxDeviation?, words: [String]) -> QAFinding {
        let subject = kind == .extra || kind == .duplicate ? label : gold ?? label
        let range = subject.flatMap { $0.cuboid.map(horizontalRange) }
        let points = subject?.points
        let thresholdText: String? = configuration.classes[category].map { rule in
            configuration.match == .centerDistance ? fixed(rule.distance, decimals: 2) + " m" : fixed(rule.threshold, decimals: 2)
        }
        let message = QAFinding.message(kind: kind, category: category, labelledCategory: label.map(\.category), overlap: overlap,
                                        threshold: thresholdText, range: range, points: points, deviation: words, criterion: configuration.match)
        let goldObject = gold.map { goldFrame.objects[$0.index] }, labelObject = label.map { labelFrame.objects[$0.index] }
        return QAFinding(kind: kind, frame: goldFrame.name, category: category, goldIndex: gold?.index, goldTrack: goldObject?.trackID,
                         labelIndex: label?.index, labelledCategory: label?.category, labelTrack: labelObject?.trackID, gold: goldObject,
                         labelled: labelObject, overlap: overlap, range: range, points: points, deviation: deviation, message: message)
    }

    /// Attribute agreement of one match.
    func compareAttributes(_ gold: LabeledObject, _ labelled: LabeledObject, into counts: inout [String: AttributeCount]) {
        let excluded: Set<String> = ["alpha", "truncated", "interpolation"]
        let names = configuration.attributes ?? gold.attributes.keys.filter { !excluded.contains($0) && labelled.attributes[$0] != nil }
        for name in names {
            guard let a = gold.attributes[name], let b = labelled.attributes[name] else { continue }
            counts[name, default: AttributeCount()].compared += 1
            if a == b { counts[name, default: AttributeCount()].agreed += 1 }
        }
    }

    /// The frame's input to average precision (NaN scores mark boxes without a score).
    func apFrame(_ match: ClassFrameMatch, labelFrame: LabeledFrame) -> APFrame {
        let onDontCare = match.labelled.indices.map { l in
            match.ignoredLabels.contains(l) && !match.pairs.contains { $0.label == l && $0.gold >= match.counted.count && $0.similarity >= threshold(match.category) }
        }
        return APFrame(countedGold: match.counted.count, ignoredGold: match.ignoredGold.count,
                       scores: match.labelled.map { labelFrame.objects[$0.index].score }, ignoredLabel: onDontCare, pairs: match.pairs)
    }

    /// The frame's input to tracking, or nil when a box lacks a track id.
    func trackingInput(_ match: ClassFrameMatch, goldFrame: LabeledFrame,
                       labelFrame: LabeledFrame) -> TrackingInput? {
        var goldIDs: [String] = []
        for object in match.counted {
            guard let id = goldFrame.objects[object.index].trackID else { return nil }
            goldIDs.append(id)
        }
        var labelIDs: [String] = [], position: [Int: Int] = [:]
        for (l, object) in match.labelled.enumerated() where !match.ignoredLabels.contains(l) {
            guard let id = labelFrame.objects[object.index].trackID else { return nil }
            position[l] = labelIDs.count
            labelIDs.append(id)
        }
        let threshold = threshold(match.category)
        var pairs: [TrackingInput.Pair] = []
        for pair in match.pairs where pair.gold < match.counted.count && pair.similarity >= threshold {
            guard let l = position[pair.label] else { continue }
            pairs.append(TrackingInput.Pair(gold: pair.gold, label: l,
                                            distance: configuration.match == .centerDistance ? -pair.similarity : 1 - pair.similarity))
        }
        return TrackingInput(gold: goldIDs, labels: labelIDs, pairs: pairs)
    }
}

/// nuScenes' scale IoU: the IoU of two boxes moved onto the same centre and heading.
func alignedVolumeIoU(_ a: Box3D, _ b: Box3D) -> Double {
    let intersection = min(a.length, b.length) * min(a.width, b.width) * min(a.height, b.height)
    let union = a.volume + b.volume - intersection
    return union > 0 ? intersection / union : 0
}

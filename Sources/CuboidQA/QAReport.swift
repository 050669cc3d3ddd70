public import CuboidDatasets
public import CuboidFormats
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
    /// nuScenes detection figures, when asked for (``MetricDefinition/nuscenes``), the class has gold
    /// and every labelled box a score.
    public var nuScenes: NuScenesDetection?
    /// KITTI AP per difficulty level, when asked for (``MetricDefinition/kitti``), the class has gold at
    /// some level and every box a 2D box and every labelled box a score.
    public var kitti: [KITTIAveragePrecision]?

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
    /// Agreed over compared; nil ("n/a") when no matched pair carried the attribute on both sides.
    public var rate: Double? { compared == 0 ? nil : Double(agreed) / Double(compared) }
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
    /// Labelled boxes of evaluated classes left out by the positional gold filters, which apply to both
    /// sides (beyond ``GoldFilter/maximumRange``, shorter than ``GoldFilter/minimumHeight``).
    public var filteredLabels = 0
    /// Class names on either side that were renamed before scoring (`car` -> `Car`: matched without
    /// case, or by the configuration's classMap), with the number of boxes.
    public var renamedClasses: [String: Int] = [:]
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

    /// The value of a gate metric over the scored classes (nil when it cannot be computed: nothing
    /// scored, precision without labelled boxes, recall or MOTA without gold, MOTA without track ids).
    /// `--fail-under` fails a tasker whose value is nil: nothing is never a pass.
    public func value(of metric: GateMetric) -> Double? {
        switch metric {
        case .f1: return overall.f1
        case .precision: return overall.precision
        case .recall: return overall.recall
        case .meanIoU: return overall.meanIoU
        case .mota:
            let tracks = classes.compactMap(\.tracking)
            let objects = tracks.reduce(0) { $0 + $1.objects }
            guard objects > 0 else { return nil }
            return 1 - Double(tracks.reduce(0) { $0 + $1.misses + $1.falsePositives + $1.identitySwitches }) / Double(objects)
        }
    }

    /// nuScenes mAP and mean true-positive errors over the classes that have nuScenes figures (the
    /// devkit's `mean_ap` and `tp_errors`; a class without AOE is left out of mean AOE); nil when none has.
    public var nuScenesMean: NuScenesDetection? {
        let figures = classes.compactMap(\.nuScenes)
        guard let first = figures.first else { return nil }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let orientation = figures.compactMap(\.orientationError)
        return NuScenesDetection(averagePrecisions: first.averagePrecisions.indices.map { k in mean(figures.map { $0.averagePrecisions[k] }) },
                                 meanAveragePrecision: mean(figures.map(\.meanAveragePrecision)),
                                 translationError: mean(figures.map(\.translationError)), scaleError: mean(figures.map(\.scaleError)),
                                 orientationError: orientation.isEmpty ? nil : mean(orientation))
    }

    /// Why nothing of this tasker was scored, or nil when something was: no frame in common with the
    /// gold, or no box of an evaluated class on either side of the common frames.
    public func emptiness(goldName: String, evaluated: [String]) -> String? {
        guard !overall.isScored else { return nil }
        func list(_ names: [String]) -> String {
            "\(names.count) frame\(names.count == 1 ? "" : "s")" + (names.isEmpty ? "" : ": " + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? "..." : ""))
        }
        if frames.isEmpty {
            return "tasker \(name): no frame names in common between \(goldName) (\(list(skips.framesOnlyInGold))) and the labels (\(list(skips.framesOnlyInLabels)))"
        }
        var seen: [String] = []
        let gold = skips.unknownGoldClasses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
        let labels = skips.unknownLabelClasses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
        if !gold.isEmpty { seen.append("\(goldName) has " + gold.joined(separator: ", ")) }
        if !labels.isEmpty { seen.append("the labels have " + labels.joined(separator: ", ")) }
        if skips.notEvaluatedGold + skips.notEvaluatedLabels > 0 {
            seen.append("\(skips.notEvaluatedGold) gold and \(skips.notEvaluatedLabels) labelled box(es) of known classes that are not evaluated")
        }
        if skips.ignoredGold > 0 { seen.append("\(skips.ignoredGold) gold box(es) ignored by the gold filters") }
        return "tasker \(name): nothing to score in \(frames.count) common frame\(frames.count == 1 ? "" : "s"): no box of the evaluated classes ("
            + evaluated.joined(separator: ", ") + ") on either side" + (seen.isEmpty ? "" : "; " + seen.joined(separator: "; "))
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

    /// Refuses a report of which a tasker scored nothing (no frame in common with the gold, or no box
    /// of an evaluated class on either side): its figures would be "n/a", not a pass.
    /// - Throws: ``QAInputError/nothingScored(_:)`` with the reason of each such tasker.
    public func requireScored() throws(QAInputError) {
        let reasons = taskers.compactMap { $0.emptiness(goldName: goldName, evaluated: configuration.evaluatedClasses) }
        if !reasons.isEmpty { throw .nothingScored(reasons) }
    }
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
    /// A tasker of whom nothing was scored (no frame in common, nothing of the evaluated classes), and
    /// why; refused unless the run allows empty results.
    case nothingScored([String])
    /// No tasker was given, or two share a name.
    case taskers(String)

    public var description: String {
        switch self {
        case .unknownClass(let side, let frame, let name):
            "\(side), frame \(frame): unknown class '\(name)' (not in the configuration's classes or known list; map it with classMap, or set unknownClasses to skip)"
        case .missingFrames(let side, let frames):
            "\(side) lacks \(frames.count) frame\(frames.count == 1 ? "" : "s") the other side has: \(frames.prefix(10).joined(separator: ", "))\(frames.count > 10 ? ", ..." : "") (set missingFrames, or --missing-frames, to skip or count-as-missed)"
        case .duplicateFrame(let side, let frame): "\(side): two frames are named \(frame)"
        case .nothingScored(let reasons):
            "nothing was scored, so there is no figure to pass or fail: " + reasons.joined(separator: "; ")
                + " (check the frame names and class names; pass --allow-empty to write the report anyway)"
        case .taskers(let reason): reason
        }
    }
}

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

public import CuboidDatasets
public import CuboidFormats
import Foundation

/// The figures `cuboid prelabel --score` prints and writes to `OUT/score.json`: per class, the gold
/// count, recall and precision at each BEV IoU threshold and, when both sides carry track ids, the
/// CLEAR MOT and identity figures at the first threshold.
///
/// JSON (`encoded`): `{"sequence", "frames", "tracked", "poses" (when the run says which ego poses
/// it used: given, estimate or none), "classes": [{"class", "gold", "thresholds":
/// [{"iou", "recall", "precision", "tp", "fn", "fp"}], "mota", "motp", "idf1", "idSwitches"}]}`, with
/// `null` for a recall without gold, a precision without predictions, and the tracking figures of an
/// untracked run (or without gold).
public struct SequenceScore: Sendable, Hashable, Encodable {
    /// One threshold's counts, summed over frames.
    public struct Threshold: Sendable, Hashable, Encodable {
        /// BEV IoU a hit needs.
        public var iou: Double
        public var truePositives: Int
        public var falseNegatives: Int
        public var falsePositives: Int

        public init(iou: Double, truePositives: Int, falseNegatives: Int, falsePositives: Int) {
            self.iou = iou
            self.truePositives = truePositives
            self.falseNegatives = falseNegatives
            self.falsePositives = falsePositives
        }

        /// Hits over counted gold; nil ("no gold") without counted gold.
        public var recall: Double? { truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives) }
        /// Hits over counted predictions; nil ("n/a") without counted predictions.
        public var precision: Double? { truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives) }

        enum CodingKeys: String, CodingKey { case iou, recall, precision, tp, fn, fp }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(iou, forKey: .iou)
            try container.encode(recall, forKey: .recall)
            try container.encode(precision, forKey: .precision)
            try container.encode(truePositives, forKey: .tp)
            try container.encode(falseNegatives, forKey: .fn)
            try container.encode(falsePositives, forKey: .fp)
        }
    }

    /// One class's figures.
    public struct Class: Sendable, Hashable, Encodable {
        /// The class (KITTI spelling).
        public var name: String
        /// Counted gold boxes over all frames.
        public var gold: Int
        /// One entry per threshold, ascending.
        public var thresholds: [Threshold]
        /// CLEAR MOT accuracy at the first threshold; nil when untracked or without gold.
        public var mota: Double?
        /// Mean `1 - BEV IoU` of the tracked matches (lower is better); nil when untracked or without matches.
        public var motp: Double?
        /// Identity F1; nil when untracked.
        public var idf1: Double?
        /// Identity switches; nil when untracked.
        public var identitySwitches: Int?

        public init(name: String, gold: Int, thresholds: [Threshold], mota: Double? = nil, motp: Double? = nil, idf1: Double? = nil,
                    identitySwitches: Int? = nil) {
            self.name = name
            self.gold = gold
            self.thresholds = thresholds
            self.mota = mota
            self.motp = motp
            self.idf1 = idf1
            self.identitySwitches = identitySwitches
        }

        enum CodingKeys: String, CodingKey { case name = "class", gold, thresholds, mota, motp, idf1, idSwitches }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(gold, forKey: .gold)
            try container.encode(thresholds, forKey: .thresholds)
            try container.encode(mota, forKey: .mota)
            try container.encode(motp, forKey: .motp)
            try container.encode(idf1, forKey: .idf1)
            try container.encode(identitySwitches, forKey: .idSwitches)
        }
    }

    /// The sequence's name (a KITTI tracking SEQ, else its folder's name).
    public var sequence: String
    /// Frames scored.
    public var frames: Int
    /// Whether the pre-labels carry track ids (the sequence had ego poses).
    public var tracked: Bool
    /// Which ego poses the run used (`given`, `estimate`: lidar odometry, `none`), when it says.
    public var poses: String?
    public var classes: [Class]

    public init(sequence: String, frames: Int, tracked: Bool, classes: [Class]) {
        self.sequence = sequence
        self.frames = frames
        self.tracked = tracked
        self.classes = classes
    }

    /// The JSON of `score.json`, keys sorted, ending in a newline.
    public var encoded: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain numbers, strings and nulls cannot fail.
        return Array(try! encoder.encode(self)) + [0x0A]
    }

    /// `Car: 12 gold; IoU 0.5 recall 0.917 precision 0.846 (tp 11, fn 1, fp 2); IoU 0.7 ...`: "no
    /// gold" stands for a recall without gold, "n/a" for a precision without predictions.
    public static func line(_ score: Class) -> String {
        let parts = score.thresholds.map {
            String(format: "IoU %.1f ", $0.iou) + ($0.recall.map { String(format: "recall %.3f", $0) } ?? "no gold")
                + " precision " + ($0.precision.map { String(format: "%.3f", $0) } ?? "n/a")
                + String(format: " (tp %d, fn %d, fp %d)", $0.truePositives, $0.falseNegatives, $0.falsePositives)
        }
        return "\(score.name): \(score.gold) gold; " + parts.joined(separator: "; ")
    }

    /// `Car tracking: MOTA 0.912, MOTP 0.213, IDF1 0.874, 3 ID switches (IoU 0.5)`; nil when untracked.
    public static func trackingLine(_ score: Class, iou: Double) -> String? {
        guard let switches = score.identitySwitches else { return nil }
        func figure(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "n/a" }
        return "\(score.name) tracking: MOTA \(figure(score.mota)), MOTP \(figure(score.motp)), IDF1 \(figure(score.idf1)), "
            + "\(switches) ID switches" + String(format: " (IoU %.1f)", iou)
    }
}

/// How `cuboid prelabel --score` scores pre-labels against a sequence's gold: ``QualityReview`` (the
/// evaluation `cuboid qa` runs) once per threshold with the criteria of ``configuration(threshold:regionCamera:classes:)``.
public enum SequenceScoring {
    /// The BEV IoU thresholds scored; tracking is scored at the first.
    public static let thresholds = [0.5, 0.7]
    /// The classes scored.
    public static let classes = ["Car", "Pedestrian", "Cyclist"]
    /// The overlap KITTI's benchmark asks of each class (the devkit's minimum overlaps: 0.7 for cars,
    /// 0.5 for people): the threshold a one-line summary reports.
    public static let benchmarkThresholds: [String: Double] = ["Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5]

    /// The QA configuration of one threshold, KITTI's evaluation rules: BEV IoU `threshold` for every
    /// class; gold counted within 40 m (horizontal range) holding at least 10 lidar returns, the rest
    /// of the class ignored, and so are neighbouring classes (Van for Car, Person_sitting for
    /// Pedestrian); with a region camera, predictions whose centre it does not see are ignored unless
    /// they match a gold box (gold beside the ego, centred beyond the image's edge, counts) and
    /// an unmatched box whose 2D box lies inside one DontCare region by more than the
    /// threshold is ignored (the devkit's rule); predictions beyond 40 m are left out.
    public static func configuration(threshold: Double, regionCamera: String?, classes: [String] = classes) -> QAConfiguration {
        var configuration = QAConfiguration()
        configuration.match = .bevIoU
        let neighbours = ["Car": ["Van"], "Pedestrian": ["Person_sitting"]]
        configuration.classes = Dictionary(uniqueKeysWithValues: classes.map { ($0, ClassRule(threshold: threshold, ignore: neighbours[$0] ?? [])) })
        configuration.camera = regionCamera
        configuration.gold = GoldFilter(maximumRange: 40, minimumPoints: 10, dontCareShare: nil, cameraViewOnly: regionCamera != nil)
        configuration.goldCheck.enabled = false
        return configuration
    }

    /// Scores `predictions` against `gold`.
    /// - Parameters:
    ///   - predictions: The pre-labels, sensor frame; frames paired with gold by name (or number).
    ///   - gold: Gold labels, sensor frame.
    ///   - sequence: The sweeps (returns inside gold boxes) and cameras; nil: no returns counted (every
    ///     gold box holds enough) and no camera.
    ///   - regionCamera: The camera whose view bounds the labelled region, or nil for the whole sweep.
    ///   - tracked: Whether the pre-labels carry track ids; the tracking figures are nil otherwise.
    ///   - classes: The classes scored (default Car, Pedestrian, Cyclist).
    ///   - threads: Threads for the matching and the sweeps.
    /// - Throws: QA input errors, or file errors from reading the sweeps and calibrations.
    public static func score(_ predictions: LabelSet, gold: LabelSet, sequence: SensorSequence?, regionCamera: String?, tracked: Bool,
                             classes: [String] = classes, threads: Int = 1) throws -> SequenceScore {
        var reports: [QAReport] = []
        for threshold in thresholds {
            reports.append(try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "prelabel", labels: predictions)],
                                                      configuration: configuration(threshold: threshold, regionCamera: regionCamera, classes: classes),
                                                      sequence: sequence, threads: threads))
        }
        let scored = reports[0].frameCount
        var result: [SequenceScore.Class] = []
        for name in classes {
            let perThreshold = reports.map { report in report.taskers[0].classes.first { $0.category == name }! }
            let counts = zip(thresholds, perThreshold).map { threshold, report in
                SequenceScore.Threshold(iou: threshold, truePositives: report.detection.truePositives,
                                        falseNegatives: report.detection.falseNegatives, falsePositives: report.detection.falsePositives)
            }
            var entry = SequenceScore.Class(name: name, gold: counts[0].truePositives + counts[0].falseNegatives, thresholds: counts)
            if tracked {
                let tracking = perThreshold[0].tracking ?? TrackingMetrics()
                entry.mota = tracking.mota
                entry.motp = tracking.motp
                entry.idf1 = tracking.idf1
                entry.identitySwitches = tracking.identitySwitches
            }
            result.append(entry)
        }
        return SequenceScore(sequence: sequence?.name ?? "", frames: scored, tracked: tracked, classes: result)
    }
}

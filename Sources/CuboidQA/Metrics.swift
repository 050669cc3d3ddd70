import CuboidGeometry
import CuboidKernels

/// Detection figures of one tasker for one class (or all classes together), summed over frames.
///
/// A *match* pairs a counted gold box with a labelled box of the same class whose similarity reaches
/// the class threshold; per frame and class the matching has the most pairs and, among those, the
/// highest total similarity (an optimal assignment, as `scipy.optimize.linear_sum_assignment` with
/// forbidden pairs). Unmatched counted gold boxes are false negatives, unmatched labelled boxes false
/// positives unless they lie on ignored gold or a DontCare region.
public struct DetectionMetrics: Sendable, Hashable, Codable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    /// Labelled boxes left out because they lie on ignored gold or DontCare regions.
    public var ignoredLabels = 0
    /// Sum of the matches' overlap (IoU of the criterion; BEV IoU for centre distance).
    public var overlapSum = 0.0
    /// Sums of nuScenes' true-positive errors over matches: ground-plane centre distance (metres;
    /// pixels in 2D), `1 - IoU` of the boxes aligned in centre and heading, and the smallest heading
    /// difference (radians; not for 2D).
    public var translationErrorSum = 0.0
    public var scaleErrorSum = 0.0
    public var orientationErrorSum = 0.0
    /// Matches that were off by more than the tolerances.
    public var inaccurate = 0

    public init() {}

    /// Whether anything of the class was on either side (a counted gold box, or a labelled box that was
    /// neither on ignored gold nor on DontCare): a class with neither is *not scored*, and is left out
    /// of the gate rather than counted as perfect.
    public var isScored: Bool { truePositives + falsePositives + falseNegatives > 0 }
    /// Hits over labelled boxes; nil ("n/a") when nothing was labelled.
    public var precision: Double? { truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives) }
    /// Hits over counted gold boxes; nil ("n/a", "no gold") when there is no counted gold.
    public var recall: Double? { truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives) }
    /// `2 TP / (2 TP + FP + FN)`, the harmonic mean of precision and recall; nil when both sides are
    /// empty (nothing scored), 0 when only one side has boxes.
    public var f1: Double? {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? nil : Double(2 * truePositives) / Double(denominator)
    }
    /// Mean overlap of the matches (nil without matches).
    public var meanIoU: Double? { truePositives == 0 ? nil : overlapSum / Double(truePositives) }
    /// nuScenes ATE: mean centre distance of the matches (nil without matches).
    public var meanTranslationError: Double? { truePositives == 0 ? nil : translationErrorSum / Double(truePositives) }
    /// nuScenes ASE: mean `1 - IoU` of the matches aligned in centre and heading.
    public var meanScaleError: Double? { truePositives == 0 ? nil : scaleErrorSum / Double(truePositives) }
    /// nuScenes AOE: mean smallest heading difference, radians.
    public var meanOrientationError: Double? { truePositives == 0 ? nil : orientationErrorSum / Double(truePositives) }

    static func += (lhs: inout DetectionMetrics, rhs: DetectionMetrics) {
        lhs.truePositives += rhs.truePositives
        lhs.falsePositives += rhs.falsePositives
        lhs.falseNegatives += rhs.falseNegatives
        lhs.ignoredLabels += rhs.ignoredLabels
        lhs.overlapSum += rhs.overlapSum
        lhs.translationErrorSum += rhs.translationErrorSum
        lhs.scaleErrorSum += rhs.scaleErrorSum
        lhs.orientationErrorSum += rhs.orientationErrorSum
        lhs.inaccurate += rhs.inaccurate
    }
}

/// Average precision of scored boxes for one class.
///
/// Boxes are taken in descending score (at most `AveragePrecisionCalculator.maximumPerFrame` per
/// frame) and each is matched, as in pycocotools, to the unmatched gold box it overlaps most at or above the threshold
/// (counted gold before ignored gold; a box on ignored gold is left out, and so is a box no gold takes
/// whose share inside a DontCare region reaches the threshold, as COCOeval treats crowd regions). The precision envelope of
/// the resulting curve is sampled at 101 recall points 0, 0.01, ..., 1 (COCO) and at the 40 points
/// 1/40, ..., 1 (KITTI's R40 sampling).
public struct AveragePrecision: Sendable, Hashable, Codable {
    /// COCO-style 101-point AP at the class threshold.
    public var coco101: Double
    /// 40-point AP at the class threshold (KITTI R40 sampling).
    public var r40: Double
    /// COCO's AP averaged over IoU thresholds 0.50, 0.55, ..., 0.95 (2D IoU criterion only).
    public var cocoRange: Double?
    /// AP at IoU 0.50 and 0.75 (2D IoU criterion only), as pycocotools' second and third figures.
    public var coco50: Double?
    public var coco75: Double?
}

/// One frame's input to average precision for one class: similarities above the gate, scores.
struct APFrame: Sendable, Hashable, Codable {
    var countedGold: Int
    var ignoredGold: Int
    /// Scores of the labelled boxes (in `labelled` order; nil for a box without one).
    var scores: [Double?]
    /// Per labelled box, the largest share of it inside one DontCare region: a box no gold takes is
    /// left out at a share of at least the IoU threshold (COCO's crowd regions).
    var dontCareShares: [Double]
    /// Similarity of (label, gold) pairs above the gate; gold `>= countedGold` are ignored gold.
    var pairs: [GatedPair]
    /// Labelled boxes near counted gold for the nuScenes metric (nil unless it is asked for and the
    /// criterion compares cuboids).
    var nuScenes: [NuScenesCandidate]? = nil
    /// The frame's input to the KITTI AP (nil unless it is asked for, or when a box lacks a 2D box or a score).
    var kitti: KITTIFrame? = nil
}

enum AveragePrecisionCalculator {
    /// pycocotools' `maxDets[-1]`.
    static let maximumPerFrame = 100

    /// `np.linspace(start, stop, count)` to the bit: `i * ((stop - start) / (count - 1)) + start`, the last value `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        return (0..<count).map { $0 == count - 1 ? stop : Double($0) * step + start }
    }

    /// The precision envelope sampled at recall thresholds, and the mean of the samples.
    /// - Returns: nil when there is no counted gold (the class is left out of means, as pycocotools does).
    static func average(_ frames: [APFrame], threshold: Double, recallPoints: [[Double]]) -> [Double]? {
        let counted = frames.reduce(0) { $0 + $1.countedGold }
        guard counted > 0 else { return nil }
        let start = min(threshold, 1 - 1e-10)
        var scored: [(score: Double, hit: Bool)] = []
        for frame in frames {
            // Descending score, ties kept in input order (numpy's mergesort), at most maximumPerFrame.
            let scores = frame.scores.map { $0! }
            let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(maximumPerFrame)
            var bestOf = [[(gold: Int, similarity: Double)]](repeating: [], count: frame.scores.count)
            for pair in frame.pairs { bestOf[pair.label].append((pair.gold, pair.similarity)) }
            let goldCount = frame.countedGold + frame.ignoredGold
            var taken = [Bool](repeating: false, count: goldCount)
            for label in order {
                // Gold in pycocotools' order: counted first, then ignored; the best similarity wins,
                // a later gold box of equal similarity replacing an earlier one.
                let candidates = bestOf[label].sorted { $0.gold < $1.gold }
                var best = start, chosen = -1
                for candidate in candidates {
                    if taken[candidate.gold] { continue }
                    if chosen >= 0 && chosen < frame.countedGold && candidate.gold >= frame.countedGold { break }
                    if candidate.similarity < best { continue }
                    best = candidate.similarity
                    chosen = candidate.gold
                }
                if chosen >= 0 { taken[chosen] = true }
                let onIgnored = chosen >= frame.countedGold
                // COCO's crowd rule: a box no gold takes is on a DontCare region when the share of it
                // inside reaches the threshold.
                if chosen < 0 && frame.dontCareShares[label] >= start { continue }
                if onIgnored { continue }
                scored.append((frame.scores[label]!, chosen >= 0))
            }
        }
        // All frames' boxes by descending score, stable.
        let order = scored.indices.sorted { scored[$0].score > scored[$1].score || (scored[$0].score == scored[$1].score && $0 < $1) }
        var recall: [Double] = [], precision: [Double] = []
        var truePositives = 0.0, falsePositives = 0.0
        for k in order {
            if scored[k].hit { truePositives += 1 } else { falsePositives += 1 }
            recall.append(truePositives / Double(counted))
            precision.append(truePositives / (falsePositives + truePositives + Double.ulpOfOne))
        }
        if precision.count > 1 {
            for i in stride(from: precision.count - 1, to: 0, by: -1) where precision[i] > precision[i - 1] { precision[i - 1] = precision[i] }
        }
        return recallPoints.map { points in
            var sum = 0.0
            for point in points {
                // np.searchsorted(recall, point, side='left')
                var low = 0, high = recall.count
                while low < high {
                    let middle = (low + high) / 2
                    if recall[middle] < point { low = middle + 1 } else { high = middle }
                }
                if low < recall.count { sum += precision[low] }
            }
            return sum / Double(points.count)
        }
    }

    static let coco101Points = linspace(0, 1, 101)
    static let r40Points = (1...40).map { Double($0) / 40 }
    static let cocoThresholds = linspace(0.5, 0.95, 10)

    /// AP of one class at its threshold and, for 2D boxes, over COCO's IoU range.
    static func compute(_ frames: [APFrame], threshold: Double, cocoRange: Bool) -> AveragePrecision? {
        guard let atThreshold = average(frames, threshold: threshold, recallPoints: [coco101Points, r40Points]) else { return nil }
        var result = AveragePrecision(coco101: atThreshold[0], r40: atThreshold[1])
        if cocoRange {
            let values = cocoThresholds.map { average(frames, threshold: $0, recallPoints: [coco101Points])![0] }
            result.cocoRange = values.reduce(0, +) / Double(values.count)
            result.coco50 = values[0]
            result.coco75 = values[5]
        }
        return result
    }
}

/// CLEAR MOT and identity figures of one tasker's tracks for one class (Bernardin and Stiefelhagen
/// 2008; Ristani et al. 2016), computed as py-motmetrics does from the same distances.
///
/// The distance of a gold box and a labelled box is `1 - IoU` (centre distance for that criterion),
/// and pairs below the class threshold cannot match. Each frame first keeps the previous frame's
/// correspondences that can still match, then assigns the rest optimally (most pairs, then least
/// distance); a gold track matched to a different track than before is an identity switch.
public struct TrackingMetrics: Sendable, Hashable, Codable {
    /// Gold boxes over all frames.
    public var objects = 0
    /// Labelled boxes over all frames.
    public var predictions = 0
    public var matches = 0
    public var misses = 0
    public var falsePositives = 0
    public var identitySwitches = 0
    /// Times a gold track, between its first and last match, goes from matched to missed.
    public var fragmentations = 0
    /// Sum of the matches' distances.
    public var distanceSum = 0.0
    /// Identity true positives of the best one-to-one pairing of gold and labelled tracks.
    public var identityTruePositives = 0
    /// Gold tracks and labelled tracks.
    public var goldTracks = 0
    public var labelledTracks = 0
    /// Gold tracks matched in at least 80 % of their frames (mostly tracked) and in under 20 % (mostly lost).
    public var mostlyTracked = 0
    public var mostlyLost = 0
    /// HOTA and its parts, when asked for (``MetricDefinition/hota``) with an IoU criterion.
    public var hota: HOTAMetrics?

    public init() {}

    /// `1 - (misses + false positives + identity switches) / gold boxes`; nil ("n/a") without gold
    /// boxes, where motmetrics divides by zero.
    public var mota: Double? { objects == 0 ? nil : 1 - Double(misses + falsePositives + identitySwitches) / Double(objects) }
    /// Mean distance of the matches (switches included), as motmetrics' MOTP: lower is better.
    public var motp: Double? { matches + identitySwitches == 0 ? nil : distanceSum / Double(matches + identitySwitches) }
    /// `2 IDTP / (gold boxes + labelled boxes)`; nil ("n/a") when both sides are empty.
    public var idf1: Double? { objects + predictions == 0 ? nil : Double(2 * identityTruePositives) / Double(objects + predictions) }
}

/// One frame of one class for tracking: the track ids on both sides and the distances of the pairs
/// that may match (absent pairs may not).
struct TrackingInput: Sendable, Hashable, Codable {
    struct Pair: Sendable, Hashable, Codable {
        var gold: Int
        var label: Int
        var distance: Double
    }

    var gold: [String]
    var labels: [String]
    var pairs: [Pair]
    /// For HOTA: every pair of positive IoU, the IoU in `distance` (nil unless HOTA is asked for).
    var overlaps: [Pair]? = nil
}

/// Accumulates ``TrackingMetrics`` frame by frame.
struct TrackingAccumulator {
    private(set) var metrics = TrackingMetrics()
    private var current: [String: String] = [:]       // gold id -> labelled id it was last matched to
    private var goldFrames: [String: Int] = [:]
    private var labelFrames: [String: Int] = [:]
    private var coOccurrence: [String: [String: Int]] = [:]
    /// Per gold track, the frames' states (true: matched) in order.
    private var history: [String: [Bool]] = [:]
    /// The frames HOTA is computed from (when their inputs carry the overlaps).
    private var hotaFrames: [TrackingInput] = []
    private var hotaComplete = true

    /// Adds one frame.
    mutating func add(_ input: TrackingInput) {
        if input.overlaps != nil { hotaFrames.append(input) } else { hotaComplete = false }
        let gold = input.gold, labels = input.labels
        metrics.objects += gold.count
        metrics.predictions += labels.count
        for id in gold { goldFrames[id, default: 0] += 1 }
        for id in labels { labelFrames[id, default: 0] += 1 }
        var finite = [Double](repeating: .nan, count: gold.count * labels.count)
        for pair in input.pairs {
            finite[pair.gold * labels.count + pair.label] = pair.distance
            coOccurrence[gold[pair.gold], default: [:]][labels[pair.label], default: 0] += 1
        }
        var goldTaken = [Bool](repeating: false, count: gold.count), labelTaken = [Bool](repeating: false, count: labels.count)
        // 1. Keep correspondences that can still match.
        for (g, id) in gold.enumerated() {
            guard let previous = current[id], let l = labels.indices.first(where: { !labelTaken[$0] && labels[$0] == previous }) else { continue }
            let d = finite[g * labels.count + l]
            guard !d.isNaN else { continue }
            goldTaken[g] = true
            labelTaken[l] = true
            metrics.matches += 1
            metrics.distanceSum += d
        }
        // 2. Assign the rest optimally.
        let freeGold = gold.indices.filter { !goldTaken[$0] }, freeLabels = labels.indices.filter { !labelTaken[$0] }
        if !freeGold.isEmpty && !freeLabels.isEmpty {
            var cost = Matrix(rows: freeGold.count, columns: freeLabels.count, repeating: .nan)
            for (r, g) in freeGold.enumerated() { for (c, l) in freeLabels.enumerated() { cost[r, c] = finite[g * labels.count + l] } }
            for pair in optimalAssignment(cost: cost) {
                let g = freeGold[pair.row], l = freeLabels[pair.column]
                let d = finite[g * labels.count + l]
                if let previous = current[gold[g]], previous != labels[l] { metrics.identitySwitches += 1 } else { metrics.matches += 1 }
                metrics.distanceSum += d
                current[gold[g]] = labels[l]
                goldTaken[g] = true
                labelTaken[l] = true
            }
        }
        metrics.misses += goldTaken.filter { !$0 }.count
        metrics.falsePositives += labelTaken.filter { !$0 }.count
        for (g, id) in gold.enumerated() { history[id, default: []].append(goldTaken[g]) }
    }

    /// The figures, with the identity measures and track counts computed over the whole sequence.
    func finished() -> TrackingMetrics {
        var result = metrics
        if hotaComplete && !hotaFrames.isEmpty { result.hota = HOTACalculator.compute(hotaFrames) }
        result.goldTracks = goldFrames.count
        result.labelledTracks = labelFrames.count
        for states in history.values {
            guard let first = states.firstIndex(of: true), let last = states.lastIndex(of: true) else {
                if !states.isEmpty { result.mostlyLost += 1 }
                continue
            }
            for k in first..<last where states[k] && !states[k + 1] { result.fragmentations += 1 }
            let ratio = Double(states.filter { $0 }.count) / Double(states.count)
            if ratio >= 0.8 { result.mostlyTracked += 1 } else if ratio < 0.2 { result.mostlyLost += 1 }
        }
        // IDTP: the pairing of gold and labelled tracks with the most co-occurring matchable frames.
        let goldIDs = goldFrames.keys.sorted(), labelIDs = labelFrames.keys.sorted()
        if !goldIDs.isEmpty && !labelIDs.isEmpty {
            var cost = Matrix(rows: goldIDs.count, columns: labelIDs.count, repeating: 0)
            for (r, g) in goldIDs.enumerated() {
                guard let row = coOccurrence[g] else { continue }
                for (c, l) in labelIDs.enumerated() { cost[r, c] = -Double(row[l] ?? 0) }
            }
            result.identityTruePositives = optimalAssignment(cost: cost).reduce(0) { $0 - Int(cost[$1.row, $1.column]) }
        }
        return result
    }
}

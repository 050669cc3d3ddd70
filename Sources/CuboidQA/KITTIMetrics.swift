import CuboidFormats
import CuboidGeometry
import CuboidKernels

/// KITTI object AP of one class at one difficulty level, as the KITTI devkit's `evaluate_object.cpp`
/// (and kitti-object-eval-python's `eval.py`) define it, as fractions (the devkit prints 100 times them).
///
/// Per level, gold of the class that fails the level (``KITTIDifficulty``: occlusion, truncation,
/// 2D height) and gold of a neighbouring class (``ClassRule/ignore``: Van for Car) are ignored: a
/// detection on them is neither hit nor false positive; detections shorter than the level's height
/// are ignored too. Detections of other classes and gold of other classes play no part. With the 2D
/// criterion, an unmatched detection whose 2D box lies inside a DontCare region by more than the class
/// threshold (intersection over the detection's area) is dropped. A match needs an overlap *above* the
/// class threshold. The score thresholds are the scores of the true positives (each gold box taking
/// its highest-scored detection) picked at 41 evenly spaced recalls (`getThresholds`); at each, every
/// gold box takes the overlapping detection with the highest overlap, and the precision envelope is
/// sampled: R40 averages the 40 points from recall 1/40, R11 the 11 points from 0 in steps of 0.1.
public struct KITTIAveragePrecision: Sendable, Hashable, Codable {
    /// The level's name (``KITTIDifficulty/name``).
    public var difficulty: String
    public var r40: Double
    public var r11: Double
    /// Gold boxes counted at this level (the recall's denominator).
    public var counted: Int
}

/// One frame of one class for the KITTI AP: both sides in file order with what each level ignores.
struct KITTIFrame: Sendable, Hashable, Codable {
    /// Per gold box of the class or a neighbouring class: whether it is a neighbour.
    var goldNeighbour: [Bool]
    /// Per level, per gold box: whether the level admits it (occlusion, truncation, height).
    var goldAdmitted: [[Bool]]
    var scores: [Double]
    /// Per level, per detection: whether it is tall enough.
    var labelAdmitted: [[Bool]]
    /// (detection, gold) pairs whose overlap is above the class threshold.
    var overlaps: [GatedPair]
    /// Per detection: whether a DontCare region holds more than the threshold of its 2D box.
    var onDontCare: [Bool]
}

enum KITTICalculator {
    /// The 41 recall steps of `N_SAMPLE_PTS`.
    static let samplePoints = 41

    /// The frame's KITTI input, or nil when a box lacks what the definition needs (a 2D box, a score).
    static func frame(gold: [PreparedObject], goldSource: [LabeledObject], labelled: [PreparedObject], scores: [Double?], category: String,
                      neighbours: [String], threshold: Double, dontCare: [Box2D], useDontCare: Bool,
                      similarity: ([PreparedObject], [PreparedObject]) -> Matrix, levels: [KITTIDifficulty]) -> KITTIFrame? {
        let goldOfClass = gold.filter { $0.category == category || neighbours.contains($0.category) }.sorted { $0.index < $1.index }
        let labels = labelled.sorted { $0.index < $1.index }
        guard goldOfClass.allSatisfy({ $0.box != nil }), labels.allSatisfy({ $0.box != nil }) else { return nil }
        var labelScores: [Double] = []
        for object in labels {
            guard let score = scores[labelled.firstIndex { $0.index == object.index }!] else { return nil }
            labelScores.append(score)
        }
        let goldAdmitted = levels.map { level in
            goldOfClass.map { object in
                let source = goldSource[object.index]
                return level.filter.admitsGold(occluded: source.attributes["occluded"]?.number, truncated: source.attributes["truncated"]?.number,
                                               height: object.box!.height)
            }
        }
        let labelAdmitted = levels.map { level in labels.map { level.filter.admitsLabel(height: $0.box!.height) } }
        var overlaps: [GatedPair] = []
        if !labels.isEmpty && !goldOfClass.isEmpty {
            let matrix = similarity(labels, goldOfClass)
            for l in labels.indices {
                for g in goldOfClass.indices where matrix[l, g] > threshold { overlaps.append(GatedPair(gold: g, label: l, similarity: matrix[l, g])) }
            }
        }
        let onDontCare = labels.map { object -> Bool in
            guard useDontCare else { return false }
            let box = object.box!
            return FrameMatcher.largestDontCareOverlap(box, regions: dontCare) / (box.width * box.height) > threshold
        }
        return KITTIFrame(goldNeighbour: goldOfClass.map { $0.category != category }, goldAdmitted: goldAdmitted, scores: labelScores,
                          labelAdmitted: labelAdmitted, overlaps: overlaps, onDontCare: onDontCare)
    }

    /// The devkit's `computeStatistics` for one frame: TP, FP, FN, and the scores of the true positives.
    /// - Parameters:
    ///   - threshold: Least score of a detection taken part (`computeFP` only).
    ///   - computeFP: false: each gold box takes its highest-scored detection (for the thresholds); true:
    ///     its highest-overlap one, an ignored (too short) detection only when nothing else overlaps.
    static func statistics(_ frame: KITTIFrame, level: Int, threshold: Double, computeFP: Bool) -> (tp: Int, fp: Int, fn: Int, scores: [Double]) {
        let goldCount = frame.goldNeighbour.count, labelCount = frame.scores.count
        // ignored gold: 0 counted, 1 ignored; detections: 0 counted, 1 ignored (too short).
        let ignoredGold = (0..<goldCount).map { frame.goldNeighbour[$0] || !frame.goldAdmitted[level][$0] ? 1 : 0 }
        let ignoredLabel = (0..<labelCount).map { frame.labelAdmitted[level][$0] ? 0 : 1 }
        let belowThreshold = (0..<labelCount).map { computeFP && frame.scores[$0] < threshold }
        var overlapsOf = [[(label: Int, overlap: Double)]](repeating: [], count: goldCount)
        for pair in frame.overlaps { overlapsOf[pair.gold].append((pair.label, pair.similarity)) }
        var assigned = [Bool](repeating: false, count: labelCount)
        var tp = 0, fp = 0, fn = 0, scores: [Double] = []
        let noDetection = -10_000_000.0
        for g in 0..<goldCount {
            var chosen = -1, valid = noDetection, maximumOverlap = 0.0, onIgnored = false
            for (l, overlap) in overlapsOf[g].sorted(by: { $0.label < $1.label }) {
                if assigned[l] || belowThreshold[l] { continue }
                if !computeFP && frame.scores[l] > valid {
                    chosen = l
                    valid = frame.scores[l]
                } else if computeFP && (overlap > maximumOverlap || onIgnored) && ignoredLabel[l] == 0 {
                    maximumOverlap = overlap
                    chosen = l
                    valid = 1
                    onIgnored = false
                } else if computeFP && valid == noDetection && ignoredLabel[l] == 1 {
                    chosen = l
                    valid = 1
                    onIgnored = true
                }
            }
            if valid == noDetection && ignoredGold[g] == 0 {
                fn += 1
            } else if valid != noDetection && (ignoredGold[g] == 1 || ignoredLabel[chosen] == 1) {
                assigned[chosen] = true
            } else if valid != noDetection {
                tp += 1
                scores.append(frame.scores[chosen])
                assigned[chosen] = true
            }
        }
        if computeFP {
            for l in 0..<labelCount where !assigned[l] && ignoredLabel[l] == 0 && !belowThreshold[l] {
                fp += 1
                if frame.onDontCare[l] { fp -= 1 }
            }
        }
        return (tp, fp, fn, scores)
    }

    /// The devkit's `getThresholds`: the true positives' scores picked at 41 evenly spaced recalls.
    static func thresholds(_ scores: [Double], counted: Int) -> [Double] {
        let sorted = scores.sorted(by: >)
        var result: [Double] = []
        var current = 0.0
        for (i, score) in sorted.enumerated() {
            let left = Double(i + 1) / Double(counted)
            let right = i < sorted.count - 1 ? Double(i + 2) / Double(counted) : left
            if (right - current) < (current - left) && i < sorted.count - 1 { continue }
            result.append(score)
            current += 1 / (Double(samplePoints) - 1)
        }
        return result
    }

    /// AP of one class at every level; nil when a frame lacks the input, or the class has no gold at
    /// any level.
    static func compute(_ frames: [KITTIFrame?], levels: [KITTIDifficulty]) -> [KITTIAveragePrecision]? {
        var inputs: [KITTIFrame] = []
        for frame in frames {
            guard let frame else { return nil }
            inputs.append(frame)
        }
        var result: [KITTIAveragePrecision] = []
        for (k, level) in levels.enumerated() {
            var counted = 0, scores: [Double] = []
            for frame in inputs {
                counted += frame.goldNeighbour.indices.filter { !frame.goldNeighbour[$0] && frame.goldAdmitted[k][$0] }.count
                scores += statistics(frame, level: k, threshold: 0, computeFP: false).scores
            }
            let steps = thresholds(scores, counted: counted)
            var precision = [Double](repeating: 0, count: samplePoints)
            for (t, threshold) in steps.enumerated() where t < samplePoints {
                var tp = 0, fp = 0
                for frame in inputs {
                    let s = statistics(frame, level: k, threshold: threshold, computeFP: true)
                    tp += s.tp
                    fp += s.fp
                }
                precision[t] = Double(tp) / Double(tp + fp)
            }
            for t in stride(from: min(steps.count, samplePoints) - 1, through: 0, by: -1) where t + 1 < samplePoints {
                precision[t] = max(precision[t], precision[t + 1])
            }
            let r40 = precision[1...].reduce(0, +) / 40
            let r11 = stride(from: 0, to: samplePoints, by: 4).reduce(0) { $0 + precision[$1] } / 11
            result.append(KITTIAveragePrecision(difficulty: level.name, r40: r40, r11: r11, counted: counted))
        }
        return result.allSatisfy({ $0.counted == 0 }) ? nil : result
    }
}

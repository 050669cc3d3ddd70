import CuboidGeometry
import CuboidKernels

/// nuScenes detection figures of one class (Caesar et al. 2020), computed as nuscenes-devkit 1.1.9's
/// `accumulate`, `calc_ap` and `calc_tp` do from the same boxes.
///
/// Boxes are taken by descending score over all frames (ties: the later box first, as the devkit's
/// `sorted(...)[::-1]`); each takes the nearest untaken counted gold box of its class on the ground
/// plane and is a match when that lies closer than the threshold. Precision is interpolated
/// (`np.interp`, no envelope) at the 101 recalls 0, 0.01, ..., 1; AP is the mean over recalls above
/// ``NuScenesSettings/minimumRecall`` of `max(0, precision - minimumPrecision)`, divided by
/// `1 - minimumPrecision`. The true-positive errors are the running means of the matches' errors at
/// ``NuScenesSettings/errorDistance``, interpolated at the same recalls' scores and averaged from the
/// minimum recall to the highest recall reached; 1 when that is below the minimum recall.
///
/// Labelled boxes on ignored gold or DontCare regions count as predictions (nuScenes has neither); the
/// range filter applies to both sides, as the devkit's `filter_eval_boxes` does.
public struct NuScenesDetection: Sendable, Hashable, Codable {
    /// AP at each centre-distance threshold of ``NuScenesSettings/distances``, in that order.
    public var averagePrecisions: [Double]
    /// Mean of ``averagePrecisions`` (the class's part of nuScenes mAP).
    public var meanAveragePrecision: Double
    /// ATE: ground-plane centre distance of the matches, metres.
    public var translationError: Double
    /// ASE: `1 - IoU` of the matches aligned in centre and heading.
    public var scaleError: Double
    /// AOE: smallest heading difference of the matches, radians (modulo 180 degrees for the
    /// ``NuScenesSettings/halfTurnClasses``); nil for the ``NuScenesSettings/noOrientationClasses``.
    public var orientationError: Double?

    public init(averagePrecisions: [Double], meanAveragePrecision: Double, translationError: Double, scaleError: Double, orientationError: Double?) {
        self.averagePrecisions = averagePrecisions
        self.meanAveragePrecision = meanAveragePrecision
        self.translationError = translationError
        self.scaleError = scaleError
        self.orientationError = orientationError
    }
}

/// A labelled box near a counted gold box of its class (closer than the largest threshold).
struct NuScenesCandidate: Sendable, Hashable, Codable {
    /// Position in the class's counted gold list.
    var gold: Int
    /// Position in the class's labelled list.
    var label: Int
    /// Ground-plane centre distance, metres.
    var distance: Double
    /// `1 - IoU` of the boxes aligned in centre and heading.
    var scaleError: Double
    /// Heading difference, radians, as the devkit's `yaw_diff` with the class's period.
    var orientationError: Double
}

enum NuScenesCalculator {
    /// The devkit's `angle_diff(x, y, period)`: `(x - y + period/2) % period - period/2` with Python's
    /// modulo (the sign of the divisor), less a full turn when above pi; its absolute value.
    static func headingDifference(_ gold: Double, _ labelled: Double, period: Double) -> Double {
        let shifted = gold - labelled + period / 2
        var remainder = shifted.truncatingRemainder(dividingBy: period)
        if remainder != 0 && remainder < 0 { remainder += period }
        var difference = remainder - period / 2
        if difference > .pi { difference -= 2 * .pi }
        return abs(difference)
    }

    /// The candidates of one class in one frame: every (labelled, counted gold) pair closer than `limit`.
    static func candidates(labelled: [Box3D], gold: [Box3D], limit: Double, period: Double) -> [NuScenesCandidate] {
        var result: [NuScenesCandidate] = []
        for (l, b) in labelled.enumerated() {
            for (g, a) in gold.enumerated() {
                let distance = planarDistance(a, b)
                guard distance < limit else { continue }
                result.append(NuScenesCandidate(gold: g, label: l, distance: distance, scaleError: 1 - alignedVolumeIoU(a, b),
                                                orientationError: headingDifference(a.yaw, b.yaw, period: period)))
            }
        }
        return result
    }

    /// `np.interp(x, xp, fp, left=fp[0], right=right)` for non-decreasing `xp`, as numpy computes it.
    static func interpolate(_ x: [Double], _ xp: [Double], _ fp: [Double], right: Double?) -> [Double] {
        let right = right ?? fp[fp.count - 1]
        return x.map { value in
            // j: the last index with xp[j] <= value (-1 when none).
            var low = 0, high = xp.count
            while low < high {
                let middle = (low + high) / 2
                if xp[middle] <= value { low = middle + 1 } else { high = middle }
            }
            let j = low - 1
            if j < 0 { return fp[0] }
            if j == xp.count - 1 { return value == xp[j] ? fp[j] : right }
            if xp[j] == value { return fp[j] }
            let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
            return slope * (value - xp[j]) + fp[j]
        }
    }

    /// One threshold's curve: precision and score at the 101 recalls, and the errors' curves.
    struct Curve {
        var precision: [Double]
        var confidence: [Double]
        var errors: [[Double]]   // translation, scale, orientation
    }

    static let recalls = AveragePrecisionCalculator.linspace(0, 1, 101)

    /// The devkit's `accumulate` for one class at one threshold; nil when nothing matched
    /// (`DetectionMetricData.no_predictions`).
    static func accumulate(_ frames: [APFrame], threshold: Double) -> Curve? {
        let positives = frames.reduce(0) { $0 + $1.countedGold }
        var predictions: [(frame: Int, label: Int, score: Double)] = []
        var near: [[[NuScenesCandidate]]] = []
        for (f, frame) in frames.enumerated() {
            for (l, score) in frame.scores.enumerated() { predictions.append((f, l, score!)) }
            var byLabel = [[NuScenesCandidate]](repeating: [], count: frame.scores.count)
            for candidate in frame.nuScenes ?? [] { byLabel[candidate.label].append(candidate) }
            near.append(byLabel.map { $0.sorted { $0.gold < $1.gold } })
        }
        // sorted((score, index))[::-1]: descending score, then descending index.
        let order = predictions.indices.sorted { (predictions[$0].score, $0) > (predictions[$1].score, $1) }
        var taken = frames.map { [Bool](repeating: false, count: $0.countedGold) }
        var truePositives: [Double] = [], falsePositives: [Double] = [], confidence: [Double] = []
        var matchConfidence: [Double] = [], matchErrors: [[Double]] = [[], [], []]
        var tp = 0.0, fp = 0.0
        for k in order {
            let prediction = predictions[k]
            var best = Double.infinity, chosen: NuScenesCandidate?
            for candidate in near[prediction.frame][prediction.label] where !taken[prediction.frame][candidate.gold] && candidate.distance < best {
                best = candidate.distance
                chosen = candidate
            }
            if let chosen, best < threshold {
                taken[prediction.frame][chosen.gold] = true
                tp += 1
                matchConfidence.append(prediction.score)
                matchErrors[0].append(chosen.distance)
                matchErrors[1].append(chosen.scaleError)
                matchErrors[2].append(chosen.orientationError)
            } else {
                fp += 1
            }
            truePositives.append(tp)
            falsePositives.append(fp)
            confidence.append(prediction.score)
        }
        guard !matchConfidence.isEmpty else { return nil }
        let precision = zip(truePositives, falsePositives).map { $0 / ($1 + $0) }
        let recall = truePositives.map { $0 / Double(positives) }
        let interpolatedConfidence = interpolate(recalls, recall, confidence, right: 0)
        let ascendingScores = Array(matchConfidence.reversed())
        let queries = Array(interpolatedConfidence.reversed())
        let errors = matchErrors.map { values -> [Double] in
            var sum = 0.0
            let running = values.enumerated().map { index, value in
                sum += value
                return sum / Double(index + 1)
            }
            return Array(interpolate(queries, ascendingScores, Array(running.reversed()), right: nil).reversed())
        }
        return Curve(precision: interpolate(recalls, recall, precision, right: 0), confidence: interpolatedConfidence, errors: errors)
    }

    /// Python's `round` (half to even) of `100 * recall`, plus one: the first recall index counted.
    static func firstIndex(_ minimumRecall: Double) -> Int { Int((100 * minimumRecall).rounded(.toNearestOrEven)) + 1 }

    /// The devkit's `calc_ap`.
    static func averagePrecision(_ curve: Curve?, settings: NuScenesSettings) -> Double {
        guard let curve else { return 0 }
        let first = firstIndex(settings.minimumRecall)
        guard first < curve.precision.count else { return 0 }
        let clipped = curve.precision[first...].map { max(0, $0 - settings.minimumPrecision) }
        return clipped.reduce(0, +) / Double(clipped.count) / (1 - settings.minimumPrecision)
    }

    /// The devkit's `calc_tp` for error curve `k`.
    static func error(_ curve: Curve?, _ k: Int, settings: NuScenesSettings) -> Double {
        guard let curve else { return 1 }
        let first = firstIndex(settings.minimumRecall)
        let last = curve.confidence.lastIndex { $0 != 0 } ?? 0
        guard last >= first else { return 1 }
        let values = curve.errors[k][first...last]
        return values.reduce(0, +) / Double(values.count)
    }

    /// The class's figures; nil when it has no counted gold (not scored) or a box lacks a score or the
    /// candidates (2D criterion).
    static func compute(_ frames: [APFrame], category: String, settings: NuScenesSettings) -> NuScenesDetection? {
        guard frames.reduce(0, { $0 + $1.countedGold }) > 0 else { return nil }
        guard frames.allSatisfy({ $0.nuScenes != nil && !$0.scores.contains(nil) }) else { return nil }
        let aps = settings.distances.map { averagePrecision(accumulate(frames, threshold: $0), settings: settings) }
        let curve = accumulate(frames, threshold: settings.errorDistance)
        return NuScenesDetection(averagePrecisions: aps, meanAveragePrecision: aps.reduce(0, +) / Double(aps.count),
                                 translationError: error(curve, 0, settings: settings), scaleError: error(curve, 1, settings: settings),
                                 orientationError: settings.noOrientationClasses.contains(category) ? nil : error(curve, 2, settings: settings))
    }
}

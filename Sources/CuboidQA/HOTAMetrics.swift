import CuboidGeometry
import CuboidKernels
import Foundation

/// HOTA (Higher Order Tracking Accuracy; Luiten et al., IJCV 2021) of one class, computed as
/// TrackEval 1.3's `HOTA.eval_sequence` does from the same similarities (the criterion's IoU of the
/// counted gold and labelled boxes, boxes on ignored gold or DontCare left out).
///
/// Each frame's pairs are first weighted by how often their two tracks are aligned over the whole
/// sequence; the optimal assignment of those weighted similarities gives the matches, and a match
/// counts at localisation threshold `alpha` when its IoU reaches `alpha`. Every figure is the mean over
/// the 19 thresholds 0.05, 0.10, ..., 0.95.
public struct HOTAMetrics: Sendable, Hashable, Codable {
    /// `sqrt(DetA x AssA)`, averaged over the thresholds.
    public var hota: Double
    /// Detection accuracy `TP / (TP + FN + FP)`.
    public var detA: Double
    /// Association accuracy: per match, the Jaccard index of its two tracks' matches, averaged.
    public var assA: Double
    /// Localisation accuracy: mean IoU of the matches.
    public var locA: Double

    public init(hota: Double, detA: Double, assA: Double, locA: Double) {
        self.hota = hota
        self.detA = detA
        self.assA = assA
        self.locA = locA
    }
}

enum HOTACalculator {
    /// `np.arange(0.05, 0.99, 0.05)`, as numpy computes it.
    static let alphas = (0..<19).map { 0.05 + Double($0) * 0.05 }
    static let epsilon = Double.ulpOfOne

    /// HOTA over the frames in order; nil when neither side has a box.
    static func compute(_ frames: [TrackingInput]) -> HOTAMetrics? {
        var goldIndex: [String: Int] = [:], labelIndex: [String: Int] = [:]
        for frame in frames {
            for id in frame.gold where goldIndex[id] == nil { goldIndex[id] = goldIndex.count }
            for id in frame.labels where labelIndex[id] == nil { labelIndex[id] = labelIndex.count }
        }
        let goldBoxes = frames.reduce(0) { $0 + $1.gold.count }, labelBoxes = frames.reduce(0) { $0 + $1.labels.count }
        guard goldBoxes + labelBoxes > 0 else { return nil }
        // TrackEval's early exits: one side empty gives zeros and LocA 1.
        guard goldBoxes > 0, labelBoxes > 0 else { return HOTAMetrics(hota: 0, detA: 0, assA: 0, locA: 1) }
        let goldCount = goldIndex.count, labelCount = labelIndex.count
        func similarity(_ frame: TrackingInput) -> Matrix {
            var matrix = Matrix(rows: frame.gold.count, columns: frame.labels.count, repeating: 0)
            for pair in frame.overlaps ?? [] { matrix[pair.gold, pair.label] = pair.distance }
            return matrix
        }
        // Global alignment of every pair of tracks.
        var potential = [Double](repeating: 0, count: goldCount * labelCount)
        var goldFrames = [Double](repeating: 0, count: goldCount), labelFrames = [Double](repeating: 0, count: labelCount)
        for frame in frames {
            let g = frame.gold.map { goldIndex[$0]! }, l = frame.labels.map { labelIndex[$0]! }
            let s = similarity(frame)
            var rowSums = [Double](repeating: 0, count: s.rows), columnSums = [Double](repeating: 0, count: s.columns)
            for r in 0..<s.rows { for c in 0..<s.columns { rowSums[r] += s[r, c]; columnSums[c] += s[r, c] } }
            for r in 0..<s.rows {
                for c in 0..<s.columns {
                    let denominator = columnSums[c] + rowSums[r] - s[r, c]
                    if denominator > epsilon { potential[g[r] * labelCount + l[c]] += s[r, c] / denominator }
                }
            }
            for id in g { goldFrames[id] += 1 }
            for id in l { labelFrames[id] += 1 }
        }
        var alignment = potential
        for g in 0..<goldCount {
            for l in 0..<labelCount { alignment[g * labelCount + l] = potential[g * labelCount + l] / (goldFrames[g] + labelFrames[l] - potential[g * labelCount + l]) }
        }
        var truePositives = [Double](repeating: 0, count: alphas.count)
        var falseNegatives = truePositives, falsePositives = truePositives, localisation = truePositives
        var matchCounts = [[Double]](repeating: [Double](repeating: 0, count: goldCount * labelCount), count: alphas.count)
        for frame in frames {
            let g = frame.gold.map { goldIndex[$0]! }, l = frame.labels.map { labelIndex[$0]! }
            let s = similarity(frame)
            var matches: [(row: Int, column: Int)] = []
            if s.rows > 0 && s.columns > 0 {
                var cost = Matrix(rows: s.rows, columns: s.columns, repeating: 0)
                for r in 0..<s.rows { for c in 0..<s.columns { cost[r, c] = -alignment[g[r] * labelCount + l[c]] * s[r, c] } }
                matches = optimalAssignment(cost: cost).map { ($0.row, $0.column) }
            }
            for (a, alpha) in alphas.enumerated() {
                let kept = matches.filter { s[$0.row, $0.column] >= alpha - epsilon }
                truePositives[a] += Double(kept.count)
                falseNegatives[a] += Double(s.rows - kept.count)
                falsePositives[a] += Double(s.columns - kept.count)
                for match in kept {
                    localisation[a] += s[match.row, match.column]
                    matchCounts[a][g[match.row] * labelCount + l[match.column]] += 1
                }
            }
        }
        var hota = 0.0, detA = 0.0, assA = 0.0, locA = 0.0
        for a in alphas.indices {
            var association = 0.0
            for g in 0..<goldCount {
                for l in 0..<labelCount {
                    let count = matchCounts[a][g * labelCount + l]
                    guard count > 0 else { continue }
                    association += count * (count / max(1, goldFrames[g] + labelFrames[l] - count))
                }
            }
            let assAlpha = association / max(1, truePositives[a])
            let detAlpha = truePositives[a] / max(1, truePositives[a] + falseNegatives[a] + falsePositives[a])
            hota += (detAlpha * assAlpha).squareRoot()
            detA += detAlpha
            assA += assAlpha
            locA += max(1e-10, localisation[a]) / max(1e-10, truePositives[a])
        }
        let n = Double(alphas.count)
        return HOTAMetrics(hota: hota / n, detA: detA / n, assA: assA / n, locA: locA / n)
    }
}

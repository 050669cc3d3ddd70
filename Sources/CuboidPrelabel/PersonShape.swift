import Foundation

/// What one sweep shows of a cluster's upper body that tells a person from street furniture of a
/// person's size (poles, sign posts, thin trunks, shrubs and foliage).
///
/// The upper body is the cluster's returns at least half its height above its ground (a person's
/// torso, shoulders and head). Widths are in the horizontal plane, across the line of sight from
/// the sensor (the origin) to the cluster's centroid, metres. A person's shoulders are 0.35 m to
/// 0.5 m across; a pole or a post is 0.05 m to 0.2 m across.
struct PersonShape: Sendable, Hashable {
    /// Width of the upper body across the line of sight: the returns' spread plus one azimuth step
    /// (each return stands for the strip half a step either side of it), metres; nil when fewer
    /// than two returns lie that high (the shape says nothing).
    var upperWidth: Double?

    /// - Complexity: O(n log n) in the cluster's returns.
    init(_ cluster: ClusterPoints) {
        var mean = SIMD2<Double>(0, 0)
        for p in cluster.footprint { mean += p }
        mean /= Double(max(cluster.count, 1))
        let distance = (mean * mean).sum().squareRoot()
        var top = 0.0
        for h in cluster.heights { top = max(top, h) }
        guard distance > 0, top > 0 else { upperWidth = nil; return }
        let across = SIMD2(-mean.y, mean.x) / distance
        // (slope z / range, azimuth, offset across the line of sight) of each upper return.
        var upper: [(slope: Double, azimuth: Double, offset: Double)] = []
        for (k, p) in cluster.footprint.enumerated() where cluster.heights[k] >= 0.5 * top {
            let range = max((p * p).sum().squareRoot(), 0.1)
            upper.append((cluster.z[k] / range, atan2(p.y, p.x), (p * across).sum()))
        }
        guard upper.count >= 2 else { upperWidth = nil; return }
        upper.sort { $0.slope < $1.slope }
        // Rings: runs of slopes within the ring tolerance. Each ring's azimuth step is the median
        // gap between its neighbouring returns; the sweep's step is the smallest ring's median.
        var rings: [ArraySlice<(slope: Double, azimuth: Double, offset: Double)>] = []
        var start = 0
        for k in 1...upper.count where k == upper.count || upper[k].slope - upper[k - 1].slope > ClusterFeatures.ringTolerance {
            rings.append(upper[start..<k])
            start = k
        }
        var step = Double.infinity
        for ring in rings where ring.count >= 2 {
            let azimuths = ring.map(\.azimuth).sorted()
            var gaps: [Double] = []
            for j in 1..<azimuths.count where azimuths[j] - azimuths[j - 1] > 1e-6 { gaps.append(azimuths[j] - azimuths[j - 1]) }
            if !gaps.isEmpty { step = min(step, gaps.sorted()[gaps.count / 2]) }
        }
        let offsets = upper.map(\.offset)
        let spacing = step.isFinite ? step * distance : 0
        upperWidth = offsets.max()! - offsets.min()! + spacing
    }

    /// Plausibility in 0...1 that the shape is a person's (Pedestrian or Cyclist) under `rules`: 1
    /// where the upper body is wide enough or says nothing, falling linearly below.
    func plausibility(_ rules: PersonConfiguration) -> Double {
        guard let upperWidth else { return 1 }
        return band(upperWidth, rules.minimumUpperWidth, .infinity, tolerance: rules.upperWidthTolerance)
    }
}

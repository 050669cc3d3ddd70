import Foundation

/// What one sweep shows of a cluster's shape that tells a person from the street furniture of a
/// person's size (poles, sign posts, bollards, thin trunks).
///
/// A person's torso, between the hips and the shoulders, is 0.35 m to 0.5 m across the shoulders and
/// 0.2 m to 0.3 m deep, so from any side its returns spread at least about 0.2 m across the line of
/// sight. A pole or a sign post is 0.05 m to 0.2 m across at every height. Heights are above the
/// cluster's ground, metres; extents are in the sensor's horizontal plane (sensor at the origin).
struct PersonShape: Sendable, Hashable {
    /// The width, metres, of the returns in the torso band (``PersonConfiguration/torsoBottom`` to
    /// ``PersonConfiguration/torsoTop`` above the ground) across the line of sight to the cluster:
    /// their spread plus one azimuth step; nil when fewer than two returns lie in the band (the
    /// band says nothing).
    var torsoWidth: Double?

    /// The thresholds the shape is judged by.
    var configuration: PersonConfiguration

    /// - Complexity: O(n) in the cluster's returns.
    init(_ cluster: ClusterPoints, configuration: PersonConfiguration) {
        self.configuration = configuration
        var meanX = 0.0, meanY = 0.0
        for p in cluster.footprint { meanX += p.x; meanY += p.y }
        let distance = (meanX * meanX + meanY * meanY).squareRoot()
        guard distance > 0 else { torsoWidth = nil; return }
        // Unit vector across the line of sight to the cluster's centre.
        let across = SIMD2(-meanY, meanX) / distance
        var low = Double.infinity, high = -Double.infinity
        var torso: [(slope: Double, azimuth: Double)] = []
        for (k, p) in cluster.footprint.enumerated() where cluster.heights[k] >= configuration.torsoBottom && cluster.heights[k] <= configuration.torsoTop {
            let v = (p * across).sum()
            low = min(low, v)
            high = max(high, v)
            let range = max((p * p).sum().squareRoot(), 0.1)
            torso.append((cluster.z[k] / range, atan2(p.y, p.x)))
        }
        guard torso.count >= 2 else { torsoWidth = nil; return }
        // Each return stands for the strip half an azimuth step either side of it, so the returns'
        // spread falls short of the torso's width by about one step (0.06 m at 40 m for a 64-beam
        // sensor, 0.2 m for a 32-beam one): the step is read from the band's rings.
        torsoWidth = high - low + Self.azimuthStep(torso) * distance
    }

    /// The smallest azimuth step (radians) between neighbouring returns of one ring among `returns`
    /// (slope z / range, azimuth): rings are runs of slopes within ``ClusterFeatures/ringTolerance``,
    /// a ring's step the median gap between its azimuths; 0 when no ring holds two returns.
    static func azimuthStep(_ returns: [(slope: Double, azimuth: Double)]) -> Double {
        let sorted = returns.sorted { $0.slope < $1.slope }
        var best = Double.infinity
        var start = 0
        for k in 1...sorted.count where k == sorted.count || sorted[k].slope - sorted[k - 1].slope > ClusterFeatures.ringTolerance {
            if k - start >= 2 {
                let azimuths = sorted[start..<k].map(\.azimuth).sorted()
                var gaps: [Double] = []
                for j in 1..<azimuths.count where azimuths[j] - azimuths[j - 1] > 1e-6 { gaps.append(azimuths[j] - azimuths[j - 1]) }
                if !gaps.isEmpty { best = min(best, gaps.sorted()[gaps.count / 2]) }
            }
            start = k
        }
        return best.isFinite ? best : 0
    }

    /// Plausibility in 0...1 that the shape is a person's (Pedestrian or Cyclist): 1 when the torso
    /// band is wide enough or says nothing, falling linearly to 0 at
    /// ``PersonConfiguration/torsoWidthTolerance`` under ``PersonConfiguration/minimumTorsoWidth``.
    var plausibility: Double {
        guard let torsoWidth else { return 1 }
        return band(torsoWidth, configuration.minimumTorsoWidth, .infinity, tolerance: configuration.torsoWidthTolerance)
    }
}

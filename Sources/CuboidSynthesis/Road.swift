import Foundation

/// The road centreline: straights and circular arcs joined end to end, starting at the world origin
/// heading east (+x). Arc length `s` runs along it; lateral offset `d` is positive to the left.
struct RoadPath: Sendable {
    struct Piece: Sendable {
        var startS: Double
        var length: Double
        var start: SIMD2<Double>
        var heading: Double
        /// Signed curvature (1/radius, positive turning left); 0 for a straight.
        var curvature: Double
        /// Unit tangent at the start, and the arc's centre (arcs only).
        var tangent: SIMD2<Double>
        var center: SIMD2<Double>
        /// Unit radial vectors from the centre to the start and end (arcs only).
        var radialStart: SIMD2<Double>
        var radialEnd: SIMD2<Double>
    }

    private(set) var pieces: [Piece] = []
    var length: Double { pieces.last.map { $0.startS + $0.length } ?? 0 }

    init(_ segments: [SceneDescription.PathSegment]) {
        var position = SIMD2<Double>(0, 0)
        var heading = 0.0
        var s = 0.0
        for segment in segments where segment.length > 0 {
            let tangent = SIMD2(cos(heading), sin(heading))
            switch segment {
            case .straight(let length):
                pieces.append(Piece(startS: s, length: length, start: position, heading: heading, curvature: 0, tangent: tangent,
                                    center: .zero, radialStart: .zero, radialEnd: .zero))
            case .turn(let radius, let angle):
                let curvature = (angle > 0 ? 1 : -1) / radius
                let left = SIMD2(-tangent.y, tangent.x)
                let center = position + left / curvature
                let radialStart = (position - center) / radius
                let endHeading = heading + angle
                let endPoint = center + (SIMD2(sin(endHeading), -cos(endHeading)) * (angle > 0 ? radius : -radius))
                pieces.append(Piece(startS: s, length: radius * abs(angle), start: position, heading: heading, curvature: curvature,
                                    tangent: tangent, center: center, radialStart: radialStart, radialEnd: (endPoint - center) / radius))
            }
            let end = point(pieces.count - 1, at: pieces[pieces.count - 1].length)
            position = end.position
            heading = end.heading
            s += segment.length
        }
    }

    /// Position and heading on piece `index`, `u` metres from its start.
    private func point(_ index: Int, at u: Double) -> (position: SIMD2<Double>, heading: Double) {
        let piece = pieces[index]
        if piece.curvature == 0 { return (piece.start + piece.tangent * u, piece.heading) }
        let heading = piece.heading + u * piece.curvature
        let radius = 1 / piece.curvature
        return (piece.center + SIMD2(sin(heading), -cos(heading)) * radius, heading)
    }

    /// Centreline position and heading at arc length `s` (clamped to the path).
    func pose(at s: Double) -> (position: SIMD2<Double>, heading: Double) {
        var index = pieces.count - 1
        while index > 0 && pieces[index].startS > s { index -= 1 }
        let u = min(max(s - pieces[index].startS, 0), pieces[index].length)
        return point(index, at: u)
    }

    /// The point `d` metres left of the centreline at `s`, with the centreline heading there.
    func place(s: Double, d: Double) -> (position: SIMD2<Double>, heading: Double) {
        let (position, heading) = pose(at: s)
        return (position + SIMD2(-sin(heading), cos(heading)) * d, heading)
    }

    /// Distance from `p` to the nearest point of the centreline.
    /// - Complexity: O(pieces); no trigonometry.
    func distance(from p: SIMD2<Double>) -> Double {
        var best = Double.infinity
        for piece in pieces {
            var distance: Double
            if piece.curvature == 0 {
                let offset = p - piece.start
                let u = (offset * piece.tangent).sum()
                if u < 0 {
                    distance = (offset * offset).sum().squareRoot()
                } else if u > piece.length {
                    let q = offset - piece.tangent * piece.length
                    distance = (q * q).sum().squareRoot()
                } else {
                    distance = abs(offset.x * piece.tangent.y - offset.y * piece.tangent.x)
                }
            } else {
                let q = p - piece.center
                let r = (q * q).sum().squareRoot()
                let radius = 1 / abs(piece.curvature)
                // Inside the arc's sector when q lies between the start and end radials, turning the
                // arc's way (arcs are at most half a circle).
                let sign = piece.curvature > 0 ? 1.0 : -1.0
                let afterStart = sign * (piece.radialStart.x * q.y - piece.radialStart.y * q.x) >= 0
                let beforeEnd = sign * (q.x * piece.radialEnd.y - q.y * piece.radialEnd.x) >= 0
                if afterStart && beforeEnd {
                    distance = abs(r - radius)
                } else {
                    let a = p - (piece.center + piece.radialStart * radius), b = p - (piece.center + piece.radialEnd * radius)
                    distance = min((a * a).sum(), (b * b).sum()).squareRoot()
                }
            }
            best = min(best, distance)
        }
        return best
    }
}

/// The ground: a gentle quadratic surface, with the sidewalks `kerbHeight` above the road.
///
/// Height at a world point: `grade . q + curvature . q^2` with `q` the offset from `origin` (the
/// ego's start), plus the kerb height where the point is further than `roadHalfWidth` from the
/// centreline.
struct Ground: Sendable {
    var origin: SIMD2<Double>
    var grade: SIMD2<Double>
    var curvature: SIMD2<Double>
    var kerbHeight: Double
    var roadHalfWidth: Double
    var road: RoadPath

    /// Height of the road surface (no kerb) at `p`.
    func roadHeight(_ p: SIMD2<Double>) -> Double {
        let q = p - origin
        return (grade * q).sum() + (curvature * q * q).sum()
    }

    /// Height of the ground at `p`, kerbs included.
    func height(_ p: SIMD2<Double>) -> Double {
        roadHeight(p) + (road.distance(from: p) > roadHalfWidth ? kerbHeight : 0)
    }

    /// Upward unit normal of the road surface at `p`.
    func normal(_ p: SIMD2<Double>) -> SIMD3<Double> {
        let q = p - origin
        let gradient = grade + 2 * curvature * q
        let n = SIMD3(-gradient.x, -gradient.y, 1)
        return n / (n * n).sum().squareRoot()
    }

    /// The first ray parameter in `(tMin, tMax)` where the ray meets the surface `roadHeight + lift`.
    private func surfaceHit(_ o: SIMD3<Double>, _ d: SIMD3<Double>, lift: Double, tMax: Double) -> Double? {
        // z(t) - h(x(t), y(t)) = a t^2 + b t + c.
        let qx = o.x - origin.x, qy = o.y - origin.y
        let a = -(curvature.x * d.x * d.x + curvature.y * d.y * d.y)
        let b = d.z - grade.x * d.x - grade.y * d.y - 2 * (curvature.x * qx * d.x + curvature.y * qy * d.y)
        let c = o.z - lift - grade.x * qx - grade.y * qy - curvature.x * qx * qx - curvature.y * qy * qy
        var t: Double
        if abs(a) < 1e-14 {
            guard b != 0 else { return nil }
            t = -c / b
        } else {
            let discriminant = b * b - 4 * a * c
            guard discriminant >= 0 else { return nil }
            let root = discriminant.squareRoot()
            // The numerically stable pair; take the smallest positive.
            let q = -0.5 * (b + (b >= 0 ? root : -root))
            let t1 = q / a, t2 = q == 0 ? .infinity : c / q
            let low = min(t1, t2), high = max(t1, t2)
            t = low > 1e-9 ? low : high
        }
        return t > 1e-9 && t < tMax ? t : nil
    }

    /// The first hit of a ray on the ground, with the surface kind, or nil within `tMax`.
    func intersect(_ o: SIMD3<Double>, _ d: SIMD3<Double>, tMax: Double) -> (t: Double, normal: SIMD3<Double>, kind: GroundKind)? {
        let roadT = surfaceHit(o, d, lift: 0, tMax: tMax)
        let sideT = kerbHeight > 0 ? surfaceHit(o, d, lift: kerbHeight, tMax: tMax) : roadT
        var best: (t: Double, kind: GroundKind)?
        var roadHitOffRoad = false, sideHitOnRoad = false
        if let t = roadT {
            let p = o + d * t
            let distance = road.distance(from: SIMD2(p.x, p.y))
            if distance <= roadHalfWidth { best = (t, .road(distance: distance)) } else { roadHitOffRoad = true }
        }
        if let t = sideT, kerbHeight > 0 {
            let p = o + d * t
            if road.distance(from: SIMD2(p.x, p.y)) > roadHalfWidth {
                if best == nil || t < best!.t { best = (t, .sidewalk) }
            } else {
                sideHitOnRoad = true
            }
        }
        if best == nil, roadHitOffRoad, sideHitOnRoad, let low = sideT, let high = roadT, low < high {
            // The ray passes over the road and dives into the kerb's face: bisect for the edge.
            var a = low, b = high
            for _ in 0..<24 {
                let m = (a + b) / 2
                let p = o + d * m
                if road.distance(from: SIMD2(p.x, p.y)) > roadHalfWidth { b = m } else { a = m }
            }
            let h = SIMD2(d.x, d.y)
            let length = (h * h).sum().squareRoot()
            return (b, length > 0 ? SIMD3(-d.x / length, -d.y / length, 0) : SIMD3(0, 0, 1), .kerb)
        }
        guard let best else { return nil }
        let p = o + d * best.t
        return (best.t, normal(SIMD2(p.x, p.y)), best.kind)
    }
}

/// What part of the ground a ray met.
enum GroundKind: Sendable {
    /// The road, at this distance from the centreline (for lane markings).
    case road(distance: Double)
    case sidewalk
    case kerb
}

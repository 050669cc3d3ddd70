import CuboidGeometry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rotated rectangle prepared for repeated intersection tests: trigonometry done once, the
/// world-axis bounds precomputed. Internal to the IoU kernels.
@usableFromInline
struct PreparedRectangle: Sendable {
    var centerX: Double, centerY: Double
    var halfLength: Double, halfWidth: Double
    var cosine: Double, sine: Double
    var minX: Double, maxX: Double, minY: Double, maxY: Double
    var area: Double

    init(_ box: BEVBox) {
        centerX = box.centerX
        centerY = box.centerY
        halfLength = box.length / 2
        halfWidth = box.width / 2
        // Exact values at multiples of 90 degrees, so axis-aligned boxes stay exactly axis-aligned.
        (cosine, sine) = exactCosineSine(box.yaw)
        let extentX = halfLength * abs(cosine) + halfWidth * abs(sine)
        let extentY = halfLength * abs(sine) + halfWidth * abs(cosine)
        minX = centerX - extentX
        maxX = centerX + extentX
        minY = centerY - extentY
        maxY = centerY + extentY
        area = box.area
    }
}

extension PreparedRectangle {
    /// True when the point lies inside or on the border of the rectangle.
    @inline(__always)
    func contains(_ x: Double, _ y: Double) -> Bool {
        let dx = x - centerX, dy = y - centerY
        return abs(dx * cosine + dy * sine) <= halfLength && abs(-dx * sine + dy * cosine) <= halfWidth
    }
}

/// cos and sin of `angle`, exact (0 or +-1) when the angle is a multiple of pi/2 to within rounding
/// of the argument: `sin(.pi)` is 1.2e-16 in Double, which would tilt a box by that much.
@inline(__always)
func exactCosineSine(_ angle: Double) -> (Double, Double) {
    let quarterTurns = (angle / (Double.pi / 2)).rounded()
    if abs(angle - quarterTurns * (Double.pi / 2)) <= 4 * Double.ulpOfOne * max(1, abs(angle)) {
        switch Int(quarterTurns) & 3 {
        case 0: return (1, 0)
        case 1: return (0, 1)
        case 2: return (-1, 0)
        default: return (0, -1)
        }
    }
    return (cos(angle), sin(angle))
}

/// Scratch space for polygon clipping: two ping-pong vertex lists of up to 16 points.
@usableFromInline
struct ClipScratch {
    var x0 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    var y0 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    var x1 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    var y1 = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
}

/// Intersection area of two rectangles, exact up to rounding.
///
/// Works in `a`'s own frame (its centre at the origin, its axes along x/y), which keeps precision for
/// huge coordinates and turns clipping into four axis-aligned half-plane cuts of `b`'s corners
/// (Sutherland-Hodgman). The separating-axis test on the four edge normals rejects disjoint pairs
/// before any clipping, and containment of one in the other is answered without clipping.
@inline(__always)
func intersectionArea(_ a: PreparedRectangle, _ b: PreparedRectangle, _ scratch: inout ClipScratch) -> Double {
    let dx = b.centerX - a.centerX, dy = b.centerY - a.centerY
    // b's centre and axes in a's frame.
    let u = dx * a.cosine + dy * a.sine
    let v = -dx * a.sine + dy * a.cosine
    let c = b.cosine * a.cosine + b.sine * a.sine  // cos(yaw_b - yaw_a)
    let s = b.sine * a.cosine - b.cosine * a.sine  // sin(yaw_b - yaw_a)
    let ac = abs(c), as_ = abs(s)
    // Separating axes: a's two edge normals ...
    let bExtentU = b.halfLength * ac + b.halfWidth * as_
    let bExtentV = b.halfLength * as_ + b.halfWidth * ac
    if abs(u) >= a.halfLength + bExtentU || abs(v) >= a.halfWidth + bExtentV { return 0 }
    // ... and b's (a's centre seen from b).
    let uB = -(u * c + v * s)
    let vB = -(-u * s + v * c)
    let aExtentU = a.halfLength * ac + a.halfWidth * as_
    let aExtentV = a.halfLength * as_ + a.halfWidth * ac
    if abs(uB) >= b.halfLength + aExtentU || abs(vB) >= b.halfWidth + aExtentV { return 0 }
    // Containment.
    if abs(u) + bExtentU <= a.halfLength && abs(v) + bExtentV <= a.halfWidth { return b.area }
    if abs(uB) + aExtentU <= b.halfLength && abs(vB) + aExtentV <= b.halfWidth { return a.area }

    return withUnsafeMutableBytes(of: &scratch) { raw in
        let base = raw.baseAddress!.assumingMemoryBound(to: Double.self)
        let x0 = base, y0 = base + 16, x1 = base + 32, y1 = base + 48
        // b's corners in a's frame, counter-clockwise.
        let lc = b.halfLength * c, ls = b.halfLength * s
        let wc = b.halfWidth * c, ws = b.halfWidth * s
        x0[0] = u + lc - ws; y0[0] = v + ls + wc
        x0[1] = u - lc - ws; y0[1] = v - ls + wc
        x0[2] = u - lc + ws; y0[2] = v - ls - wc
        x0[3] = u + lc + ws; y0[3] = v + ls - wc
        var n = 4
        n = clip(x0, y0, n, into: x1, y1, bound: a.halfLength, alongX: true, keepBelow: true)
        if n < 3 { return 0 }
        n = clip(x1, y1, n, into: x0, y0, bound: -a.halfLength, alongX: true, keepBelow: false)
        if n < 3 { return 0 }
        n = clip(x0, y0, n, into: x1, y1, bound: a.halfWidth, alongX: false, keepBelow: true)
        if n < 3 { return 0 }
        n = clip(x1, y1, n, into: x0, y0, bound: -a.halfWidth, alongX: false, keepBelow: false)
        if n < 3 { return 0 }
        var twiceArea = 0.0
        var px = x0[n - 1], py = y0[n - 1]
        for k in 0..<n {
            let qx = x0[k], qy = y0[k]
            twiceArea += px * qy - qx * py
            px = qx
            py = qy
        }
        return max(0, twiceArea / 2)
    }
}

/// One Sutherland-Hodgman step: keeps the part of the polygon with `coordinate <= bound`
/// (`keepBelow`) or `>= bound`, where the coordinate is x or y. Returns the new vertex count.
@inline(__always)
private func clip(
    _ inX: UnsafeMutablePointer<Double>, _ inY: UnsafeMutablePointer<Double>, _ count: Int,
    into outX: UnsafeMutablePointer<Double>, _ outY: UnsafeMutablePointer<Double>,
    bound: Double, alongX: Bool, keepBelow: Bool
) -> Int {
    @inline(__always) func distance(_ x: Double, _ y: Double) -> Double {
        let coordinate = alongX ? x : y
        return keepBelow ? bound - coordinate : coordinate - bound  // >= 0 is inside
    }
    var m = 0
    var sx = inX[count - 1], sy = inY[count - 1]
    var sd = distance(sx, sy)
    for k in 0..<count {
        let cx = inX[k], cy = inY[k]
        let cd = distance(cx, cy)
        if (cd >= 0) != (sd >= 0) {
            // The edge crosses the line: the crossing point, with the cut coordinate set exactly.
            let t = sd / (sd - cd)
            if alongX {
                outX[m] = bound
                outY[m] = sy + t * (cy - sy)
            } else {
                outX[m] = sx + t * (cx - sx)
                outY[m] = bound
            }
            m += 1
        }
        if cd >= 0 {
            outX[m] = cx
            outY[m] = cy
            m += 1
        }
        sx = cx
        sy = cy
        sd = cd
    }
    return m
}

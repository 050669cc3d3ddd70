import CuboidGeometry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Convex hull

/// The convex hull of a set of points in the plane (Andrew's monotone chain).
///
/// - Returns: The hull's vertices counter-clockwise, starting at the point with the smallest x (then
///   smallest y), without repeated or collinear points. Fewer than three points come back when the
///   input has fewer than three distinct points or all of them lie on one line (the two extremes).
///   Non-finite points are ignored.
/// - Complexity: O(n log n).
public func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
    var sorted = points.filter { $0.x.isFinite && $0.y.isFinite }
    sorted.sort { ($0.x, $0.y) < ($1.x, $1.y) }
    var unique: [SIMD2<Double>] = []
    unique.reserveCapacity(sorted.count)
    for point in sorted where unique.last != point { unique.append(point) }
    guard unique.count >= 3 else { return unique }

    @inline(__always) func turn(_ o: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var hull: [SIMD2<Double>] = []
    hull.reserveCapacity(2 * unique.count)
    for point in unique {
        while hull.count >= 2 && turn(hull[hull.count - 2], hull[hull.count - 1], point) <= 0 { hull.removeLast() }
        hull.append(point)
    }
    let lowerCount = hull.count + 1
    for point in unique.reversed().dropFirst() {
        while hull.count >= lowerCount && turn(hull[hull.count - 2], hull[hull.count - 1], point) <= 0 { hull.removeLast() }
        hull.append(point)
    }
    hull.removeLast()  // the first point again
    return hull
}

/// Area of a simple polygon given counter-clockwise (positive) or clockwise (negative) vertices.
/// - Complexity: O(n).
public func signedArea(ofPolygon vertices: [SIMD2<Double>]) -> Double {
    guard vertices.count >= 3 else { return 0 }
    let origin = vertices[0]  // shifted for precision far from the origin
    var twice = 0.0
    for k in 1..<(vertices.count - 1) {
        let p = vertices[k] - origin, q = vertices[k + 1] - origin
        twice += p.x * q.y - q.x * p.y
    }
    return twice / 2
}

// MARK: - Rectangles around points

/// The rectangle of least area that holds every point (rotating calipers over the convex hull).
///
/// The length is the longer side; the yaw is in (-pi/2, pi/2] since a point set has no heading.
/// Collinear points give a rectangle of zero width along their line; a single point a zero-size box.
/// - Returns: nil when there is no finite point.
/// - Complexity: O(n log n).
public func minimumAreaRectangle(_ points: [SIMD2<Double>]) -> BEVBox? {
    let hull = convexHull(points)
    guard let first = hull.first else { return nil }
    if hull.count == 1 { return BEVBox(center: first, length: 0, width: 0, yaw: 0) }
    var best: (area: Double, box: BEVBox)?
    for k in hull.indices {
        let p = hull[k], q = hull[(k + 1) % hull.count]
        let edge = q - p
        let angle = atan2(edge.y, edge.x)
        let box = rectangle(around: hull, yaw: angle, origin: first)
        if best == nil || box.area < best!.area { best = (box.area, box) }
    }
    return best!.box
}

/// The rectangle along the principal axis of the points (largest eigenvector of their 2 x 2
/// covariance), sized by their extents. Reported beside the L-shape fit as a baseline.
/// - Returns: nil when there is no finite point.
/// - Complexity: O(n).
public func principalAxisRectangle(_ points: [SIMD2<Double>]) -> BEVBox? {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard !finite.isEmpty else { return nil }
    let axis = principalAxis(finite)
    return rectangle(around: finite, yaw: axis.angle, origin: axis.mean)
}

/// The mean of non-empty, finite `points` and the angle of their principal axis (largest
/// eigenvector of their 2 x 2 covariance), radians from +x in (-pi/2, pi/2].
/// - Complexity: O(n).
package func principalAxis(_ points: [SIMD2<Double>]) -> (mean: SIMD2<Double>, angle: Double) {
    let mean = centroid(points)
    var sxx = 0.0, sxy = 0.0, syy = 0.0
    for p in points {
        let d = p - mean
        sxx += d.x * d.x
        sxy += d.x * d.y
        syy += d.y * d.y
    }
    return (mean, 0.5 * atan2(2 * sxy, sxx - syy))
}

/// The mean of non-empty `points`, summed relative to the first point for precision far from the origin.
func centroid(_ points: [SIMD2<Double>]) -> SIMD2<Double> {
    let first = points[0]
    var sum = SIMD2<Double>.zero
    for p in points { sum += p - first }
    return sum / Double(points.count) + first
}

/// The rectangle with sides along `yaw` and `yaw + pi/2` that holds the points; the longer side
/// becomes the length. `origin` is subtracted first for precision.
func rectangle(around points: [SIMD2<Double>], yaw: Double, origin: SIMD2<Double>) -> BEVBox {
    let c = cos(yaw), s = sin(yaw)
    var lowU = Double.infinity, highU = -Double.infinity, lowV = Double.infinity, highV = -Double.infinity
    for p in points {
        let d = p - origin
        let u = d.x * c + d.y * s, v = -d.x * s + d.y * c
        lowU = min(lowU, u); highU = max(highU, u)
        lowV = min(lowV, v); highV = max(highV, v)
    }
    return rectangle(yaw: yaw, cosine: c, sine: s, origin: origin, u: lowU...highU, v: lowV...highV)
}

/// The rectangle covering `u` along (cos, sin) and `v` across it, longer side as length, yaw in (-pi/2, pi/2].
func rectangle(yaw: Double, cosine c: Double, sine s: Double, origin: SIMD2<Double>,
               u: ClosedRange<Double>, v: ClosedRange<Double>) -> BEVBox {
    let midU = (u.lowerBound + u.upperBound) / 2, midV = (v.lowerBound + v.upperBound) / 2
    let center = origin + SIMD2(midU * c - midV * s, midU * s + midV * c)
    let extentU = u.upperBound - u.lowerBound, extentV = v.upperBound - v.lowerBound
    var box = extentU >= extentV
        ? BEVBox(center: center, length: extentU, width: extentV, yaw: yaw)
        : BEVBox(center: center, length: extentV, width: extentU, yaw: yaw + .pi / 2)
    box.yaw = axisYaw(box.yaw)
    return box
}

/// An undirected axis angle folded into (-pi/2, pi/2].
@inline(__always)
func axisYaw(_ angle: Double) -> Double {
    var a = normalizedYaw(angle)
    if a > .pi / 2 { a -= .pi } else if a <= -.pi / 2 { a += .pi }
    return a
}

// MARK: - L-shape fitting

/// L-shape fitting of a rectangle to the points of one object seen by a lidar (Zhang et al. 2017,
/// "Efficient L-Shape Fitting for Vehicle Detection Using Laser Scanners"), with the closeness
/// criterion.
///
/// For each candidate direction in [0, pi/2) the points are projected on the two rectangle axes; each
/// point scores `1 / max(d, minimumDistance)` where `d` is its distance to the nearer of the two
/// nearest rectangle edges, and the direction with the highest total wins. Edges are placed at
/// trimmed extents (quantiles `trimFraction` and `1 - trimFraction` on each axis) so that a few stray
/// returns neither move the edges nor the chosen direction. A coarse search over `coarseStep` is
/// refined around the best direction in steps of `fineStep`.
public struct LShapeFitter: Sendable, Hashable, Codable {
    /// Angle step of the coarse search, radians (default 1 degree).
    public var coarseStep: Double
    /// Angle step of the refinement around the best coarse angle, radians (default 0.1 degree).
    public var fineStep: Double
    /// The floor `d0` of the closeness distance, metres (default 0.01, as in the paper).
    public var minimumDistance: Double
    /// Fraction of the points ignored at each end of each axis for the edges (default 0.01).
    public var trimFraction: Double
    /// Point sets larger than this are evenly subsampled for the angle search (the final extents use
    /// all points). Default 2,000.
    public var maximumSearchPoints: Int

    public init(coarseStep: Double = .pi / 180, fineStep: Double = .pi / 1800, minimumDistance: Double = 0.01,
                trimFraction: Double = 0.01, maximumSearchPoints: Int = 2000) {
        precondition(coarseStep > 0 && fineStep > 0 && minimumDistance > 0, "L-shape steps and distance must be > 0")
        precondition(trimFraction >= 0 && trimFraction < 0.5, "trimFraction must be in [0, 0.5)")
        precondition(maximumSearchPoints >= 3, "maximumSearchPoints must be at least 3")
        self.coarseStep = coarseStep
        self.fineStep = fineStep
        self.minimumDistance = minimumDistance
        self.trimFraction = trimFraction
        self.maximumSearchPoints = maximumSearchPoints
    }

    /// The fitted rectangle: length is the longer side, yaw in (-pi/2, pi/2] (a point set has no
    /// heading; tracking resolves it).
    /// - Returns: nil when there is no finite point. One or two distinct points give a degenerate box.
    /// - Complexity: O(n (pi/2) / coarseStep) plus the refinement.
    public func fit(_ points: [SIMD2<Double>]) -> BEVBox? {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = finite.first else { return nil }
        guard finite.count >= 3 else { return rectangle(around: finite, yaw: 0, origin: first) }
        let origin = centroid(finite)
        let local = finite.map { $0 - origin }
        // The search points' coordinates, one array each (the angle loops below read them in turn).
        let searchCount = min(local.count, maximumSearchPoints)
        var xs = [Double](repeating: 0, count: searchCount), ys = xs
        if local.count > maximumSearchPoints {
            let stride = Double(local.count) / Double(maximumSearchPoints)
            for k in 0..<searchCount { let p = local[Int(Double(k) * stride)]; xs[k] = p.x; ys[k] = p.y }
        } else {
            for k in 0..<searchCount { xs[k] = local[k].x; ys[k] = local[k].y }
        }
        var scratchU = [Double](repeating: 0, count: searchCount)
        var scratchV = scratchU, work = scratchU

        var bestAngle = 0.0, bestScore = -Double.infinity
        var angle = 0.0
        while angle < .pi / 2 {
            let score = closeness(xs, ys, angle: angle, &scratchU, &scratchV, &work)
            if score > bestScore { (bestScore, bestAngle) = (score, angle) }
            angle += coarseStep
        }
        var fine = bestAngle - coarseStep
        let end = bestAngle + coarseStep
        while fine <= end {
            let score = closeness(xs, ys, angle: fine, &scratchU, &scratchV, &work)
            if score > bestScore { (bestScore, bestAngle) = (score, fine) }
            fine += fineStep
        }
        // Edges at trimmed extents over all points.
        let c = cos(bestAngle), s = sin(bestAngle)
        var us = local.map { $0.x * c + $0.y * s }
        var vs = local.map { -$0.x * s + $0.y * c }
        let u = trimmedRange(&us), v = trimmedRange(&vs)
        return rectangle(yaw: bestAngle, cosine: c, sine: s, origin: origin, u: u, v: v)
    }

    /// The closeness score of direction `angle` (higher is better) for the points (`xs[k]`, `ys[k]`).
    ///
    /// Each point's term is `1 / max(d, minimumDistance)`, summed in point order. The loops run over
    /// the arrays' buffers: `us`, `vs` and `work` (as long as `xs`) are scratch, their values lost.
    func closeness(_ xs: [Double], _ ys: [Double], angle: Double,
                   _ us: inout [Double], _ vs: inout [Double], _ work: inout [Double]) -> Double {
        precondition(xs.count == ys.count && us.count == xs.count && vs.count == xs.count && work.count == xs.count,
                     "closeness: scratch arrays must be as long as the points")
        let c = cos(angle), s = sin(angle)
        let n = xs.count
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeBufferPointer { y in
                us.withUnsafeMutableBufferPointer { u in
                    vs.withUnsafeMutableBufferPointer { v in
                        for k in 0..<n {
                            u[k] = x[k] * c + y[k] * s
                            v[k] = -x[k] * s + y[k] * c
                        }
                    }
                }
            }
        }
        let u: ClosedRange<Double>, v: ClosedRange<Double>
        let drop = Int(Double(n) * trimFraction)
        if drop < 8 {
            u = us.withUnsafeBufferPointer { smallTrimmedRange($0, drop: drop) }
            v = vs.withUnsafeBufferPointer { smallTrimmedRange($0, drop: drop) }
        } else {
            // Element-wise copies keep `work`'s own storage (assigning the array would share `us`
            // and make the selection below copy it again).
            for k in 0..<n { work[k] = us[k] }
            u = trimmedRange(&work)
            for k in 0..<n { work[k] = vs[k] }
            v = trimmedRange(&work)
        }
        let uLow = u.lowerBound, uHigh = u.upperBound, vLow = v.lowerBound, vHigh = v.upperBound
        let floor = minimumDistance
        return us.withUnsafeBufferPointer { us in
            vs.withUnsafeBufferPointer { vs in
                work.withUnsafeMutableBufferPointer { terms in
                    // The terms first (independent of each other), then their sum in point order.
                    // A point's distance is the least of its four edge distances, floored by d0; points
                    // beyond a trimmed edge (negative distances) are at distance 0 from it, which the
                    // floor (> 0) also covers. Comparisons written out so that they vectorize as
                    // minimum and maximum instructions.
                    for k in 0..<n {
                        let aboveU = us[k] - uLow, belowU = uHigh - us[k]
                        let aboveV = vs[k] - vLow, belowV = vHigh - vs[k]
                        let du = aboveU < belowU ? aboveU : belowU
                        let dv = aboveV < belowV ? aboveV : belowV
                        let d = dv < du ? dv : du
                        terms[k] = 1 / (d > floor ? d : floor)
                    }
                    var score = 0.0
                    for k in 0..<n { score += terms[k] }
                    return score
                }
            }
        }
    }

    /// The trimmed extent of `values` (reordered in place): quantiles trimFraction and 1 - trimFraction.
    func trimmedRange(_ values: inout [Double]) -> ClosedRange<Double> {
        let drop = Int(Double(values.count) * trimFraction)
        if drop < 8 { return values.withUnsafeBufferPointer { smallTrimmedRange($0, drop: drop) } }
        let low = select(&values, drop)
        let high = select(&values, values.count - 1 - drop)
        return low...max(low, high)
    }

    /// The `drop`-th smallest and largest values of an array (see the buffer form).
    func smallTrimmedRange(_ values: [Double], drop: Int) -> ClosedRange<Double> {
        values.withUnsafeBufferPointer { smallTrimmedRange($0, drop: drop) }
    }

    /// The `drop`-th smallest and largest values in one pass, keeping the `drop + 1` extremes on
    /// each side (the same order statistics as two quickselects, without moving the values); with
    /// `drop` 0 the minimum and maximum.
    /// - Precondition: `values` is not empty.
    /// - Complexity: O(n drop).
    func smallTrimmedRange(_ values: UnsafeBufferPointer<Double>, drop: Int) -> ClosedRange<Double> {
        precondition(!values.isEmpty, "smallTrimmedRange: no values")
        if drop == 0 {
            var low = Double.infinity, high = -Double.infinity
            // `min` and `max` written out (the same choices, ties included) so that they compile
            // to plain minimum and maximum instructions.
            for x in values {
                low = x < low ? x : low
                high = x >= high ? x : high
            }
            return low...high
        }
        let kept = drop + 1
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * kept) { scratch in
            // scratch[0..<kept]: smallest ascending; scratch[kept..<2 kept]: largest descending.
            let filled = min(kept, values.count)
            // Fill both sides with the first values, kept in order.
            for count in 0..<filled {
                let x = values[count]
                var i = count
                while i > 0 && scratch[i - 1] > x { scratch[i] = scratch[i - 1]; i -= 1 }
                scratch[i] = x
                var j = kept + count
                while j > kept && scratch[j - 1] < x { scratch[j] = scratch[j - 1]; j -= 1 }
                scratch[j] = x
            }
            // The kept extremes' innermost values, held apart from the scratch so that the common
            // case (a value that enters neither side) reads no memory but the value.
            var lowLimit = scratch[kept - 1], highLimit = scratch[2 * kept - 1]
            var k = filled
            let base = UnsafeRawPointer(values.baseAddress!)
            while k < values.count {
                // Four values at a time are first tested together: most enter neither side. A
                // value that enters neither at its group's start cannot later in the group (the
                // limits only tighten), so skipping the group changes nothing.
                while k + 4 <= values.count {
                    let group = base.loadUnaligned(fromByteOffset: k * MemoryLayout<Double>.stride, as: SIMD4<Double>.self)
                    let enters = (group .< SIMD4(repeating: lowLimit)) .| (group .> SIMD4(repeating: highLimit))
                    if any(enters) { break }
                    k += 4
                }
                // The next (at most four) values one by one, in order.
                let stop = min(k + 4, values.count)
                while k < stop {
                    let x = values[k]
                    k += 1
                    if x < lowLimit {
                        var i = kept - 1
                        while i > 0 && scratch[i - 1] > x { scratch[i] = scratch[i - 1]; i -= 1 }
                        scratch[i] = x
                        lowLimit = scratch[kept - 1]
                    }
                    if x > highLimit {
                        var j = 2 * kept - 1
                        while j > kept && scratch[j - 1] < x { scratch[j] = scratch[j - 1]; j -= 1 }
                        scratch[j] = x
                        highLimit = scratch[2 * kept - 1]
                    }
                }
            }
            let low = scratch[kept - 1], high = scratch[2 * kept - 1]
            return low...max(low, high)
        }
    }
}

/// The k-th smallest element (0-based) of `values`, which is partially reordered (quickselect with a
/// median-of-three pivot).
/// - Precondition: `0 <= k < values.count`; no NaN.
/// - Complexity: O(n) expected.
package func select(_ values: inout [Double], _ k: Int) -> Double {
    precondition(k >= 0 && k < values.count, "select: k must index the values")
    // Over the buffer: the array's uniqueness and bounds are checked once, not at every swap.
    return values.withUnsafeMutableBufferPointer { buffer in
        var low = 0, high = buffer.count - 1
        while high > low {
            let (i, j) = partitionAroundMedianOfThree(buffer, low, high)
            if k <= j { high = j } else if k >= i { low = i } else { return buffer[k] }
        }
        return buffer[k]
    }
}

// MARK: - Cuboids from points

/// A cuboid fitted to the points of one object: footprint from the L-shape fit, height from the points.
///
/// - Parameters:
///   - points: The object's points, metres, in a frame whose z is up (lidar or world).
///   - groundHeight: z of the ground under the object; when given, the box stands on it (bottom at
///     `groundHeight`), otherwise the bottom is the lowest point.
///   - fitter: The L-shape fitter for the footprint.
/// - Returns: nil when there is no finite point.
/// - Complexity: as ``LShapeFitter/fit(_:)``.
public func fitCuboid(_ points: [SIMD3<Double>], groundHeight: Double? = nil,
                      fitter: LShapeFitter = LShapeFitter()) -> Box3D? {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }
    guard let footprint = fitter.fit(finite.map { SIMD2($0.x, $0.y) }) else { return nil }
    var low = Double.infinity, high = -Double.infinity
    for p in finite { low = min(low, p.z); high = max(high, p.z) }
    let bottom = groundHeight.map { min($0, high) } ?? low
    return footprint.cuboid(bottom: bottom, top: high)
}

/// Extends a footprint fitted to a partial view (a lidar sees one or two sides of an object) to a
/// class's typical size, keeping the corner nearest the sensor fixed.
///
/// The corner nearest `sensor` is the one the lidar saw best; the box grows from it along its two
/// edges, away from the sensor, to at least `length` and `width` (sides already longer are kept). The
/// class length is put along whichever fitted side it explains better: each assignment scores the
/// larger share of a class side it sees, less twice the shares by which observed sides overflow the
/// class sides, and the higher wins. A car seen from behind (1.6 m wide, 0.3 m deep) gets its length
/// across the short observed side; 2.3 m of a car's side, too long for its width, is part of its
/// length. When both assignments score within 0.1 (`ambiguousCompletionMargin`; a near-square view of
/// an object's end, 1.7 m by 1.6 m of a car's rear and side), the length goes along the fitted axis
/// nearer the line of sight from the sensor to the footprint's centre: the unseen part of an object
/// seen end-on runs away from the sensor.
/// - Parameters:
///   - footprint: The fitted rectangle (for example from ``LShapeFitter``).
///   - length: The class's typical length, metres.
///   - width: The class's typical width, metres.
///   - sensor: Sensor position in the footprint's frame (the origin for lidar-frame boxes).
/// - Returns: The completed rectangle, yaw in (-pi/2, pi/2].
/// - Complexity: O(1).
public func completeFootprint(_ footprint: BEVBox, toLength length: Double, width: Double,
                              sensor: SIMD2<Double> = .zero) -> BEVBox {
    precondition(length > 0 && width > 0, "class size must be > 0")
    let corners = footprint.corners
    var anchor = 0
    for k in 1..<4 where lengthSquared(corners[k] - sensor) < lengthSquared(corners[anchor] - sensor) { anchor = k }
    // The box's axes oriented from the anchor into the box (taken from the yaw, so zero-length sides
    // still have a direction).
    let axisLength = footprint.heading, axisWidth = SIMD2(-axisLength.y, axisLength.x)
    let anchorLocal = corners[anchor] - footprint.center
    // Into the box: opposite to the anchor's offset from the centre on each axis.
    let intoLength = (anchorLocal * axisLength).sum() > 0 ? -axisLength : axisLength
    let intoWidth = (anchorLocal * axisWidth).sum() > 0 ? -axisWidth : axisWidth

    func score(_ observed: (Double, Double), _ target: (Double, Double)) -> Double {
        let r0 = observed.0 / target.0, r1 = observed.1 / target.1
        return max(min(r0, 1), min(r1, 1)) - 2 * (max(0, r0 - 1) + max(0, r1 - 1))
    }
    let observedLength = footprint.length, observedWidth = footprint.width
    let keep = score((observedLength, observedWidth), (length, width))
    let swap = score((observedWidth, observedLength), (length, width))
    // Sides that explain the class equally well (a near-square end of an object): the unseen length
    // runs away from the sensor, along the axis nearer the line of sight.
    var swapped = swap > keep
    if abs(swap - keep) < ambiguousCompletionMargin {
        let sight = footprint.center - sensor
        swapped = abs((sight * axisWidth).sum()) > abs((sight * axisLength).sum())
    }
    let (dirLength, dirWidth, newLength, newWidth): (SIMD2<Double>, SIMD2<Double>, Double, Double)
    if swapped {
        dirLength = intoWidth
        dirWidth = intoLength
        newLength = max(length, observedWidth)
        newWidth = max(width, observedLength)
    } else {
        dirLength = intoLength
        dirWidth = intoWidth
        newLength = max(length, observedLength)
        newWidth = max(width, observedWidth)
    }
    let center = corners[anchor] + dirLength * (newLength / 2) + dirWidth * (newWidth / 2)
    return BEVBox(center: center, length: newLength, width: newWidth, yaw: axisYaw(atan2(dirLength.y, dirLength.x)))
}

/// Assignments of the class sides to the observed ones whose scores differ by less than this are a
/// tie (see ``completeFootprint(_:toLength:width:sensor:)``).
let ambiguousCompletionMargin = 0.1

@inline(__always)
func lengthSquared(_ v: SIMD2<Double>) -> Double { (v * v).sum() }

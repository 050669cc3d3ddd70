import Foundation
import CuboidPointClouds
import CuboidGeometry

/// The lowest return near the ground in each cell of a coarse bird's-eye-view grid: the road level
/// beside an object.
///
/// A ground bin that a car covers has few road returns, so its plane rests on the car's sills and
/// lies too high; the cells around the car still hold the road. Cells are ``cellSize`` square, in the
/// sensor frame (x forward, y left, metres); only returns whose height above their bin's plane is
/// below the clustering band's floor count (ground, and a car's sills taken for ground).
struct RoadLevelGrid: Sendable {
    static let cellSize = 0.5
    let grid: SquareGrid
    /// Lowest sensor z per cell, +infinity where the cell holds no low return.
    private var lowest: [Float]

    /// - Complexity: O(n + cells).
    init(x: [Float], y: [Float], z: [Float], heights: [Float], below ceiling: Float, maximumRange: Double) {
        grid = SquareGrid(cellSize: Self.cellSize, maximumRange: maximumRange)
        lowest = [Float](repeating: .infinity, count: grid.cellCount)
        for i in x.indices {
            let h = heights[i]
            guard h.isFinite, h < ceiling, z[i].isFinite, let c = grid.cell(x[i], y[i]) else { continue }
            lowest[c] = min(lowest[c], z[i])
        }
    }

    /// The road level around a footprint: the lower third of the cells' lowest returns within
    /// `margin` of the axis-aligned bounds, or nil when fewer than 4 cells hold a low return.
    func level(minimum: SIMD2<Double>, maximum: SIMD2<Double>, margin: Double) -> Double? {
        guard let (columns, rows) = grid.cells(from: minimum, to: maximum, margin: margin) else { return nil }
        var levels: [Float] = []
        for cy in rows { for cx in columns where lowest[cy * grid.side + cx].isFinite { levels.append(lowest[cy * grid.side + cx]) } }
        guard levels.count >= 4 else { return nil }
        levels.sort()
        return Double(levels[levels.count / 3])
    }
}

/// The above-ground returns of the sweep, bucketed in a coarse bird's-eye-view grid: what lies on
/// the line of an object's face beyond its ends.
///
/// Cells are ``cellSize`` square in the sensor frame (x forward, y left, metres); only returns whose
/// height above the ground lies in the clustering band count. Stored cell by cell (a counting
/// sort), so a query reads only the cells it covers.
struct ReturnGrid: Sendable {
    static let cellSize = 1.0
    let grid: SquareGrid
    /// The returns of cell `c` are `points[start[c]..<start[c + 1]]`.
    private var start: [Int32]
    private var points: [SIMD2<Float>]

    /// - Complexity: O(n + cells).
    init(x: [Float], y: [Float], heights: [Float], low: Float, high: Float, maximumRange: Double) {
        grid = SquareGrid(cellSize: Self.cellSize, maximumRange: maximumRange)
        let cellCount = grid.cellCount
        var cellOf = [Int32](repeating: -1, count: x.count)
        var offsets = [Int32](repeating: 0, count: cellCount + 1)
        for i in x.indices {
            let h = heights[i]
            guard h >= low, h <= high, let c = grid.cell(x[i], y[i]) else { continue }
            cellOf[i] = Int32(c)
            offsets[c + 1] += 1
        }
        for c in 0..<cellCount { offsets[c + 1] += offsets[c] }
        start = offsets
        var next = offsets
        points = [SIMD2<Float>](repeating: .zero, count: Int(offsets[cellCount]))
        for i in x.indices where cellOf[i] >= 0 {
            let c = Int(cellOf[i])
            points[Int(next[c])] = SIMD2(x[i], y[i])
            next[c] += 1
        }
    }

    /// The length of the surface a one-face footprint lies on: its own length, extended along its
    /// axis, at each end, through every return within `width / 2 + lateralTolerance` of its line
    /// that lies at most `gap` past the surface's end so far, looking at most `limit` past the end.
    /// - Complexity: O(returns in the cells within `limit` of the footprint).
    func surfaceLength(along face: BEVBox, gap: Double, lateralTolerance: Double, limit: Double) -> Double {
        let axis = face.heading, normal = SIMD2(-axis.y, axis.x)
        let reach = face.length / 2 + limit, lateral = face.width / 2 + lateralTolerance
        guard let (columns, rows) = grid.cells(from: face.center, to: face.center, margin: reach) else { return face.length }
        var ahead: [Double] = [], behind: [Double] = []
        for cy in rows {
            for cx in columns {
                let c = cy * grid.side + cx
                for k in Int(start[c])..<Int(start[c + 1]) {
                    let d = SIMD2(Double(points[k].x), Double(points[k].y)) - face.center
                    let u = (d * axis).sum(), v = (d * normal).sum()
                    guard abs(v) <= lateral, abs(u) <= reach else { continue }
                    if u > 0 { ahead.append(u) } else { behind.append(-u) }
                }
            }
        }
        func end(_ distances: inout [Double]) -> Double {
            distances.sort()
            var end = face.length / 2
            for u in distances {
                if u > end + gap { break }
                end = max(end, u)
            }
            return end
        }
        return end(&ahead) + end(&behind)
    }
}

/// The nearest above-ground return in each azimuth bin of the sweep: what stands between the sensor
/// and an object, seen from the sensor.
///
/// An object's end that borders returns clearly nearer the sensor is hidden behind them (its true
/// end lies further on); an end that borders free space or further returns is the object's own end.
struct OcclusionMap: Sendable {
    /// Azimuth bins per radian (0.25 degree bins).
    static let binsPerRadian = 4 * 180 / Double.pi
    static let binCount = 1440
    /// Horizontal range of the nearest return per bin, +infinity where there is none.
    private var nearest: [Float]

    /// - Parameters: heights: Height above the ground per point; points outside `low...high` are ignored.
    /// - Complexity: O(n).
    init(x: [Float], y: [Float], heights: [Float], low: Float, high: Float) {
        nearest = [Float](repeating: .infinity, count: Self.binCount)
        for i in x.indices {
            let h = heights[i]
            guard h >= low && h <= high else { continue }
            let px = Double(x[i]), py = Double(y[i])
            // The bin from the approximate arc tangent unless the angle lies at a bin's edge.
            let approximate = (approximateAtan2(py, px) + .pi) * Self.binsPerRadian
            let bin = px != 0 && py != 0 && clearOfBinEdges(approximate, binsPerRadian: Self.binsPerRadian)
                ? Self.wrapped(Int(approximate.rounded(.down))) : Self.bin(atan2(py, px))
            nearest[bin] = min(nearest[bin], Float((px * px + py * py).squareRoot()))
        }
    }

    static func bin(_ azimuth: Double) -> Int {
        wrapped(Int(((azimuth + .pi) * binsPerRadian).rounded(.down)))
    }

    /// The nearest return's horizontal range in the bins just past `azimuth`, counter-clockwise,
    /// up to `span` radians on; +infinity where they hold none.
    func nearestReturn(past azimuth: Double, span: Double) -> Double {
        let first = Self.bin(azimuth)
        let bins = max(1, Int((span * Self.binsPerRadian).rounded(.up)))
        var nearestRange = Float.infinity
        for k in 1...bins { nearestRange = min(nearestRange, nearest[(first + k) % Self.binCount]) }
        return Double(nearestRange)
    }

    /// A bin number brought into 0..<binCount.
    @inline(__always)
    static func wrapped(_ b: Int) -> Int { ((b % binCount) + binCount) % binCount }

    /// Whether the bins just past `azimuth`, in direction `side` (+1 counter-clockwise, -1 clockwise),
    /// hold a return nearer than `range - clearance`.
    /// - Parameter span: How far past the azimuth to look, radians.
    func hidden(past azimuth: Double, side: Int, range: Double, clearance: Double, span: Double) -> Bool {
        let first = Self.bin(azimuth)
        let bins = max(1, Int((span * Self.binsPerRadian).rounded(.up)))
        for k in 1...bins {
            let b = ((first + side * k) % Self.binCount + Self.binCount) % Self.binCount
            if Double(nearest[b]) < range - clearance { return true }
        }
        return false
    }
}

/// The elevation of the sensor's highest ring, as a slope z / range: the highest bin, 0.00087
/// (0.05 degree near the horizon) wide in slope, holding at least 10 of the returns 10 m to 60 m
/// out (nearer, a laser's offset from the sensor's origin tilts its ring). Nil when no bin holds
/// that many.
/// - Parameters: x, y, z: Point coordinates, metres, sensor frame (z up); equal counts.
/// - Complexity: O(n).
func highestRingSlope(x: [Float], y: [Float], z: [Float]) -> Double? {
    let binWidth = 0.05 * Double.pi / 180, lowest = -0.6
    let binCount = Int((2 * -lowest / binWidth).rounded(.up))
    var counts = [Int32](repeating: 0, count: binCount)
    for i in x.indices {
        let px = Double(x[i]), py = Double(y[i])
        let range2 = px * px + py * py
        guard range2 >= 100, range2 <= 3600 else { continue }
        let bin = Int(((Double(z[i]) / range2.squareRoot() - lowest) / binWidth).rounded(.down))
        if bin >= 0 && bin < binCount { counts[bin] += 1 }
    }
    guard let top = counts.lastIndex(where: { $0 >= 10 }) else { return nil }
    return lowest + Double(top + 1) * binWidth
}

/// Where the sweep holds returns higher than a floor above the ground: 0.5 m cells of a
/// bird's-eye-view grid in the sensor frame (x forward, y left, metres) marked occupied.
///
/// What the lidar sees straight above an object's returns, higher than any object of its class,
/// belongs to something taller standing there: a facade, its pillars, a tree.
struct OverheadGrid: Sendable {
    static let cellSize = 0.5
    let grid: SquareGrid
    private var occupied: [Bool]

    /// - Parameters: heights: Height above the ground per point; only points higher than `above` count.
    /// - Complexity: O(n + cells).
    init(x: [Float], y: [Float], heights: [Float], above floor: Float, maximumRange: Double) {
        grid = SquareGrid(cellSize: Self.cellSize, maximumRange: maximumRange)
        occupied = [Bool](repeating: false, count: grid.cellCount)
        for i in x.indices where heights[i] > floor && heights[i].isFinite {
            if let c = grid.cell(x[i], y[i]) { occupied[c] = true }
        }
    }

    /// The share of the cells holding at least one of `footprint`'s points that are occupied; 0
    /// for no points.
    /// - Complexity: O(points log points).
    func share(of footprint: [SIMD2<Double>]) -> Double {
        var cells = Set<Int>(), above = 0
        for p in footprint {
            guard let c = grid.cell(Float(p.x), Float(p.y)), cells.insert(c).inserted else { continue }
            if occupied[c] { above += 1 }
        }
        return cells.isEmpty ? 0 : Double(above) / Double(cells.count)
    }
}

import Foundation
import CuboidPointClouds

/// The lowest return near the ground in each cell of a coarse bird's-eye-view grid: the road level
/// beside an object.
///
/// A ground bin that a car covers has few road returns, so its plane rests on the car's sills and
/// lies too high; the cells around the car still hold the road. Cells are ``cellSize`` square, in the
/// sensor frame (x forward, y left, metres); only returns whose height above their bin's plane is
/// below the clustering band's floor count (ground, and a car's sills taken for ground).
struct RoadLevelGrid: Sendable {
    static let cellSize = 0.5
    let half: Double, side: Int
    /// Lowest sensor z per cell, +infinity where the cell holds no low return.
    private var lowest: [Float]

    /// - Complexity: O(n + cells).
    init(x: [Float], y: [Float], z: [Float], heights: [Float], below ceiling: Float, maximumRange: Double) {
        half = maximumRange
        side = Int((2 * maximumRange / Self.cellSize).rounded(.up)) + 1
        lowest = [Float](repeating: .infinity, count: side * side)
        for i in x.indices {
            let h = heights[i]
            guard h.isFinite, h < ceiling, z[i].isFinite else { continue }
            let cx = Int((Double(x[i]) + half) / Self.cellSize), cy = Int((Double(y[i]) + half) / Self.cellSize)
            guard cx >= 0, cy >= 0, cx < side, cy < side else { continue }
            lowest[cy * side + cx] = min(lowest[cy * side + cx], z[i])
        }
    }

    /// The road level around a footprint: the lower third of the cells' lowest returns within
    /// `margin` of the axis-aligned bounds, or nil when fewer than 4 cells hold a low return.
    func level(minimum: SIMD2<Double>, maximum: SIMD2<Double>, margin: Double) -> Double? {
        let x0 = max(0, Int((minimum.x - margin + half) / Self.cellSize)), x1 = min(side - 1, Int((maximum.x + margin + half) / Self.cellSize))
        let y0 = max(0, Int((minimum.y - margin + half) / Self.cellSize)), y1 = min(side - 1, Int((maximum.y + margin + half) / Self.cellSize))
        guard x0 <= x1, y0 <= y1 else { return nil }
        var levels: [Float] = []
        for cy in y0...y1 { for cx in x0...x1 where lowest[cy * side + cx].isFinite { levels.append(lowest[cy * side + cx]) } }
        guard levels.count >= 4 else { return nil }
        levels.sort()
        return Double(levels[levels.count / 3])
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
            let bin = Self.bin(atan2(py, px))
            nearest[bin] = min(nearest[bin], Float((px * px + py * py).squareRoot()))
        }
    }

    static func bin(_ azimuth: Double) -> Int {
        let b = Int(((azimuth + .pi) * binsPerRadian).rounded(.down))
        return ((b % binCount) + binCount) % binCount
    }

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

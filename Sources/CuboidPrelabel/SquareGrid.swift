/// A square bird's-eye-view grid centred on the sensor: cells `cellSize` metres square covering
/// x and y from `-half` to `+half` (sensor frame, x forward, y left), numbered `cy * side + cx`.
///
/// The clustering's cells, the road levels and the above-ground returns are each kept in one.
struct SquareGrid: Sendable, Hashable {
    let cellSize: Double, half: Double, side: Int

    /// - Parameters: cellSize: Cell edge, metres (> 0); maximumRange: Half the grid's side, metres.
    init(cellSize: Double, maximumRange: Double) {
        precondition(cellSize > 0 && maximumRange >= 0, "grid cells must be > 0 and the range >= 0")
        self.cellSize = cellSize
        half = maximumRange
        side = Int((2 * maximumRange / cellSize).rounded(.up)) + 1
    }

    var cellCount: Int { side * side }

    /// The cell holding a point, or nil outside the grid (or for a non-finite coordinate).
    ///
    /// Cell indices are the offsets from the low edge truncated towards zero, so the first column
    /// and row also take points up to one cell below that edge.
    @inline(__always)
    func cell(_ x: Float, _ y: Float) -> Int? {
        let fx = (Double(x) + half) / cellSize, fy = (Double(y) + half) / cellSize
        guard fx > -1, fy > -1, fx < Double(side), fy < Double(side) else { return nil }
        return Int(fy) * side + Int(fx)
    }

    /// The columns and rows of the cells that an axis-aligned box, grown by `margin`, touches,
    /// clipped to the grid; nil when it lies outside.
    func cells(from minimum: SIMD2<Double>, to maximum: SIMD2<Double>, margin: Double = 0) -> (x: ClosedRange<Int>, y: ClosedRange<Int>)? {
        let x0 = max(0, Int((minimum.x - margin + half) / cellSize)), x1 = min(side - 1, Int((maximum.x + margin + half) / cellSize))
        let y0 = max(0, Int((minimum.y - margin + half) / cellSize)), y1 = min(side - 1, Int((maximum.y + margin + half) / cellSize))
        guard x0 <= x1, y0 <= y1 else { return nil }
        return (x0...x1, y0...y1)
    }
}

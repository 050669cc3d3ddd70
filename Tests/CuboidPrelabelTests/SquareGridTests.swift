@testable import CuboidPrelabel
import Testing

@Suite struct SquareGridTests {
    /// 0.5 m cells over +-2 m: 9 columns (the last one past the edge), the point's offset from the
    /// low edge truncated towards zero; nothing from a cell below the edge, beyond the last column or
    /// not finite.
    @Test func cellsAndRanges() throws {
        let grid = SquareGrid(cellSize: 0.5, maximumRange: 2)
        #expect(grid.side == 9 && grid.cellCount == 81)
        #expect(grid.cell(-2, -2) == 0)
        #expect(grid.cell(0.1, -1.9) == 0 * 9 + 4)
        #expect(grid.cell(-1.9, 0.1) == 4 * 9 + 0)
        #expect(grid.cell(2.4, 2.4) == 80)
        #expect(grid.cell(-2.2, 0) == 4 * 9)
        #expect(grid.cell(-2.6, 0) == nil)
        #expect(grid.cell(2.6, 0) == nil)
        #expect(grid.cell(.nan, 0) == nil)
        #expect(grid.cell(.infinity, 0) == nil)
        let (columns, rows) = try #require(grid.cells(from: SIMD2(-0.2, 1.2), to: SIMD2(0.3, 1.4), margin: 0.1))
        #expect(columns == 3...4 && rows == 6...7)
        #expect(grid.cells(from: SIMD2(10, 10), to: SIMD2(11, 11)) == nil)
    }
}

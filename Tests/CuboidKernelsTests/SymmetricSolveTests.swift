import CuboidKernels
import Testing

@Suite("Symmetric positive definite solve")
struct SymmetricSolveTests {
    @Test("solves a 3 x 3 system to 1e-12 and refuses a singular and an indefinite matrix")
    func solve() throws {
        let a: [Double] = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]
        let x: [Double] = [1, -2, 0.5]
        let b = (0..<3).map { i in (0..<3).reduce(0.0) { $0 + a[i * 3 + $1] * x[$1] } }
        let solved = try #require(solveSymmetricPositiveDefinite(a, b))
        for (s, t) in zip(solved, x) { #expect(abs(s - t) < 1e-12) }
        #expect(solveSymmetricPositiveDefinite([1, 1, 1, 1], [1, 2]) == nil)
        #expect(solveSymmetricPositiveDefinite([1, 2, 2, 1], [1, 2]) == nil)
    }
}

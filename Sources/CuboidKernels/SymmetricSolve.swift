/// Solves `A x = b` for a symmetric positive definite `n x n` matrix `A` (row-major, `n * n` values)
/// by Cholesky factorisation; nil when `A` is not positive definite (a pivot at or below
/// `1e-12` times the largest diagonal entry), so a caller can tell a singular system from a solution.
///
/// Used for the small normal equations of least-squares fits (the 6 x 6 Gauss-Newton step of scan
/// registration). Only the lower triangle of `A` is read.
public func solveSymmetricPositiveDefinite(_ a: [Double], _ b: [Double]) -> [Double]? {
    let n = b.count
    precondition(a.count == n * n, "solveSymmetricPositiveDefinite takes an n x n matrix and n values")
    guard n > 0 else { return [] }
    let largest = (0..<n).map { a[$0 * n + $0] }.max() ?? 0
    guard largest > 0, largest.isFinite else { return nil }
    var l = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0...i {
            var sum = a[i * n + j]
            for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
            if i == j {
                guard sum > 1e-12 * largest else { return nil }
                l[i * n + i] = sum.squareRoot()
            } else {
                l[i * n + j] = sum / l[j * n + j]
            }
        }
    }
    // L y = b, then L^T x = y.
    var y = b
    for i in 0..<n {
        var sum = y[i]
        for k in 0..<i { sum -= l[i * n + k] * y[k] }
        y[i] = sum / l[i * n + i]
    }
    var x = y
    for i in stride(from: n - 1, through: 0, by: -1) {
        var sum = x[i]
        for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
        x[i] = sum / l[i * n + i]
    }
    return x
}

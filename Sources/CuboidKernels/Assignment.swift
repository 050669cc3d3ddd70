import CuboidGeometry

/// One matched pair of an assignment: a row and a column of the cost matrix.
public struct AssignedPair: Sendable, Hashable, Codable {
    /// Row index (for example a detection).
    public var row: Int
    /// Column index (for example a track or a gold box).
    public var column: Int

    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }
}

/// Optimal assignment on a rectangular cost matrix, with gating.
///
/// Pairs whose cost is NaN, infinite or above `maximumCost` are forbidden. Among all matchings that
/// use allowed pairs only, the result has the **largest number of pairs** and, among those, the
/// **least total cost**. Without forbidden pairs this is the classic rectangular assignment: every
/// row is matched when there are no more rows than columns (and every column otherwise), exactly as
/// SciPy's `linear_sum_assignment`.
///
/// The solver is the shortest augmenting path method of Jonker and Volgenant in the form of Crouse
/// (2016), the algorithm SciPy uses.
/// - Parameters:
///   - cost: An N x M cost matrix; lower is better (use `1 - IoU` for IoU).
///   - maximumCost: The gate; pairs costing more are never matched. nil admits every finite cost.
/// - Returns: The matched pairs, sorted by row.
/// - Complexity: O(N^2 M) for N <= M.
public func optimalAssignment(cost: Matrix, maximumCost: Double? = nil) -> [AssignedPair] {
    let n = cost.rows, m = cost.columns
    guard n > 0, m > 0 else { return [] }
    let allowed = { (value: Double) in isAllowed(value, maximumCost) }
    var low = Double.infinity, high = -Double.infinity
    for value in cost.elements where allowed(value) {
        low = min(low, value)
        high = max(high, value)
    }
    guard low.isFinite else { return [] }
    // Forbidden pairs cost more than any matching of allowed pairs could, so the solver first
    // maximises the number of allowed pairs, then minimises their cost; they are dropped afterwards.
    let range = high - low
    let forbidden = (range + 1) * Double(min(n, m) + 1)
    // Solve with rows <= columns.
    let transpose = n > m
    let rows = transpose ? m : n, columns = transpose ? n : m
    var shifted = [Double](repeating: 0, count: rows * columns)
    for r in 0..<rows {
        for c in 0..<columns {
            let value = transpose ? cost.elements[c * m + r] : cost.elements[r * m + c]
            shifted[r * columns + c] = allowed(value) ? value - low : forbidden
        }
    }
    let columnOfRow = shortestAugmentingPath(shifted, rows: rows, columns: columns)
    var pairs: [AssignedPair] = []
    for r in 0..<rows {
        let c = columnOfRow[r]
        guard shifted[r * columns + c] < forbidden else { continue }
        pairs.append(transpose ? AssignedPair(row: c, column: r) : AssignedPair(row: r, column: c))
    }
    pairs.sort { ($0.row, $0.column) < ($1.row, $1.column) }
    return pairs
}

/// Greedy matching with gating: repeatedly takes the cheapest allowed pair whose row and column are
/// both free (ties broken by row, then column). Pairs whose cost is NaN, infinite or above
/// `maximumCost` are never matched.
///
/// This is the matching of KITTI's evaluation and of many trackers; it is not optimal in general.
/// - Returns: The matched pairs, sorted by row.
/// - Complexity: O(N M log(N M)).
public func greedyAssignment(cost: Matrix, maximumCost: Double? = nil) -> [AssignedPair] {
    var candidates: [(cost: Double, row: Int, column: Int)] = []
    for r in 0..<cost.rows {
        for c in 0..<cost.columns {
            let value = cost.elements[r * cost.columns + c]
            if isAllowed(value, maximumCost) { candidates.append((value, r, c)) }
        }
    }
    candidates.sort { ($0.cost, $0.row, $0.column) < ($1.cost, $1.row, $1.column) }
    var rowUsed = [Bool](repeating: false, count: cost.rows), columnUsed = [Bool](repeating: false, count: cost.columns)
    var pairs: [AssignedPair] = []
    for candidate in candidates where !rowUsed[candidate.row] && !columnUsed[candidate.column] {
        rowUsed[candidate.row] = true
        columnUsed[candidate.column] = true
        pairs.append(AssignedPair(row: candidate.row, column: candidate.column))
    }
    pairs.sort { ($0.row, $0.column) < ($1.row, $1.column) }
    return pairs
}

/// Whether a pair of this cost may be matched under the gate: finite and not above it.
@inline(__always)
private func isAllowed(_ cost: Double, _ maximumCost: Double?) -> Bool {
    cost.isFinite && (maximumCost.map { cost <= $0 } ?? true)
}

/// Crouse's shortest augmenting path solver for `rows <= columns` with finite costs.
/// Returns the column assigned to each row.
private func shortestAugmentingPath(_ cost: [Double], rows: Int, columns: Int) -> [Int] {
    var u = [Double](repeating: 0, count: rows)  // row potentials
    var v = [Double](repeating: 0, count: columns)  // column potentials
    var shortest = [Double](repeating: 0, count: columns)
    var path = [Int](repeating: -1, count: columns)
    var columnOfRow = [Int](repeating: -1, count: rows)
    var rowOfColumn = [Int](repeating: -1, count: columns)
    var visitedRow = [Bool](repeating: false, count: rows)
    var visitedColumn = [Bool](repeating: false, count: columns)
    var remaining = [Int](repeating: 0, count: columns)

    for current in 0..<rows {
        // Dijkstra-like search from the free row `current` for the nearest free column.
        for c in 0..<columns { shortest[c] = .infinity }
        for r in 0..<rows { visitedRow[r] = false }
        for c in 0..<columns { visitedColumn[c] = false }
        var remainingCount = columns
        for c in 0..<columns { remaining[c] = columns - c - 1 }
        var minimum = 0.0
        var row = current
        var sink = -1
        while sink == -1 {
            visitedRow[row] = true
            var lowest = Double.infinity
            var index = -1
            for k in 0..<remainingCount {
                let c = remaining[k]
                let reduced = minimum + cost[row * columns + c] - u[row] - v[c]
                if reduced < shortest[c] {
                    path[c] = row
                    shortest[c] = reduced
                }
                // Prefer a free column on ties, for fewer steps.
                if shortest[c] < lowest || (shortest[c] == lowest && rowOfColumn[c] == -1) {
                    lowest = shortest[c]
                    index = k
                }
            }
            minimum = lowest
            precondition(minimum.isFinite, "assignment cost matrix is infeasible")
            let column = remaining[index]
            if rowOfColumn[column] == -1 {
                sink = column
            } else {
                row = rowOfColumn[column]
            }
            visitedColumn[column] = true
            remainingCount -= 1
            remaining[index] = remaining[remainingCount]
        }
        // Update the potentials.
        u[current] += minimum
        for r in 0..<rows where r != current && visitedRow[r] {
            u[r] += minimum - shortest[columnOfRow[r]]
        }
        for c in 0..<columns where visitedColumn[c] {
            v[c] -= minimum - shortest[c]
        }
        // Augment along the path.
        var column = sink
        while true {
            let r = path[column]
            rowOfColumn[column] = r
            let previous = columnOfRow[r]
            columnOfRow[r] = column
            if r == current { break }
            column = previous
        }
    }
    return columnOfRow
}

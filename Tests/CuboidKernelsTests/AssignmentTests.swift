import CuboidGeometry
import CuboidKernels
import CuboidTestSupport
import Testing

/// The least total cost over all matchings of maximum size, by trying every injective map of the
/// smaller side into the larger (the independent reference for small matrices).
func bruteForceAssignment(_ cost: Matrix, allowed: (Double) -> Bool) -> (pairs: Int, total: Double) {
    let transpose = cost.rows > cost.columns
    let m = transpose ? cost.transposed : cost
    var best = (pairs: 0, total: 0.0)
    var used = [Bool](repeating: false, count: m.columns)
    func search(_ row: Int, _ pairs: Int, _ total: Double) {
        if row == m.rows {
            if pairs > best.pairs || (pairs == best.pairs && total < best.total) { best = (pairs, total) }
            return
        }
        search(row + 1, pairs, total)  // row left unmatched
        for c in 0..<m.columns where !used[c] && allowed(m[row, c]) {
            used[c] = true
            search(row + 1, pairs + 1, total + m[row, c])
            used[c] = false
        }
    }
    search(0, 0, 0)
    return best
}

private func total(_ pairs: [AssignedPair], _ cost: Matrix) -> Double {
    pairs.reduce(0) { $0 + cost[$1.row, $1.column] }
}

@Suite("Assignment")
struct AssignmentTests {
    @Test("optimal assignment equals brute force on random rectangular matrices", arguments: 0..<60)
    func optimalMatchesBruteForce(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let rows = Int.random(in: 1...6, using: &generator), columns = Int.random(in: 1...6, using: &generator)
        var cost = Matrix(rows: rows, columns: columns, repeating: 0)
        for k in cost.elements.indices { cost.elements[k] = Double.random(in: -2...10, using: &generator).rounded() / 2 }
        let pairs = optimalAssignment(cost: cost)
        let reference = bruteForceAssignment(cost) { _ in true }
        #expect(pairs.count == min(rows, columns))
        #expect(abs(total(pairs, cost) - reference.total) < 1e-9)
        #expect(Set(pairs.map(\.row)).count == pairs.count && Set(pairs.map(\.column)).count == pairs.count)
    }

    @Test("gating: forbidden pairs are never used; the most pairs first, then the least cost", arguments: 0..<60)
    func gated(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(500 + seed))
        let rows = Int.random(in: 1...6, using: &generator), columns = Int.random(in: 1...6, using: &generator)
        var cost = Matrix(rows: rows, columns: columns, repeating: 0)
        for k in cost.elements.indices {
            let roll = Double.random(in: 0...1, using: &generator)
            cost.elements[k] = roll < 0.15 ? .infinity : (roll < 0.2 ? .nan : Double.random(in: 0...1, using: &generator))
        }
        let gate = 0.7
        let allowed = { (value: Double) in value.isFinite && value <= gate }
        let pairs = optimalAssignment(cost: cost, maximumCost: gate)
        let reference = bruteForceAssignment(cost, allowed: allowed)
        #expect(pairs.allSatisfy { allowed(cost[$0.row, $0.column]) })
        #expect(pairs.count == reference.pairs)
        #expect(abs(total(pairs, cost) - reference.total) < 1e-9)
        let greedy = greedyAssignment(cost: cost, maximumCost: gate)
        #expect(greedy.allSatisfy { allowed(cost[$0.row, $0.column]) })
    }

    @Test("greedy takes the cheapest pair first; optimal does better where that is a trap")
    func greedyVersusOptimal() {
        let cost = Matrix([[0.1, 0.2], [0.15, 10]])
        #expect(greedyAssignment(cost: cost) == [AssignedPair(row: 0, column: 0), AssignedPair(row: 1, column: 1)])
        #expect(optimalAssignment(cost: cost) == [AssignedPair(row: 0, column: 1), AssignedPair(row: 1, column: 0)])
        // With a gate of 1 the trap pair is forbidden: greedy leaves row 1 alone.
        #expect(greedyAssignment(cost: cost, maximumCost: 1) == [AssignedPair(row: 0, column: 0)])
        #expect(optimalAssignment(cost: cost, maximumCost: 1).count == 2)
        #expect(optimalAssignment(cost: Matrix(rows: 0, columns: 3, elements: [])).isEmpty)
        #expect(optimalAssignment(cost: Matrix([[Double.infinity, .nan]])).isEmpty)
    }

    @Test("a larger random square matrix: optimal never costs more than greedy")
    func largerMatrix() {
        var generator = SeededGenerator(seed: 77)
        var cost = Matrix(rows: 120, columns: 150, repeating: 0)
        for k in cost.elements.indices { cost.elements[k] = .random(in: 0...1, using: &generator) }
        let optimal = optimalAssignment(cost: cost), greedy = greedyAssignment(cost: cost)
        #expect(optimal.count == 120 && greedy.count == 120)
        #expect(total(optimal, cost) <= total(greedy, cost))
        let transposed = optimalAssignment(cost: cost.transposed)
        #expect(abs(total(transposed.map { AssignedPair(row: $0.column, column: $0.row) }, cost) - total(optimal, cost)) < 1e-9)
    }
}

@Suite("Non-maximum suppression")
struct SuppressionTests {
    @Test("keeps the best of an overlapping group and every separate box")
    func suppression() {
        let boxes = [
            BEVBox(centerX: 0, centerY: 0, length: 4, width: 2, yaw: 0),
            BEVBox(centerX: 0.2, centerY: 0, length: 4, width: 2, yaw: 0.05),
            BEVBox(centerX: 10, centerY: 0, length: 4, width: 2, yaw: 0),
            BEVBox(centerX: 0, centerY: 1.9, length: 4, width: 2, yaw: 0),  // IoU ~0.03 with box 0
        ]
        let kept = nonMaximumSuppression(boxes, scores: [0.8, 0.9, 0.5, 0.7], iouThreshold: 0.5)
        #expect(kept == [1, 3, 2])
        let cuboids = boxes.map { $0.cuboid(bottom: 0, top: 1.5) }
        #expect(nonMaximumSuppression(cuboids, scores: [0.8, 0.9, 0.5, 0.7], iouThreshold: 0.5) == [1, 3, 2])
        // Raised above every overlap, nothing is suppressed; ties keep the lower index first.
        #expect(nonMaximumSuppression(boxes, scores: [1, 1, 1, 1], iouThreshold: 0.99) == [0, 1, 2, 3])
    }
}

import Foundation
import CuboidKernels

/// Connected components of the points above the ground, in a bird's-eye-view grid.
///
/// Points whose height above the local ground lies in the configured band are dropped into square
/// cells; occupied cells that touch (8-neighbourhood, or two cells apart beyond
/// ``ClusteringConfiguration/sparseRange`` where the sweep is sparse) form one cluster. Points
/// outside the band keep cluster -1.
///
/// Glass returns little, so a car often arrives as two components: its roof over its lower body, or
/// its bumper and bonnet in front of its cabin. A component that floats (its lowest point more than
/// ``ClusteringConfiguration/floatingGap`` above the ground, but low enough and wide enough to be a
/// roof) then joins the nearest component within ``ClusteringConfiguration/stackingReach`` that
/// stays below it; a component too low to be an object (top under
/// ``ClusteringConfiguration/lowPartHeight``, a car's front's width) joins the nearest taller one
/// within reach that lies behind it, seen from the sensor. Joined components must fit in
/// ``ClusteringConfiguration/maximumStackedDiagonal``.
///
/// A surface seen at a grazing angle (a far car's side) returns once per azimuth step, often a
/// metre apart along it. Beyond ``ClusteringConfiguration/sparseRange`` a grounded piece of at most
/// ``ClusteringConfiguration/maximumGrazingPieceCells`` cells joins the nearest grounded component
/// within ``ClusteringConfiguration/grazingReach`` whose cells lie within
/// ``ClusteringConfiguration/grazingSpread`` of its azimuth, when both fit in
/// ``ClusteringConfiguration/maximumGrazingDiagonal``.
struct BEVClusters: Sendable {
    /// Cluster of each point, or -1.
    var clusterOfPoint: [Int32]
    /// Points of each cluster (indices into the sweep), in increasing order.
    var members: [[Int32]]

    /// - Complexity: O(n + cells) with union-find over the occupied cells; the joining passes search
    /// within their reach around the cells of the components that may join, O(cells x reach
    /// squared) at worst.
    init(x: [Float], y: [Float], heights: [Float], region: RegionOfInterest, configuration: ClusteringConfiguration) {
        let count = x.count
        let cell = configuration.cellSize
        let grid = SquareGrid(cellSize: cell, maximumRange: region.maximumRange)
        let half = grid.half, side = grid.side
        let low = Float(configuration.minimumHeight), high = Float(configuration.maximumHeight)
        var cellOfPoint = [Int32](repeating: -1, count: count)
        var slotOfCell = [Int32](repeating: -1, count: side * side)
        var occupiedCells: [Int32] = []
        // Lowest and highest height above the ground in each occupied cell.
        var cellLow: [Float] = [], cellHigh: [Float] = []
        for i in 0..<count {
            let h = heights[i]
            guard h >= low && h <= high, let c = grid.cell(x[i], y[i]) else { continue }
            if slotOfCell[c] < 0 {
                slotOfCell[c] = Int32(occupiedCells.count)
                occupiedCells.append(Int32(c))
                cellLow.append(h)
                cellHigh.append(h)
            }
            let slot = Int(slotOfCell[c])
            cellOfPoint[i] = Int32(slot)
            cellLow[slot] = min(cellLow[slot], h)
            cellHigh[slot] = max(cellHigh[slot], h)
        }
        // Union-find over occupied cells.
        var parent = [Int32](0..<Int32(occupiedCells.count))
        func find(_ a: Int32) -> Int32 {
            var a = a
            while parent[Int(a)] != a {
                parent[Int(a)] = parent[Int(parent[Int(a)])]
                a = parent[Int(a)]
            }
            return a
        }
        let sparse2 = configuration.sparseRange * configuration.sparseRange
        for (slot, c) in occupiedCells.enumerated() {
            let cx = Int(c) % side, cy = Int(c) / side
            let px = (Double(cx) + 0.5) * cell - half, py = (Double(cy) + 0.5) * cell - half
            let reach = px * px + py * py > sparse2 ? 2 : 1
            // Half of the neighbourhood suffices: each pair is seen once.
            for dy in 0...reach {
                for dx in -reach...reach where dy > 0 || dx > 0 {
                    let nx = cx + dx, ny = cy + dy
                    guard nx >= 0, nx < side, ny < side else { continue }
                    let other = slotOfCell[ny * side + nx]
                    guard other >= 0 else { continue }
                    let ra = find(Int32(slot)), rb = find(other)
                    if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
                }
            }
        }
        // Parts of a car that glass cut off join the rest: a floating component (a roof) joins the
        // nearest neighbour that stays below its lowest point, not one that reaches up beside it (a
        // person whose legs a car hides); a low one (a bumper and bonnet, too low to be an object)
        // joins the nearest taller neighbour behind it, seen from the sensor.
        /// Each component's lowest and highest height, cell bounds, mean cell range and cells, by root.
        struct Components {
            var low: [Float], high: [Float], range: [Double], bounds: [SIMD4<Int32>], cells: [[Int32]]
        }
        func components() -> Components {
            let n = occupiedCells.count
            var result = Components(low: [Float](repeating: .infinity, count: n), high: [Float](repeating: -.infinity, count: n),
                                    range: [Double](repeating: 0, count: n),
                                    bounds: [SIMD4<Int32>](repeating: SIMD4(.max, .max, .min, .min), count: n), cells: [[Int32]](repeating: [], count: n))
            for (slot, c) in occupiedCells.enumerated() {
                let root = Int(find(Int32(slot)))
                result.low[root] = min(result.low[root], cellLow[slot])
                result.high[root] = max(result.high[root], cellHigh[slot])
                let cx = Int32(Int(c) % side), cy = Int32(Int(c) / side)
                let b = result.bounds[root]
                result.bounds[root] = SIMD4(min(b[0], cx), min(b[1], cy), max(b[2], cx), max(b[3], cy))
                let px = (Double(cx) + 0.5) * cell - half, py = (Double(cy) + 0.5) * cell - half
                result.range[root] += (px * px + py * py).squareRoot()
                result.cells[root].append(Int32(slot))
            }
            for root in 0..<n where !result.cells[root].isEmpty { result.range[root] /= Double(result.cells[root].count) }
            return result
        }
        /// Diagonal of cell bounds, in cells.
        func diagonal(_ b: SIMD4<Int32>) -> Double {
            let x = Double(b[2] - b[0] + 1), y = Double(b[3] - b[1] + 1)
            return (x * x + y * y).squareRoot()
        }
        /// The bounds of two components together, nil when they do not fit `limit` (cells).
        func joinedBounds(_ a: SIMD4<Int32>, _ b: SIMD4<Int32>, limit: Double) -> SIMD4<Int32>? {
            let joined = SIMD4(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
            return diagonal(joined) <= limit ? joined : nil
        }
        /// The nearest other component (squared cell distance, then root) with a cell within `reach`
        /// cells (and `radius` cells, when given) of one of `cells` that `accepts` takes, given the
        /// candidate's root, its cell and the own cell.
        func nearestComponent(from cells: [Int32], root: Int, reach: Int, radius: Double = .infinity,
                              accepts: (_ candidate: Int, _ candidateCell: Int, _ ownCell: Int) -> Bool) -> Int32? {
            var best: (distance: Int, root: Int32)? = nil
            for slot in cells {
                let c = Int(occupiedCells[Int(slot)])
                let cx = c % side, cy = c / side
                for dy in -reach...reach {
                    for dx in -reach...reach where Double(dx * dx + dy * dy) <= radius * radius {
                        let nx = cx + dx, ny = cy + dy
                        guard nx >= 0, ny >= 0, nx < side, ny < side else { continue }
                        let other = slotOfCell[ny * side + nx]
                        guard other >= 0 else { continue }
                        let candidate = find(other)
                        guard Int(candidate) != root, accepts(Int(candidate), ny * side + nx, c) else { continue }
                        let distance = dx * dx + dy * dy
                        if best.map({ (distance, candidate) < ($0.distance, $0.root) }) ?? true { best = (distance, candidate) }
                    }
                }
            }
            return best?.root
        }
        if configuration.stackingReach > 0 {
            let summary = components()
            var rootLow = summary.low, rootHigh = summary.high, rootRange = summary.range, bounds = summary.bounds
            let cellsOfRoot = summary.cells
            let floatingLow = Float(configuration.floatingGap), floatingHigh = Float(configuration.maximumRoofGap)
            let lowTop = Float(configuration.lowPartHeight)
            let overlap = Float(configuration.stackingOverlap)
            let reach = Int((configuration.stackingReach / cell).rounded())
            let limit = configuration.maximumStackedDiagonal / cell
            let minimumSpan = configuration.minimumRoofDiagonal / cell
            let lowSpan = (configuration.minimumLowPartDiagonal / cell)...(configuration.maximumLowPartDiagonal / cell)
            for start in cellsOfRoot.indices where !cellsOfRoot[start].isEmpty {
                let root = Int(find(Int32(start)))
                let low = rootLow[root], high = rootHigh[root]
                let accepts: (Int) -> Bool
                if low > floatingLow && low <= floatingHigh && diagonal(bounds[root]) >= minimumSpan {
                    // A roof spans a vehicle's width; a person's shoulders over a car do not.
                    accepts = { rootHigh[$0] <= low + overlap }
                } else if low <= floatingLow && high < lowTop && lowSpan.contains(diagonal(bounds[root])) {
                    let range = rootRange[root]
                    accepts = { rootHigh[$0] >= lowTop && rootRange[$0] > range }
                } else {
                    continue
                }
                guard let other = nearestComponent(from: cellsOfRoot[start], root: root, reach: reach, accepts: { candidate, _, _ in accepts(candidate) }),
                      let joined = joinedBounds(bounds[root], bounds[Int(other)], limit: limit) else { continue }
                let keep = min(Int32(root), other), drop = max(Int32(root), other)
                let total = Double(cellsOfRoot[root].count + cellsOfRoot[Int(other)].count)
                rootRange[Int(keep)] = (rootRange[root] * Double(cellsOfRoot[root].count) + rootRange[Int(other)] * Double(cellsOfRoot[Int(other)].count)) / total
                parent[Int(drop)] = keep
                bounds[Int(keep)] = joined
                rootLow[Int(keep)] = min(rootLow[root], rootLow[Int(other)])
                rootHigh[Int(keep)] = max(rootHigh[root], rootHigh[Int(other)])
            }
        }
        // A surface seen at a grazing angle (a far car's side, nearly along the line of sight)
        // returns once per azimuth step, a metre apart along the surface: the pieces continue
        // each other along the line of sight, and join when together they still fit a vehicle.
        if configuration.grazingReach > 0 {
            let summary = components()
            var rootLow = summary.low, bounds = summary.bounds, cellsOfRoot = summary.cells
            let reach = Int((configuration.grazingReach / cell).rounded(.up))
            let radius = configuration.grazingReach / cell
            let sinSpread = sin(configuration.grazingSpread * .pi / 180)
            let floating = Float(configuration.floatingGap)
            let limit = configuration.maximumGrazingDiagonal / cell
            func center(_ c: Int) -> SIMD2<Double> { SIMD2((Double(c % side) + 0.5) * cell - half, (Double(c / side) + 0.5) * cell - half) }
            for start in cellsOfRoot.indices where !cellsOfRoot[start].isEmpty {
                let root = Int(find(Int32(start)))
                guard rootLow[root] <= floating, cellsOfRoot[root].count <= configuration.maximumGrazingPieceCells else { continue }
                // Far cells only: near the sensor the sweep is dense enough to connect a surface.
                let farCells = cellsOfRoot[root].filter { slot in
                    let a = center(Int(occupiedCells[Int(slot)]))
                    return (a * a).sum().squareRoot() > configuration.sparseRange
                }
                guard let other = nearestComponent(from: farCells, root: root, reach: reach, radius: radius, accepts: { candidate, candidateCell, ownCell in
                    guard rootLow[candidate] <= floating else { return false }
                    // Along the line of sight: the two cells' directions differ little.
                    let a = center(ownCell), b = center(candidateCell)
                    let cross = a.x * b.y - a.y * b.x
                    return abs(cross) <= sinSpread * (a * a).sum().squareRoot() * (b * b).sum().squareRoot()
                }), let joined = joinedBounds(bounds[root], bounds[Int(other)], limit: limit) else { continue }
                // A piece of a surface continues the other's azimuth span past one of its ends; a
                // piece within the span (a post before a car) is something in front of it.
                let reference = center(Int(occupiedCells[Int(cellsOfRoot[root][0])]))
                func azimuth(_ p: SIMD2<Double>) -> Double {
                    atan2(reference.x * p.y - reference.y * p.x, reference.x * p.x + reference.y * p.y)
                }
                var spanLow = Double.infinity, spanHigh = -Double.infinity
                for slot in cellsOfRoot[Int(other)] {
                    let angle = azimuth(center(Int(occupiedCells[Int(slot)])))
                    spanLow = min(spanLow, angle)
                    spanHigh = max(spanHigh, angle)
                }
                let extends = cellsOfRoot[root].contains { slot in
                    let angle = azimuth(center(Int(occupiedCells[Int(slot)])))
                    return angle < spanLow || angle > spanHigh
                }
                guard extends else { continue }
                let keep = min(Int32(root), other), drop = max(Int32(root), other)
                parent[Int(drop)] = keep
                bounds[Int(keep)] = joined
                rootLow[Int(keep)] = min(rootLow[root], rootLow[Int(other)])
                cellsOfRoot[Int(keep)] += cellsOfRoot[Int(drop)]
            }
        }
        var clusterOfRoot = [Int32](repeating: -1, count: occupiedCells.count)
        var clusterOfPoint = [Int32](repeating: -1, count: count)
        var members: [[Int32]] = []
        for i in 0..<count where cellOfPoint[i] >= 0 {
            let root = Int(find(cellOfPoint[i]))
            if clusterOfRoot[root] < 0 {
                clusterOfRoot[root] = Int32(members.count)
                members.append([])
            }
            let cluster = clusterOfRoot[root]
            clusterOfPoint[i] = cluster
            members[Int(cluster)].append(Int32(i))
        }
        self.clusterOfPoint = clusterOfPoint
        self.members = members
    }
}

extension ClusterPoints {
    /// Whether every rectangle ``LShapeFitter/fit(_:)`` can give for the footprint, at any heading,
    /// has a diagonal longer than `diagonal` (metres), so that fitting it can be skipped when only
    /// a box within `diagonal` is wanted.
    ///
    /// A fit with trim fraction `trimFraction` leaves at most `drop` points beyond each of its four
    /// edges (`drop` = that fraction of the points, rounded down), so its rectangle holds all
    /// points but `4 drop` of them, and its diagonal is at least the spread in x (or y) of any set
    /// so made: at least the spread between the x values of rank `4 drop` from each end. A margin
    /// of a micrometre covers the fit's rounding.
    /// - Complexity: O(n) expected.
    func footprintExceeds(_ diagonal: Double, trimFraction: Double) -> Bool {
        let n = footprint.count
        let outside = 4 * Int(Double(n) * trimFraction)
        guard n > 2 * outside + 1 else { return false }
        let limit = diagonal + 1e-6
        // Most clusters span less than the limit in x and y even before any point is left out.
        var low = SIMD2(Double.infinity, .infinity), high = -low
        for p in footprint {
            guard p.x.isFinite && p.y.isFinite else { return false }
            low = pointwiseMin(low, p)
            high = pointwiseMax(high, p)
        }
        guard high.x - low.x > limit || high.y - low.y > limit else { return false }
        var values = footprint.map { $0.x }
        if select(&values, n - 1 - outside) - select(&values, outside) > limit { return true }
        for k in 0..<n { values[k] = footprint[k].y }
        return select(&values, n - 1 - outside) - select(&values, outside) > limit
    }
}

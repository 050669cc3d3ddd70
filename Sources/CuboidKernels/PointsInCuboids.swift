import CuboidGeometry

/// Which points lie inside which cuboids, for many cuboids at once.
///
/// Points are given as three coordinate arrays (the layout of `PointCloud`'s x, y, z), in the same
/// frame as the cuboids. A point on a face counts as inside. Cuboids may overlap; a point inside two
/// is listed for both.
public struct PointsInCuboids: Sendable, Hashable {
    /// `indices[k]` lists, ascending, the points inside cuboid k.
    public let indices: [[Int]]

    /// The number of points inside each cuboid.
    public var counts: [Int] { indices.map(\.count) }

    /// Finds the points inside every cuboid.
    ///
    /// The cuboids are binned in a grid over the ground plane (cell size about the median cuboid
    /// footprint), so each point is tested only against the cuboids whose bounding box covers its cell.
    /// - Parameters:
    ///   - x: Point x coordinates, metres.
    ///   - y: Point y coordinates; as many as `x`.
    ///   - z: Point z coordinates; as many as `x`.
    ///   - cuboids: The cuboids.
    /// - Precondition: the three arrays have the same length; cuboid sizes are finite and >= 0.
    /// - Complexity: O(P + C + H) for P points, C cuboids and H (point, nearby cuboid) tests.
    public init(x: [Float], y: [Float], z: [Float], cuboids: [Box3D]) {
        precondition(x.count == y.count && y.count == z.count, "x, y and z must have the same length")
        cuboids.forEach(validate)
        indices = findPointsInCuboids(x: x, y: y, z: z, cuboids: cuboids)
    }
}

private func findPointsInCuboids(x: [Float], y: [Float], z: [Float], cuboids: [Box3D]) -> [[Int]] {
    var result = [[Int]](repeating: [], count: cuboids.count)
    guard !cuboids.isEmpty, !x.isEmpty else { return result }
    let prepared = cuboids.map(PreparedCuboid.init)
    let bounds = prepared.map { Box2D(minX: $0.rectangle.minX, minY: $0.rectangle.minY, maxX: $0.rectangle.maxX, maxY: $0.rectangle.maxY) }
    var region = bounds[0]
    for b in bounds { region = region.union(b) }
    let sides = bounds.map { max($0.width, $0.height) }.sorted()
    let cell = max(sides[sides.count / 2], 0.25, max(region.width, region.height) / 1024)
    let columns = Int((region.width / cell).rounded(.down)) + 1
    let rows = Int((region.height / cell).rounded(.down)) + 1
    // Grid cell -> cuboids whose bounding box covers it (compressed row storage).
    var cellCounts = [Int](repeating: 0, count: columns * rows + 1)
    func cellRange(_ b: Box2D) -> (ClosedRange<Int>, ClosedRange<Int>) {
        let c0 = Int(((b.minX - region.minX) / cell).rounded(.down)), c1 = Int(((b.maxX - region.minX) / cell).rounded(.down))
        let r0 = Int(((b.minY - region.minY) / cell).rounded(.down)), r1 = Int(((b.maxY - region.minY) / cell).rounded(.down))
        return (max(0, c0)...min(columns - 1, c1), max(0, r0)...min(rows - 1, r1))
    }
    for b in bounds {
        let (cs, rs) = cellRange(b)
        for r in rs { for c in cs { cellCounts[r * columns + c + 1] += 1 } }
    }
    for k in 1..<cellCounts.count { cellCounts[k] += cellCounts[k - 1] }
    var fill = cellCounts
    var members = [Int](repeating: 0, count: cellCounts.last!)
    for (k, b) in bounds.enumerated() {
        let (cs, rs) = cellRange(b)
        for r in rs {
            for c in cs {
                members[fill[r * columns + c]] = k
                fill[r * columns + c] += 1
            }
        }
    }
    for i in x.indices {
        let px = Double(x[i]), py = Double(y[i]), pz = Double(z[i])
        guard px >= region.minX && px <= region.maxX && py >= region.minY && py <= region.maxY else { continue }
        let c = min(columns - 1, Int((px - region.minX) / cell)), r = min(rows - 1, Int((py - region.minY) / cell))
        let cellIndex = r * columns + c
        for m in cellCounts[cellIndex]..<cellCounts[cellIndex + 1] {
            let k = members[m]
            if pz >= prepared[k].bottom && pz <= prepared[k].top && prepared[k].rectangle.contains(px, py) { result[k].append(i) }
        }
    }
    return result
}

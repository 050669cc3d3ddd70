/// Connected components of the points above the ground, in a bird's-eye-view grid.
///
/// Points whose height above the local ground lies in the configured band are dropped into square
/// cells; occupied cells that touch (8-neighbourhood, or two cells apart beyond ``ClusteringConfiguration/sparseRange``
/// where the sweep is sparse) form one cluster. Points outside the band keep cluster -1.
struct BEVClusters: Sendable {
    /// Cluster of each point, or -1.
    var clusterOfPoint: [Int32]
    /// Points of each cluster (indices into the sweep), in increasing order.
    var members: [[Int32]]

    /// - Complexity: O(n + cells) with union-find over the occupied cells.
    init(x: [Float], y: [Float], heights: [Float], region: RegionOfInterest, configuration: ClusteringConfiguration) {
        let count = x.count
        let cell = configuration.cellSize
        let half = region.maximumRange
        let side = Int((2 * half / cell).rounded(.up)) + 1
        let low = Float(configuration.minimumHeight), high = Float(configuration.maximumHeight)
        var cellOfPoint = [Int32](repeating: -1, count: count)
        var slotOfCell = [Int32](repeating: -1, count: side * side)
        var occupiedCells: [Int32] = []
        for i in 0..<count {
            let h = heights[i]
            guard h >= low && h <= high else { continue }
            let cx = Int((Double(x[i]) + half) / cell), cy = Int((Double(y[i]) + half) / cell)
            guard cx >= 0, cy >= 0, cx < side, cy < side else { continue }
            let c = cy * side + cx
            if slotOfCell[c] < 0 {
                slotOfCell[c] = Int32(occupiedCells.count)
                occupiedCells.append(Int32(c))
            }
            cellOfPoint[i] = slotOfCell[c]
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

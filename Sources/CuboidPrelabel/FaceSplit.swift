import CuboidGeometry
import CuboidKernels
import Foundation

extension ClusterPoints {
    /// The pieces standing in front of a wall or a fence that the cluster mostly is, each a cluster
    /// of its own; empty unless the cluster is one face with something before it.
    ///
    /// A person walking 0.3 m from a fence joins it in the clustering grid (KITTI tracking 0000,
    /// frames 138-148: 50-220 of a 2,500-return cluster no class fits). The face is the line along
    /// which at least `minimumFaceShare` of the returns lie within `band` (a principal axis fitted
    /// three times, each time to the returns within `band` of the last line's median offset), at
    /// least ``TallFace/minimumLength`` long. The returns more than `band` beyond it on the
    /// sensor's side, linked where they lie within `link` of each other, form the pieces. A piece
    /// stands before the face only where the face goes on at least `margin` past it at both ends
    /// (a wall's corner or its end seen edge-on is not); others, and pieces with fewer than
    /// `minimumPoints` returns, are dropped.
    /// - Parameters: band, link, margin: Metres, bird's-eye view; `band` 0 finds no pieces.
    /// - Returns: The pieces in the order of their first return; their heights and ground level are
    ///   the cluster's.
    /// - Complexity: O(n) per fit and O(n) expected for the linking (a hash grid of `link` cells).
    func piecesBesideFace(band: Double, link: Double, margin: Double, minimumFaceShare: Double, minimumPoints: Int) -> [ClusterPoints] {
        guard band > 0, link > 0, count >= minimumPoints else { return [] }
        // A cluster shorter than a face (most that no class fits: shrubs, posts) costs one pass.
        var lowCorner = footprint[0], highCorner = footprint[0]
        for p in footprint { lowCorner = pointwiseMin(lowCorner, p); highCorner = pointwiseMax(highCorner, p) }
        let corners = highCorner - lowCorner
        guard (corners * corners).sum() >= TallFace.minimumLength * TallFace.minimumLength else { return [] }
        var inliers = Array(footprint.indices)
        var mean = SIMD2<Double>.zero, normal = SIMD2<Double>(0, 1), centre = 0.0
        var offsets = [Double](repeating: 0, count: count)
        for _ in 0..<3 {
            guard !inliers.isEmpty else { return [] }
            let axis = principalAxis(inliers.map { footprint[$0] })
            mean = axis.mean
            normal = SIMD2(-sin(axis.angle), cos(axis.angle))
            for i in footprint.indices { offsets[i] = ((footprint[i] - mean) * normal).sum() }
            var inlierOffsets = inliers.map { offsets[$0] }
            centre = select(&inlierOffsets, inlierOffsets.count / 2)
            inliers = footprint.indices.filter { abs(offsets[$0] - centre) < band }
        }
        guard Double(inliers.count) >= minimumFaceShare * Double(count) else { return [] }
        let along = SIMD2(normal.y, -normal.x)
        var low = Double.infinity, high = -Double.infinity
        for i in inliers {
            let t = ((footprint[i] - mean) * along).sum()
            low = min(low, t); high = max(high, t)
        }
        guard high - low >= TallFace.minimumLength else { return [] }
        // The sensor (the origin) is on the side of the face the pieces must stand on.
        let sensorOffset = ((-mean) * normal).sum() - centre
        guard abs(sensorOffset) >= band else { return [] }
        let side: Double = sensorOffset > 0 ? 1 : -1
        let rest = footprint.indices.filter { (offsets[$0] - centre) * side >= band }
        guard rest.count >= minimumPoints else { return [] }
        // The face passes behind a piece: it goes on at least `margin` past the piece at both ends
        // (a wall's corner or its end seen edge-on is no one standing before it).
        func before(_ piece: [Int]) -> Bool {
            var first = Double.infinity, last = -Double.infinity
            for i in piece {
                let t = ((footprint[i] - mean) * along).sum()
                first = min(first, t); last = max(last, t)
            }
            return first - low >= margin && high - last >= margin
        }
        return linkedPieces(rest, link: link).filter { $0.count >= minimumPoints && before($0) }.map(subset)
    }

    /// The connected groups of `indices` (returns within `link` of each other, bird's-eye view),
    /// each in increasing order, ordered by their first index.
    private func linkedPieces(_ indices: [Int], link: Double) -> [[Int]] {
        struct Cell: Hashable { var x: Int, y: Int }
        func cell(_ p: SIMD2<Double>) -> Cell { Cell(x: Int((p.x / link).rounded(.down)), y: Int((p.y / link).rounded(.down))) }
        var grid: [Cell: [Int]] = [:]
        for (k, i) in indices.enumerated() { grid[cell(footprint[i]), default: []].append(k) }
        var parent = Array(indices.indices)
        func find(_ a: Int) -> Int {
            var a = a
            while parent[a] != a { parent[a] = parent[parent[a]]; a = parent[a] }
            return a
        }
        let linkSquared = link * link
        for (k, i) in indices.enumerated() {
            let c = cell(footprint[i])
            for dy in -1...1 {
                for dx in -1...1 {
                    for other in grid[Cell(x: c.x + dx, y: c.y + dy)] ?? [] where other > k {
                        let d = footprint[indices[other]] - footprint[i]
                        guard (d * d).sum() <= linkSquared else { continue }
                        let a = find(k), b = find(other)
                        if a != b { parent[max(a, b)] = min(a, b) }
                    }
                }
            }
        }
        var groups: [Int: [Int]] = [:], order: [Int] = []
        for k in indices.indices {
            let root = find(k)
            if groups[root] == nil { order.append(root) }
            groups[root, default: []].append(indices[k])
        }
        return order.map { groups[$0]! }
    }
}

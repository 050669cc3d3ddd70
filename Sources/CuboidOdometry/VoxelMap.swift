import Foundation

/// A voxel's integer coordinates packed into one key: 21 bits per axis (two's complement), so a grid
/// of 1 m voxels covers +-1,048 km around the origin.
@inline(__always)
func voxelKey(_ x: Int, _ y: Int, _ z: Int) -> Int64 {
    Int64((x & 0x1F_FFFF) << 42 | (y & 0x1F_FFFF) << 21 | (z & 0x1F_FFFF))
}

/// An open-addressing hash table from voxel keys to dense voxel numbers (0, 1, 2, ... in insertion
/// order), so the voxels' contents live in flat arrays and every walk over them is in a fixed order.
struct VoxelIndex {
    private static let empty = Int64.min
    private(set) var keys: [Int64]
    private(set) var values: [Int32]
    private(set) var shift: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: -1, count: size)
        shift = 64 - size.trailingZeroBitCount
    }

    @inline(__always)
    private func slot(_ key: Int64) -> Int { Int(truncatingIfNeeded: UInt64(bitPattern: key &* -7_046_029_254_386_353_131) >> UInt64(shift)) }

    /// The number of a voxel, or -1 when it holds nothing.
    @inline(__always)
    func find(_ key: Int64) -> Int32 {
        let mask = keys.count - 1
        var s = slot(key)
        while true {
            let k = keys[s]
            if k == key { return values[s] }
            if k == Self.empty { return -1 }
            s = (s + 1) & mask
        }
    }

    /// The number of a voxel, adding it (numbered `count`) when new.
    mutating func insert(_ key: Int64) -> (number: Int32, inserted: Bool) {
        if (count + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var s = slot(key)
        while true {
            let k = keys[s]
            if k == key { return (values[s], false) }
            if k == Self.empty {
                keys[s] = key
                values[s] = Int32(count)
                count += 1
                return (Int32(count - 1), true)
            }
            s = (s + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: Self.empty, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for (k, v) in zip(oldKeys, oldValues) where k != Self.empty {
            var s = slot(k)
            while keys[s] != Self.empty { s = (s + 1) & mask }
            keys[s] = k
            values[s] = v
        }
    }
}

/// Keeps the first point that falls in each cubic voxel of edge `size` metres, in input order (so
/// the result does not depend on anything but the input).
func voxelDownsample(_ points: [SIMD3<Double>], size: Double) -> [SIMD3<Double>] {
    precondition(size > 0, "voxel size must be > 0")
    var index = VoxelIndex(capacity: points.count / 4)
    var kept: [SIMD3<Double>] = []
    kept.reserveCapacity(points.count / 4)
    let inverse = 1 / size
    for p in points {
        let key = voxelKey(Int((p.x * inverse).rounded(.down)), Int((p.y * inverse).rounded(.down)), Int((p.z * inverse).rounded(.down)))
        if index.insert(key).inserted { kept.append(p) }
    }
    return kept
}

/// The local map registration runs against: world-frame points (metres) in cubic voxels of edge
/// `voxelSize`, at most `pointsPerVoxel` in each (the first ones to arrive), voxels farther than a
/// radius from the sensor dropped as it drives on.
struct VoxelMap {
    let voxelSize: Double
    let pointsPerVoxel: Int
    private var index = VoxelIndex()
    private var voxelKeys: [Int64] = []
    private var counts: [UInt8] = []
    /// Per voxel: the unit normal of the plane through its points (x, y, z) and 1 in w when they
    /// lie on one (see ``planeNormal(_:count:planarity:)``), else all zero.
    private var normals: [SIMD4<Float>] = []
    /// Voxels that took points since their normal was last fitted.
    private var changed: [Int] = []
    /// `pointsPerVoxel` slots per voxel, relative to the map's origin `origin`.
    private var points: [SIMD3<Float>] = []
    /// Points are stored as Float offsets from here, so precision does not fall with distance driven.
    private(set) var origin: SIMD3<Double> = .zero

    /// Smallest eigenvalue of a voxel's point scatter over the sum of all three, below which (with the
    /// middle one above it) the voxel is a plane; 0 turns planes off (point-to-point only).
    var planarity: Double = 0

    init(voxelSize: Double, pointsPerVoxel: Int) {
        precondition(voxelSize > 0 && pointsPerVoxel >= 1 && pointsPerVoxel <= 255, "voxel size > 0, 1...255 points a voxel")
        self.voxelSize = voxelSize
        self.pointsPerVoxel = pointsPerVoxel
    }

    var isEmpty: Bool { voxelKeys.isEmpty }
    var voxelCount: Int { voxelKeys.count }

    @inline(__always)
    private func cell(_ p: SIMD3<Double>) -> (Int, Int, Int) {
        let inverse = 1 / voxelSize
        return (Int((p.x * inverse).rounded(.down)), Int((p.y * inverse).rounded(.down)), Int((p.z * inverse).rounded(.down)))
    }

    /// Adds world points; a full voxel takes no more.
    mutating func add(_ world: [SIMD3<Double>]) {
        if voxelKeys.isEmpty, let first = world.first { origin = first }
        for p in world {
            let (x, y, z) = cell(p)
            let (number, inserted) = index.insert(voxelKey(x, y, z))
            let v = Int(number)
            if inserted {
                voxelKeys.append(voxelKey(x, y, z))
                counts.append(0)
                normals.append(SIMD4<Float>())
                points.append(contentsOf: repeatElement(SIMD3<Float>(), count: pointsPerVoxel))
            }
            let n = Int(counts[v])
            if n < pointsPerVoxel {
                points[v * pointsPerVoxel + n] = SIMD3<Float>(p - origin)
                counts[v] = UInt8(n + 1)
                changed.append(v)
            }
        }
        guard planarity > 0 else { changed.removeAll(); return }
        for v in changed {
            let n = Int(counts[v])
            normals[v] = planeNormal(points[(v * pointsPerVoxel)..<(v * pointsPerVoxel + n)], planarity: planarity)
        }
        changed.removeAll()
    }

    /// Drops the voxels whose first point lies farther than `radius` metres from `centre`, once
    /// they are a tenth of the map; the others keep their order.
    mutating func removeFar(from centre: SIMD3<Double>, radius: Double) {
        let limit = Float(radius * radius), c = SIMD3<Float>(centre - origin)
        var keep: [Int] = []
        keep.reserveCapacity(voxelKeys.count)
        for v in voxelKeys.indices {
            let d = points[v * pointsPerVoxel] - c
            if (d * d).sum() <= limit { keep.append(v) }
        }
        // Rebuilding costs a pass over every voxel: wait until a tenth of them can go.
        guard voxelKeys.count - keep.count > voxelKeys.count / 10 else { return }
        var newIndex = VoxelIndex(capacity: keep.count)
        var newKeys: [Int64] = [], newCounts: [UInt8] = [], newPoints: [SIMD3<Float>] = [], newNormals: [SIMD4<Float>] = []
        newKeys.reserveCapacity(keep.count)
        newCounts.reserveCapacity(keep.count)
        newPoints.reserveCapacity(keep.count * pointsPerVoxel)
        for v in keep {
            _ = newIndex.insert(voxelKeys[v])
            newKeys.append(voxelKeys[v])
            newCounts.append(counts[v])
            newNormals.append(normals[v])
            newPoints.append(contentsOf: points[(v * pointsPerVoxel)..<((v + 1) * pointsPerVoxel)])
        }
        index = newIndex
        voxelKeys = newKeys
        counts = newCounts
        normals = newNormals
        points = newPoints
    }

    /// Runs `body` with a read-only view of the map that looks up points without reference counting.
    func withView<Result>(_ body: (MapView) -> Result) -> Result {
        index.keys.withUnsafeBufferPointer { keys in
            index.values.withUnsafeBufferPointer { values in
                counts.withUnsafeBufferPointer { counts in
                    points.withUnsafeBufferPointer { points in
                        normals.withUnsafeBufferPointer { normals in
                            body(MapView(keys: keys, values: values, shift: index.shift, counts: counts, points: points, normals: normals,
                                         voxelSize: voxelSize, pointsPerVoxel: pointsPerVoxel, origin: origin))
                        }
                    }
                }
            }
        }
    }
}

/// A read-only view of a ``VoxelMap``'s storage, valid inside ``VoxelMap/withView(_:)`` only.
struct MapView: @unchecked Sendable {
    let keys: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Int32>, shift: Int
    let counts: UnsafeBufferPointer<UInt8>, points: UnsafeBufferPointer<SIMD3<Float>>, normals: UnsafeBufferPointer<SIMD4<Float>>
    let voxelSize: Double, pointsPerVoxel: Int, origin: SIMD3<Double>

    /// The number of a voxel, or -1 when it holds nothing (as ``VoxelIndex/find(_:)``).
    @inline(__always)
    func find(_ key: Int64) -> Int {
        let mask = keys.count - 1
        var s = Int(truncatingIfNeeded: UInt64(bitPattern: key &* -7_046_029_254_386_353_131) >> UInt64(shift))
        while true {
            let k = keys[s]
            if k == key { return Int(values[s]) }
            if k == Int64.min { return -1 }
            s = (s + 1) & mask
        }
    }

    /// The map point nearest to `p` (world frame) among the 27 voxels around it that lie nearer than
    /// `limit` metres (squared), and the squared distance; distance infinity when none is nearer.
    /// Ties go to the first point found. The point's own voxel is searched first and a neighbour only
    /// when its nearest face is closer than the best point so far, which gives the same answer as
    /// searching all 27.
    @inline(__always)
    func nearest(to p: SIMD3<Double>, limit: Double) -> (point: SIMD3<Double>, distanceSquared: Double, normal: SIMD4<Float>) {
        let inverse = 1 / voxelSize
        let scaled = p * inverse
        let floor = scaled.rounded(.down)
        let x = Int(floor.x), y = Int(floor.y), z = Int(floor.z)
        // Distances (in voxels) to the low and high faces of the point's voxel.
        let low = scaled - floor, high = SIMD3<Double>(1, 1, 1) - low
        let q = SIMD3<Float>(p - origin)
        var best = Float(limit), bestPoint = SIMD3<Float>(), bestVoxel = -1
        let faceScale = voxelSize * voxelSize
        @inline(__always)
        func search(_ dx: Int, _ dy: Int, _ dz: Int) {
            let v = find(voxelKey(x + dx, y + dy, z + dz))
            if v < 0 { return }
            let base = v * pointsPerVoxel
            for k in 0..<Int(counts[v]) {
                let d = points[base + k] - q
                let d2 = (d * d).sum()
                if d2 < best {
                    best = d2
                    bestPoint = points[base + k]
                    bestVoxel = v
                }
            }
        }
        search(0, 0, 0)
        for dx in -1...1 {
            let ex = dx == 0 ? 0 : (dx < 0 ? low.x : high.x)
            for dy in -1...1 {
                let ey = dy == 0 ? 0 : (dy < 0 ? low.y : high.y)
                for dz in -1...1 where dx != 0 || dy != 0 || dz != 0 {
                    let ez = dz == 0 ? 0 : (dz < 0 ? low.z : high.z)
                    // The nearest a point of that voxel can be.
                    if Float((ex * ex + ey * ey + ez * ez) * faceScale) >= best { continue }
                    search(dx, dy, dz)
                }
            }
        }
        return bestVoxel >= 0 ? (SIMD3<Double>(bestPoint) + origin, Double(best), normals[bestVoxel]) : (.zero, .infinity, SIMD4<Float>())
    }
}

/// The unit normal of the plane through `points` (x, y, z; w = 1), or zero when they do not lie on
/// one: the scatter's smallest eigenvalue must be below `planarity` times the sum of the three and
/// the middle one above it. A level line of points (within about 11 degrees; one lidar ring on the
/// ground) gets the upward normal square to it (world z up); another line gets none. Fewer than 4 points
/// have none. Eigenvalues in closed form (trigonometric solution of the characteristic cubic).
func planeNormal(_ points: ArraySlice<SIMD3<Float>>, planarity: Double) -> SIMD4<Float> {
    guard points.count >= 4 else { return SIMD4<Float>() }
    var mean = SIMD3<Double>()
    for p in points { mean += SIMD3<Double>(p) }
    mean /= Double(points.count)
    var xx = 0.0, xy = 0.0, xz = 0.0, yy = 0.0, yz = 0.0, zz = 0.0
    for p in points {
        let d = SIMD3<Double>(p) - mean
        xx += d.x * d.x; xy += d.x * d.y; xz += d.x * d.z; yy += d.y * d.y; yz += d.y * d.z; zz += d.z * d.z
    }
    let trace = xx + yy + zz
    guard trace > 0 else { return SIMD4<Float>() }
    let q = trace / 3
    let p1 = xy * xy + xz * xz + yz * yz
    let p2 = (xx - q) * (xx - q) + (yy - q) * (yy - q) + (zz - q) * (zz - q) + 2 * p1
    let pp = (p2 / 6).squareRoot()
    guard pp > 0 else { return SIMD4<Float>() }
    let b00 = (xx - q) / pp, b11 = (yy - q) / pp, b22 = (zz - q) / pp, b01 = xy / pp, b02 = xz / pp, b12 = yz / pp
    let r = (b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) + b02 * (b01 * b12 - b11 * b02)) / 2
    let phi = acos(max(-1, min(1, r))) / 3
    let largest = q + 2 * pp * cos(phi), smallest = q + 2 * pp * cos(phi + 2 * Double.pi / 3)
    let middle = trace - largest - smallest
    guard smallest < planarity * trace else { return SIMD4<Float>() }
    func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> { SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x) }
    // The eigenvector of `value`: the largest cross product of two rows of (scatter - value I).
    func eigenvector(_ value: Double) -> SIMD3<Double>? {
        let r0 = SIMD3(xx - value, xy, xz), r1 = SIMD3(xy, yy - value, yz), r2 = SIMD3(xz, yz, zz - value)
        let candidates = [cross(r0, r1), cross(r0, r2), cross(r1, r2)]
        let norms = candidates.map { ($0 * $0).sum() }
        let pick = norms[0] >= norms[1] ? (norms[0] >= norms[2] ? 0 : 2) : (norms[1] >= norms[2] ? 1 : 2)
        return norms[pick] > 0 ? candidates[pick] / norms[pick].squareRoot() : nil
    }
    if middle > planarity * trace {
        guard let n = eigenvector(smallest) else { return SIMD4<Float>() }
        return SIMD4<Float>(Float(n.x), Float(n.y), Float(n.z), 1)
    }
    // A line: one lidar ring. A level one is taken as ground (normal: up, made square to the line),
    // so the rings, which move with the sensor, only hold height, roll and pitch; another line has
    // no plane.
    guard let d = eigenvector(largest), abs(d.z) < 0.2 else { return SIMD4<Float>() }
    var n = SIMD3<Double>(0, 0, 1) - d.z * d
    n /= (n * n).sum().squareRoot()
    return SIMD4<Float>(Float(n.x), Float(n.y), Float(n.z), 1)
}

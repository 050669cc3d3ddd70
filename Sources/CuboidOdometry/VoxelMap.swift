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
    private var keys: [Int64]
    private var values: [Int32]
    private var shift: Int
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
    /// `pointsPerVoxel` slots per voxel, relative to the map's origin `origin`.
    private var points: [SIMD3<Float>] = []
    /// Points are stored as Float offsets from here, so precision does not fall with distance driven.
    private(set) var origin: SIMD3<Double> = .zero

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
                points.append(contentsOf: repeatElement(SIMD3<Float>(), count: pointsPerVoxel))
            }
            let n = Int(counts[v])
            if n < pointsPerVoxel {
                points[v * pointsPerVoxel + n] = SIMD3<Float>(p - origin)
                counts[v] = UInt8(n + 1)
            }
        }
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
        var newKeys: [Int64] = [], newCounts: [UInt8] = [], newPoints: [SIMD3<Float>] = []
        newKeys.reserveCapacity(keep.count)
        newCounts.reserveCapacity(keep.count)
        newPoints.reserveCapacity(keep.count * pointsPerVoxel)
        for v in keep {
            _ = newIndex.insert(voxelKeys[v])
            newKeys.append(voxelKeys[v])
            newCounts.append(counts[v])
            newPoints.append(contentsOf: points[(v * pointsPerVoxel)..<((v + 1) * pointsPerVoxel)])
        }
        index = newIndex
        voxelKeys = newKeys
        counts = newCounts
        points = newPoints
    }

    /// The map point nearest to `p` (world frame) among the 27 voxels around it that lie nearer than
    /// `limit` metres (squared), and the squared distance; distance infinity when none is nearer.
    /// Ties go to the first point found. The point's own voxel is searched first and a neighbour only
    /// when its nearest face is closer than the best point so far, which gives the same answer as
    /// searching all 27.
    @inline(__always)
    func nearest(to p: SIMD3<Double>, limit: Double) -> (point: SIMD3<Double>, distanceSquared: Double) {
        let inverse = 1 / voxelSize
        let scaled = p * inverse
        let floor = scaled.rounded(.down)
        let x = Int(floor.x), y = Int(floor.y), z = Int(floor.z)
        // Distances (in voxels) to the low and high faces of the point's voxel.
        let low = scaled - floor, high = SIMD3<Double>(1, 1, 1) - low
        let q = SIMD3<Float>(p - origin)
        var best = Float(limit), bestPoint = SIMD3<Float>()
        var found = false
        let faceScale = voxelSize * voxelSize
        points.withUnsafeBufferPointer { stored in
            counts.withUnsafeBufferPointer { counts in
                @inline(__always)
                func search(_ dx: Int, _ dy: Int, _ dz: Int) {
                    let v = Int(index.find(voxelKey(x + dx, y + dy, z + dz)))
                    if v < 0 { return }
                    let base = v * pointsPerVoxel
                    for k in 0..<Int(counts[v]) {
                        let d = stored[base + k] - q
                        let d2 = (d * d).sum()
                        if d2 < best {
                            best = d2
                            bestPoint = stored[base + k]
                            found = true
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
            }
        }
        return found ? (SIMD3<Double>(bestPoint) + origin, Double(best)) : (.zero, .infinity)
    }
}

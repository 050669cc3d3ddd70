import Foundation

/// What a surface is made of: its look in the camera and its reflectivity to the lidar.
enum Material: UInt8, Sendable {
    case asphalt, marking, sidewalk, kerb
    /// The solid's own colour and reflectivity (car paint, clothes, facades).
    case paint
    case glass, tyre, skin, metal, foliage, bark

    /// Base reflectivity (0-1); `paint` uses the solid's.
    var reflectivity: Double {
        switch self {
        case .asphalt: 0.12
        case .marking: 0.62
        case .sidewalk: 0.3
        case .kerb: 0.36
        case .paint: 0.3
        case .glass: 0.06
        case .tyre: 0.05
        case .skin: 0.3
        case .metal: 0.55
        case .foliage: 0.2
        case .bark: 0.25
        }
    }

    /// Linear RGB; `paint` uses the solid's.
    var colour: SIMD3<Double> {
        switch self {
        case .asphalt: SIMD3(0.28, 0.28, 0.3)
        case .marking: SIMD3(0.92, 0.92, 0.9)
        case .sidewalk: SIMD3(0.63, 0.61, 0.57)
        case .kerb: SIMD3(0.72, 0.72, 0.7)
        case .paint: SIMD3(0.5, 0.5, 0.5)
        case .glass: SIMD3(0.1, 0.13, 0.18)
        case .tyre: SIMD3(0.05, 0.05, 0.05)
        case .skin: SIMD3(0.82, 0.62, 0.48)
        case .metal: SIMD3(0.48, 0.49, 0.52)
        case .foliage: SIMD3(0.2, 0.42, 0.14)
        case .bark: SIMD3(0.33, 0.24, 0.15)
        }
    }
}

/// One convex piece of a solid, in the solid's local frame (x forward, y left, z up, metres, origin at
/// the centre of the solid's footprint on its base).
struct Part: Sendable {
    enum Shape: UInt8, Sendable {
        /// Axis-aligned box from `low` to `high`.
        case box
        /// Vertical cylinder: axis at `low.x, low.y`, radius `high.x`, from `low.z` to `high.z`.
        case cylinder
        /// Sphere at `low`, radius `high.x`; porous (foliage): a ray passes it with probability 1/2 and
        /// otherwise stops somewhere in its outer half.
        case porousSphere
    }

    var shape: Shape
    var low: SIMD3<Double>
    var high: SIMD3<Double>
    var material: Material

    static func box(_ low: SIMD3<Double>, _ high: SIMD3<Double>, _ material: Material) -> Part {
        precondition(low.x < high.x && low.y < high.y && low.z < high.z, "a part box must have positive size")
        return Part(shape: .box, low: low, high: high, material: material)
    }

    /// Farthest horizontal distance of the part from the local origin.
    var horizontalReach: Double {
        switch shape {
        case .box:
            let x = max(abs(low.x), abs(high.x)), y = max(abs(low.y), abs(high.y))
            return (x * x + y * y).squareRoot()
        case .cylinder, .porousSphere:
            return (low.x * low.x + low.y * low.y).squareRoot() + high.x
        }
    }
}

/// A rigid thing in the world: parts placed with a position and a yaw.
struct Solid: Sendable {
    /// World position of the local origin.
    var origin: SIMD3<Double>
    var cosYaw: Double
    var sinYaw: Double
    /// Indices into the world's part list.
    var parts: Range<Int>
    /// Horizontal bounding radius around `origin`.
    var radius: Double
    /// The actor this solid is (its index), or -1 for static clutter.
    var actor: Int32
    var colour: SIMD3<Double>
    var reflectivity: Double
}

/// A ray's nearest hit.
struct RayHit: Sendable {
    var t: Double
    /// Unit normal in the world frame, facing where the ray came from.
    var normal: SIMD3<Double>
    var material: Material
    var colour: SIMD3<Double>
    var reflectivity: Double
    /// The actor hit, or -1 (ground, clutter).
    var actor: Int32
}

/// Ray against one part in local coordinates: entry distance and local normal, if within `(0, tMax)`.
@inline(__always)
func intersect(_ part: Part, _ o: SIMD3<Double>, _ d: SIMD3<Double>, _ inverse: SIMD3<Double>, tMax: Double,
               porousKey: UInt64) -> (t: Double, normal: SIMD3<Double>)? {
    switch part.shape {
    case .box:
        let t1 = (part.low - o) * inverse, t2 = (part.high - o) * inverse
        let near = pointwiseMinimum(t1, t2), far = pointwiseMaximum(t1, t2)
        let entry = max(near.x, max(near.y, near.z)), exit = min(far.x, min(far.y, far.z))
        guard entry <= exit, entry > 1e-9, entry < tMax else { return nil }
        var normal = SIMD3<Double>.zero
        if entry == near.x { normal.x = d.x > 0 ? -1 : 1 } else if entry == near.y { normal.y = d.y > 0 ? -1 : 1 } else { normal.z = d.z > 0 ? -1 : 1 }
        return (entry, normal)
    case .cylinder:
        let ox = o.x - part.low.x, oy = o.y - part.low.y
        let a = d.x * d.x + d.y * d.y
        let r = part.high.x
        var best: (Double, SIMD3<Double>)?
        if a > 1e-18 {
            let b = ox * d.x + oy * d.y, c = ox * ox + oy * oy - r * r
            let discriminant = b * b - a * c
            if discriminant >= 0 {
                let t = (-b - discriminant.squareRoot()) / a
                let z = o.z + d.z * t
                if t > 1e-9 && t < tMax && z >= part.low.z && z <= part.high.z {
                    best = (t, SIMD3((ox + d.x * t) / r, (oy + d.y * t) / r, 0))
                }
            }
        }
        if best == nil, d.z < 0 {
            // The top cap.
            let t = (part.high.z - o.z) / d.z
            let x = ox + d.x * t, y = oy + d.y * t
            if t > 1e-9 && t < tMax && x * x + y * y <= r * r { best = (t, SIMD3(0, 0, 1)) }
        }
        return best
    case .porousSphere:
        let q = o - part.low
        let r = part.high.x
        let a = (d * d).sum(), b = (q * d).sum(), c = (q * q).sum() - r * r
        let discriminant = b * b - a * c
        guard discriminant >= 0 else { return nil }
        let root = discriminant.squareRoot()
        let entry = (-b - root) / a, exit = (-b + root) / a
        guard entry > 1e-9, entry < tMax else { return nil }
        // Half the rays pass through the foliage; the rest stop in its outer half.
        if porousKey & 1 == 0 { return nil }
        let t = entry + (exit - entry) * 0.5 * unitFromHash(porousKey, lane: 1)
        guard t < tMax else { return nil }
        let p = q + d * t
        let length = (p * p).sum().squareRoot()
        return (t, length > 0 ? p / length : SIMD3(0, 0, 1))
    }
}

@inline(__always)
private func pointwiseMinimum(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.x < b.x ? a.x : b.x, a.y < b.y ? a.y : b.y, a.z < b.z ? a.z : b.z)
}

@inline(__always)
private func pointwiseMaximum(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.x > b.x ? a.x : b.x, a.y > b.y ? a.y : b.y, a.z > b.z ? a.z : b.z)
}

/// The solids near one viewpoint, binned by the azimuth under which they can be seen, so a ray tests
/// only the few solids in its direction.
///
/// A solid of horizontal radius `r` at horizontal distance `D` from the viewpoint can only meet a ray
/// whose origin is within `slack` of the viewpoint if the ray's azimuth is within
/// `asin((r + slack) / D)` of the solid's; nearer solids go in every bin.
struct AzimuthIndex: Sendable {
    static let binCount = 1024
    let viewpoint: SIMD2<Double>
    private(set) var starts: [Int32]
    private(set) var items: [Int32]

    init(solids: [Solid], viewpoint: SIMD2<Double>, slack: Double) {
        self.viewpoint = viewpoint
        var lists = [[Int32]](repeating: [], count: Self.binCount)
        let binWidth = 2 * Double.pi / Double(Self.binCount)
        for (index, solid) in solids.enumerated() {
            let offset = SIMD2(solid.origin.x, solid.origin.y) - viewpoint
            let distance = (offset * offset).sum().squareRoot()
            let reach = solid.radius + slack
            if distance <= reach * 1.0001 + 1e-9 {
                for bin in 0..<Self.binCount { lists[bin].append(Int32(index)) }
                continue
            }
            let center = atan2(offset.y, offset.x)
            let half = asin(min(1, reach / distance)) + binWidth * 0.01
            let first = Int(((center - half + .pi) / binWidth).rounded(.down))
            let last = Int(((center + half + .pi) / binWidth).rounded(.down))
            for bin in first...last { lists[((bin % Self.binCount) + Self.binCount) % Self.binCount].append(Int32(index)) }
        }
        starts = [0]
        items = []
        for list in lists {
            items += list
            starts.append(Int32(items.count))
        }
    }

    /// The bin of a direction's azimuth.
    @inline(__always)
    func bin(_ direction: SIMD3<Double>) -> Int {
        let angle = atan2(direction.y, direction.x)
        let bin = Int((angle + .pi) * (Double(Self.binCount) / (2 * .pi)))
        return min(max(bin, 0), Self.binCount - 1)
    }
}

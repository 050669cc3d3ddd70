import Foundation

/// Size statistics of a class: KITTI's training-set means (length, width, height in metres) and a
/// relative spread.
struct ClassSize: Sendable {
    var mean: SIMD3<Double>
    var spread: Double

    static func of(_ category: String) -> ClassSize {
        switch category {
        case "Car": ClassSize(mean: SIMD3(3.88, 1.63, 1.53), spread: 0.05)
        case "Van": ClassSize(mean: SIMD3(5.07, 1.90, 2.21), spread: 0.05)
        case "Truck": ClassSize(mean: SIMD3(10.14, 2.59, 3.25), spread: 0.04)
        case "Pedestrian": ClassSize(mean: SIMD3(0.84, 0.66, 1.76), spread: 0.05)
        case "Cyclist": ClassSize(mean: SIMD3(1.76, 0.60, 1.74), spread: 0.04)
        default: preconditionFailure("no size statistics for \(category)")
        }
    }

    func draw(_ random: inout SceneRandom) -> SIMD3<Double> {
        // One overall scale plus a smaller independent part per axis.
        let overall = random.normal() * spread
        return mean * SIMD3(1 + overall + 0.5 * spread * random.normal(), 1 + overall + 0.5 * spread * random.normal(),
                            1 + overall + 0.5 * spread * random.normal())
    }
}

/// How an actor moves: along the road at `speed` (m/s, negative against the direction of `s`) with a
/// fixed lateral offset, facing its direction of travel (or a fixed extra yaw when standing).
struct ActorMotion: Sendable, Hashable {
    var startS: Double
    var speed: Double
    var lateral: Double
    /// Added to the road heading: 0 for traffic with the road, pi against it, anything for people standing.
    var yawOffset: Double
}

/// A road user: class, gold size, the shape inside it and its motion.
struct Actor: Sendable {
    var id: Int
    var category: String
    /// Gold cuboid size (length, width, height).
    var size: SIMD3<Double>
    /// Indices of its parts in the world's part list.
    var parts: Range<Int>
    var colour: SIMD3<Double>
    var reflectivity: Double
    var motion: ActorMotion
    var isMoving: Bool { motion.speed != 0 }
}

/// Builds the shapes inside a gold cuboid, in the cuboid's frame (x forward, y left, z up from the
/// cuboid's bottom face).
///
/// Every part stays `margin` inside the cuboid's sides and top and `floor` above its bottom, the
/// bound of the lidar's range noise, so noisy returns of the actor still fall inside its cuboid. The
/// parts reach those inner faces, so the cuboid is tight. Pedestrians' parts stay inside the elliptic
/// cylinder inscribed in the cuboid, the solid Cuboid projects people as.
enum ActorShapes {
    static func parts(category: String, size: SIMD3<Double>, margin: Double, floor: Double, walking: Bool) -> [Part] {
        let a = size.x / 2 - margin, b = size.y / 2 - margin, top = size.z - margin
        precondition(a > 0.1 && b > 0.1 && top > floor + 0.5, "actor too small for its margins")
        func box(_ x0: Double, _ x1: Double, _ y0: Double, _ y1: Double, _ z0: Double, _ z1: Double, _ material: Material) -> Part {
            .box(SIMD3(x0, y0, z0), SIMD3(x1, y1, z1), material)
        }
        switch category {
        case "Car", "Van", "Truck":
            let h = size.z
            let wheel = min(0.36, 0.21 * h)
            let axle = max(0.55, 0.17 * size.x)
            var parts: [Part] = []
            var axles = [a - axle, -a + axle]
            if category == "Truck" { axles.append(-a + axle + 2 * wheel + 0.15) }
            for x in axles {
                for side in [-1.0, 1.0] {
                    let y0 = side > 0 ? b - 0.24 : -b, y1 = side > 0 ? b : -b + 0.24
                    parts.append(box(x - wheel, x + wheel, y0, y1, floor, floor + 2 * wheel, .tyre))
                }
            }
            let sill = floor + 0.6 * wheel
            switch category {
            case "Car":
                let belt = floor + 0.58 * (top - floor)
                parts.append(box(-a, a, -b, b, sill, belt, .paint))
                parts.append(box(-0.6 * a, 0.32 * a, -0.9 * b, 0.9 * b, belt, top, .glass))
            case "Van":
                let hood = a - min(0.9, 0.18 * size.x)
                parts.append(box(-a, hood, -b, b, sill, top, .paint))
                parts.append(box(hood, a, -b, b, sill, floor + 0.5 * (top - floor), .paint))
                parts.append(box(hood - 0.05, hood + 0.02, -0.92 * b, 0.92 * b, floor + 0.55 * (top - floor), floor + 0.9 * (top - floor), .glass))
            default:  // Truck: cab, chassis, cargo box.
                let cab = a - 2.3
                parts.append(box(cab, a - 0.01, -b, b, sill, floor + 0.86 * (top - floor), .paint))
                parts.append(box(a - 0.02, a, -0.9 * b, 0.9 * b, floor + 0.6 * (top - floor), floor + 0.82 * (top - floor), .glass))
                parts.append(box(-a, cab, -0.8 * b, 0.8 * b, sill, sill + 0.35, .metal))
                parts.append(box(-a, cab - 0.2, -b, b, sill + 0.35, top, .paint))
            }
            return parts
        case "Pedestrian":
            // Inside the ellipse x^2/a^2 + y^2/b^2 <= 1: every box corner below has a sum <= 0.92.
            let hip = floor + 0.47 * (top - floor), shoulder = floor + 0.82 * (top - floor), neck = floor + 0.85 * (top - floor)
            var parts: [Part] = []
            if walking {
                parts.append(box(0.05 * a, 0.6 * a, 0.12 * b, 0.5 * b, floor, hip, .paint))
                parts.append(box(-0.6 * a, -0.05 * a, -0.5 * b, -0.12 * b, floor, hip, .paint))
            } else {
                parts.append(box(-0.3 * a, 0.3 * a, 0.1 * b, 0.5 * b, floor, hip, .paint))
                parts.append(box(-0.3 * a, 0.3 * a, -0.5 * b, -0.1 * b, floor, hip, .paint))
            }
            parts.append(box(-0.42 * a, 0.42 * a, -0.72 * b, 0.72 * b, hip, shoulder, .paint))
            parts.append(box(-0.3 * a, 0.3 * a, 0.74 * b, 0.9 * b, floor + 0.5 * (top - floor), shoulder, .skin))
            parts.append(box(-0.3 * a, 0.3 * a, -0.9 * b, -0.74 * b, floor + 0.5 * (top - floor), shoulder, .skin))
            parts.append(box(-0.35 * a, 0.35 * a, -0.35 * b, 0.35 * b, neck, top, .skin))
            // The ellipse's x extremes are reached by a thin stride box along the axis.
            parts.append(box(-0.995 * a, 0.995 * a, -0.06 * b, 0.06 * b, floor + 0.2 * (top - floor), floor + 0.24 * (top - floor), .paint))
            return parts
        case "Cyclist":
            let wheel = min(0.34, 0.25 * (top - floor)), rim = 0.03
            let seat = floor + 0.52 * (top - floor)
            return [
                box(a - 2 * wheel, a, -rim, rim, floor, floor + 2 * wheel, .tyre),
                box(-a, -a + 2 * wheel, -rim, rim, floor, floor + 2 * wheel, .tyre),
                box(-a + wheel, a - wheel, -0.04, 0.04, floor + wheel, seat, .metal),
                box(a - wheel - 0.12, a - wheel - 0.04, -b, b, floor + 0.58 * (top - floor), floor + 0.61 * (top - floor), .metal),
                box(-0.3 * a, 0.05 * a, -0.6 * b, 0.6 * b, floor + 0.3 * (top - floor), seat + 0.05, .paint),
                box(-0.35 * a, 0.15 * a, -0.6 * b, 0.6 * b, seat, floor + 0.86 * (top - floor), .paint),
                box(-0.2 * a, 0.05 * a, -0.3 * b, 0.3 * b, floor + 0.86 * (top - floor), top, .skin),
            ]
        default:
            preconditionFailure("no shape for \(category)")
        }
    }

    /// A plausible colour for a class.
    static func colour(category: String, _ random: inout SceneRandom) -> SIMD3<Double> {
        let palette: [SIMD3<Double>] = category == "Pedestrian" || category == "Cyclist"
            ? [SIMD3(0.15, 0.2, 0.45), SIMD3(0.5, 0.12, 0.12), SIMD3(0.2, 0.2, 0.2), SIMD3(0.55, 0.5, 0.3), SIMD3(0.3, 0.45, 0.3)]
            : [SIMD3(0.75, 0.75, 0.78), SIMD3(0.1, 0.1, 0.12), SIMD3(0.55, 0.08, 0.08), SIMD3(0.12, 0.22, 0.5),
               SIMD3(0.85, 0.85, 0.82), SIMD3(0.4, 0.42, 0.45), SIMD3(0.7, 0.55, 0.2)]
        let base = palette[Int(random.unit() * Double(palette.count))]
        return base * random.uniform(0.85, 1.1)
    }
}

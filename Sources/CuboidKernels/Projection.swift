import CuboidGeometry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The solid whose outline a cuboid label stands for when it is projected into an image.
///
/// A cuboid is the right model for vehicles. A person is not a box: a walking pedestrian's 1.2 m
/// stride fills the cuboid's length only at the feet, and the cuboid's near vertical edges project
/// wider than anything a labeller draws around the person. The elliptic cylinder inscribed in the
/// cuboid (axes `length / 2` and `width / 2`, same height and yaw) is the usual stand-in.
public enum ProjectionSilhouette: String, Sendable, Hashable, Codable, CaseIterable {
    /// The eight corners of the cuboid.
    case cuboid
    /// The vertical elliptic cylinder inscribed in the cuboid, outlined by 64 points on each of its
    /// two rims (the outline is at most `0.0012 * length / 2` inside the true silhouette).
    case ellipticCylinder = "elliptic-cylinder"
}

/// The 2D box a cuboid covers in a camera image.
///
/// The outline (the eight corners, or the two rims of the inscribed elliptic cylinder) is mapped into
/// the camera frame. Any part behind the near plane (`z < nearPlane`) is cut away: vertices in front
/// are kept, and each outline edge that crosses the plane adds its crossing point. What is left is
/// projected with the pinhole intrinsics, and the bounds of those pixels are clipped to the image
/// `[0, width] x [0, height]`.
/// - Parameters:
///   - box: The cuboid, in the frame `camera.cameraFromSensor` maps from (for example the lidar frame).
///   - camera: The calibrated camera.
///   - silhouette: The solid the cuboid stands for (default ``ProjectionSilhouette/cuboid``).
///   - nearPlane: Metres in front of the camera below which geometry is cut (default 0.1).
///   - clippedToImage: Whether to clip the result to the image (default true).
/// - Returns: The box, or nil when the solid is entirely behind the near plane or, once clipped,
///   outside the image.
/// - Complexity: O(1) (8 vertices for a cuboid, 128 for a cylinder).
public func projectedBox(_ box: Box3D, camera: Camera, silhouette: ProjectionSilhouette = .cuboid,
                         nearPlane: Double = 0.1, clippedToImage: Bool = true) -> Box2D? {
    precondition(nearPlane > 0, "nearPlane must be > 0")
    let outline = Outline(box, silhouette: silhouette)
    let vertices = outline.vertices.map { camera.cameraFromSensor.apply(to: $0) }
    var points: [SIMD3<Double>] = vertices.filter { $0.z >= nearPlane }
    if points.isEmpty { return nil }
    if points.count < vertices.count {
        for (i, j) in outline.edges {
            let p = vertices[i], q = vertices[j]
            if (p.z < nearPlane) != (q.z < nearPlane) {
                let t = (nearPlane - p.z) / (q.z - p.z)
                var crossing = p + (q - p) * t
                crossing.z = nearPlane
                points.append(crossing)
            }
        }
    }
    guard var result = Box2D(enclosing: points.compactMap { camera.intrinsics.project($0) }) else { return nil }
    if clippedToImage {
        result = result.intersection(Box2D(minX: 0, minY: 0, maxX: Double(camera.intrinsics.width),
                                           maxY: Double(camera.intrinsics.height)))
        if result.isEmpty { return nil }
    }
    return result
}

/// Vertices and edges of a silhouette, in the box's own frame.
private struct Outline {
    var vertices: [SIMD3<Double>]
    var edges: [(Int, Int)]

    static let rimPoints = 64

    init(_ box: Box3D, silhouette: ProjectionSilhouette) {
        switch silhouette {
        case .cuboid:
            vertices = box.corners
            edges = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]
        case .ellipticCylinder:
            let n = Self.rimPoints
            let c = cos(box.yaw), s = sin(box.yaw)
            vertices = []
            vertices.reserveCapacity(2 * n)
            for z in [box.bottom, box.top] {
                for k in 0..<n {
                    let angle = 2 * Double.pi * Double(k) / Double(n)
                    let u = box.length / 2 * cos(angle), v = box.width / 2 * sin(angle)
                    vertices.append(SIMD3(box.x + c * u - s * v, box.y + s * u + c * v, z))
                }
            }
            edges = []
            for k in 0..<n {
                edges.append((k, (k + 1) % n))
                edges.append((n + k, n + (k + 1) % n))
                edges.append((k, n + k))
            }
        }
    }
}

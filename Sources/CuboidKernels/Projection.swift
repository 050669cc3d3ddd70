import CuboidGeometry

/// The 2D box a cuboid covers in a camera image.
///
/// The eight corners are mapped into the camera frame. Any part behind the near plane (`z <
/// nearPlane`) is cut away: corners in front are kept, and each of the 12 edges that crosses the
/// plane adds its crossing point. What is left is projected with the pinhole intrinsics, and the
/// bounds of those pixels are clipped to the image `[0, width] x [0, height]`.
/// - Parameters:
///   - box: The cuboid, in the frame `camera.cameraFromSensor` maps from (for example the lidar frame).
///   - camera: The calibrated camera.
///   - nearPlane: Metres in front of the camera below which geometry is cut (default 0.1).
///   - clippedToImage: Whether to clip the result to the image (default true).
/// - Returns: The box, or nil when the cuboid is entirely behind the near plane or, once clipped,
///   outside the image.
/// - Complexity: O(1).
public func projectedBox(_ box: Box3D, camera: Camera, nearPlane: Double = 0.1, clippedToImage: Bool = true) -> Box2D? {
    precondition(nearPlane > 0, "nearPlane must be > 0")
    let corners = box.corners.map { camera.cameraFromSensor.apply(to: $0) }
    var points: [SIMD3<Double>] = corners.filter { $0.z >= nearPlane }
    if points.isEmpty { return nil }
    if points.count < 8 {
        let edges = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]
        for (i, j) in edges {
            let p = corners[i], q = corners[j]
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

/// A rigid transform (rotation then translation) that maps points from a child frame to its parent:
/// `p_parent = rotation.rotate(p_child) + translation`.
///
/// Example: a vehicle's ego pose maps vehicle coordinates to world coordinates; a lidar-to-camera
/// calibration maps lidar points into the camera frame. Metres; the rotation is a unit quaternion
/// (w, x, y, z). See the Conventions article.
public struct RigidPose: Sendable, Hashable, Codable {
    /// Rotation from child to parent axes (unit quaternion).
    public var rotation: Quaternion
    /// Position of the child frame's origin in the parent frame, metres.
    public var translation: SIMD3<Double>

    /// A pose from a rotation and a translation; the rotation is normalised.
    public init(rotation: Quaternion = .identity, translation: SIMD3<Double> = .zero) {
        self.rotation = rotation.normalized
        self.translation = translation
    }

    /// A pose that turns by `yaw` about +z and then moves by `translation`.
    public init(yaw: Double, translation: SIMD3<Double>) {
        self.init(rotation: Quaternion(yaw: yaw), translation: translation)
    }

    /// A pose from the top three rows of a row-major homogeneous matrix (12 values, `[R | t]`) or from
    /// all 16. The 3 x 3 part must be a rotation; it is converted with ``Quaternion/init(rotationMatrix:)``.
    public init(matrix values: [Double]) {
        precondition(values.count == 12 || values.count == 16, "RigidPose(matrix:) takes 12 or 16 row-major values")
        let rows = (0..<3).map { r in (0..<3).map { c in values[r * 4 + c] } }
        self.init(rotation: Quaternion(rotationMatrix: rows),
                  translation: SIMD3(values[3], values[7], values[11]))
    }

    /// A pose from 12 or 16 row-major values read from data, or nil when the 3 x 3 part is not a
    /// rotation (rows orthonormal to 1e-4, determinant +1) or a value is not finite. Use it where a
    /// matrix comes from a file; ``init(matrix:)`` is for matrices known to be rigid.
    public init?(validatingMatrix values: [Double]) {
        guard values.count == 12 || values.count == 16, values.allSatisfy(\.isFinite) else { return nil }
        let rows = (0..<3).map { SIMD3(values[$0 * 4], values[$0 * 4 + 1], values[$0 * 4 + 2]) }
        for i in 0..<3 {
            for j in 0..<3 where abs((rows[i] * rows[j]).sum() - (i == j ? 1 : 0)) > 1e-4 { return nil }
        }
        let cross = SIMD3(rows[1].y * rows[2].z - rows[1].z * rows[2].y, rows[1].z * rows[2].x - rows[1].x * rows[2].z,
                          rows[1].x * rows[2].y - rows[1].y * rows[2].x)
        guard (rows[0] * cross).sum() > 0 else { return nil }
        self.init(matrix: values)
    }

    /// The identity pose.
    public static let identity = RigidPose()

    /// Row-major 4 x 4 homogeneous matrix (16 values).
    public var matrix: [Double] {
        let r = rotation.rotationMatrix
        return [r[0][0], r[0][1], r[0][2], translation.x,
                r[1][0], r[1][1], r[1][2], translation.y,
                r[2][0], r[2][1], r[2][2], translation.z,
                0, 0, 0, 1]
    }

    /// A point of the child frame expressed in the parent frame.
    @inlinable
    public func apply(to point: SIMD3<Double>) -> SIMD3<Double> {
        rotation.rotate(point) + translation
    }

    /// The inverse transform (parent to child).
    public var inverse: RigidPose {
        let r = rotation.conjugate
        return RigidPose(rotation: r, translation: -r.rotate(translation))
    }

    /// The composition `self ∘ other`: first `other` (grandchild to child), then `self` (child to parent).
    public func composed(with other: RigidPose) -> RigidPose {
        RigidPose(rotation: rotation * other.rotation, translation: apply(to: other.translation))
    }
}

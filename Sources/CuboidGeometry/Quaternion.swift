#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rotation quaternion, written (w, x, y, z) with `w` the scalar part.
///
/// Rotations act on column vectors: `q.rotate(v)` is `q * v * q⁻¹`. Formats that order the parts
/// differently (OpenLABEL's `qx, qy, qz, qw`) convert at their edges. See the Conventions article.
public struct Quaternion: Sendable, Hashable, Codable {
    /// Scalar part.
    public var w: Double
    /// Vector part, x.
    public var x: Double
    /// Vector part, y.
    public var y: Double
    /// Vector part, z.
    public var z: Double

    @inlinable
    public init(w: Double, x: Double, y: Double, z: Double) {
        self.w = w
        self.x = x
        self.y = y
        self.z = z
    }

    /// The identity rotation.
    public static let identity = Quaternion(w: 1, x: 0, y: 0, z: 0)

    /// A rotation of `angle` radians about `axis` (right-handed; the axis need not be unit length).
    public init(axis: SIMD3<Double>, angle: Double) {
        let length = (axis * axis).sum().squareRoot()
        precondition(length > 0, "Quaternion(axis:angle:) needs a non-zero axis")
        let s = sin(angle / 2) / length
        self.init(w: cos(angle / 2), x: axis.x * s, y: axis.y * s, z: axis.z * s)
    }

    /// A rotation of `yaw` radians counter-clockwise about +z.
    public init(yaw: Double) {
        self.init(w: cos(yaw / 2), x: 0, y: 0, z: sin(yaw / 2))
    }

    /// The rotation of a 3 x 3 rotation matrix given row-major (`rows[i][j]` is row i, column j).
    ///
    /// Uses Shepperd's method (largest diagonal term first), so it is stable for every rotation.
    /// The result is normalised and has `w >= 0`.
    public init(rotationMatrix m: [[Double]]) {
        precondition(m.count == 3 && m.allSatisfy { $0.count == 3 }, "rotationMatrix must be 3 x 3")
        let trace = m[0][0] + m[1][1] + m[2][2]
        var q: Quaternion
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            q = Quaternion(w: s / 4, x: (m[2][1] - m[1][2]) / s, y: (m[0][2] - m[2][0]) / s, z: (m[1][0] - m[0][1]) / s)
        } else if m[0][0] > m[1][1] && m[0][0] > m[2][2] {
            let s = (1 + m[0][0] - m[1][1] - m[2][2]).squareRoot() * 2
            q = Quaternion(w: (m[2][1] - m[1][2]) / s, x: s / 4, y: (m[0][1] + m[1][0]) / s, z: (m[0][2] + m[2][0]) / s)
        } else if m[1][1] > m[2][2] {
            let s = (1 + m[1][1] - m[0][0] - m[2][2]).squareRoot() * 2
            q = Quaternion(w: (m[0][2] - m[2][0]) / s, x: (m[0][1] + m[1][0]) / s, y: s / 4, z: (m[1][2] + m[2][1]) / s)
        } else {
            let s = (1 + m[2][2] - m[0][0] - m[1][1]).squareRoot() * 2
            q = Quaternion(w: (m[1][0] - m[0][1]) / s, x: (m[0][2] + m[2][0]) / s, y: (m[1][2] + m[2][1]) / s, z: s / 4)
        }
        q = q.normalized
        self = q.w < 0 ? -q : q
    }

    /// Vector part.
    @inlinable public var vector: SIMD3<Double> { SIMD3(x, y, z) }
    /// Euclidean norm of the four parts.
    @inlinable public var norm: Double { (w * w + x * x + y * y + z * z).squareRoot() }
    /// The same rotation scaled to unit norm.
    public var normalized: Quaternion {
        let n = norm
        precondition(n > 0, "cannot normalise a zero quaternion")
        return Quaternion(w: w / n, x: x / n, y: y / n, z: z / n)
    }
    /// The inverse rotation of a unit quaternion.
    @inlinable public var conjugate: Quaternion { Quaternion(w: w, x: -x, y: -y, z: -z) }

    /// Hamilton product: the rotation `rhs` followed by `lhs`.
    @inlinable
    public static func * (lhs: Quaternion, rhs: Quaternion) -> Quaternion {
        Quaternion(
            w: lhs.w * rhs.w - lhs.x * rhs.x - lhs.y * rhs.y - lhs.z * rhs.z,
            x: lhs.w * rhs.x + lhs.x * rhs.w + lhs.y * rhs.z - lhs.z * rhs.y,
            y: lhs.w * rhs.y - lhs.x * rhs.z + lhs.y * rhs.w + lhs.z * rhs.x,
            z: lhs.w * rhs.z + lhs.x * rhs.y - lhs.y * rhs.x + lhs.z * rhs.w)
    }

    /// All four parts negated: the same rotation.
    @inlinable
    public static prefix func - (q: Quaternion) -> Quaternion { Quaternion(w: -q.w, x: -q.x, y: -q.y, z: -q.z) }

    /// Four-component dot product.
    @inlinable
    public func dot(_ other: Quaternion) -> Double { w * other.w + x * other.x + y * other.y + z * other.z }

    /// `v` rotated by this unit quaternion.
    @inlinable
    public func rotate(_ v: SIMD3<Double>) -> SIMD3<Double> {
        // v + 2 * u x (u x v + w v), u the vector part.
        let u = vector
        let t = 2 * cross(u, v)
        return v + w * t + cross(u, t)
    }

    /// The 3 x 3 rotation matrix, row-major.
    public var rotationMatrix: [[Double]] {
        let (ww, xx, yy, zz) = (w * w, x * x, y * y, z * z)
        let (xy, xz, yz, wx, wy, wz) = (x * y, x * z, y * z, w * x, w * y, w * z)
        return [
            [ww + xx - yy - zz, 2 * (xy - wz), 2 * (xz + wy)],
            [2 * (xy + wz), ww - xx + yy - zz, 2 * (yz - wx)],
            [2 * (xz - wy), 2 * (yz + wx), ww - xx - yy + zz],
        ]
    }

    /// Heading of the rotated +x axis projected on the x/y plane, radians in (-pi, pi]: the yaw of a
    /// yaw-only box with this orientation.
    public var yaw: Double {
        let heading = rotate(SIMD3(1, 0, 0))
        return atan2(heading.y, heading.x)
    }

    /// The rotation angle in [0, pi] between two unit quaternions.
    public func angle(to other: Quaternion) -> Double {
        2 * acos(min(1, abs(dot(other))))
    }
}

@inlinable
func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

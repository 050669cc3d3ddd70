import CuboidGeometry
import Foundation

/// A rigid transform as a rotation matrix (rows) and a translation, for the registration's inner
/// loops; the public API speaks ``RigidPose``. `p_parent = R p_child + t`, metres.
struct Rigid: Sendable {
    var r0: SIMD3<Double>, r1: SIMD3<Double>, r2: SIMD3<Double>
    var t: SIMD3<Double>

    static let identity = Rigid(r0: SIMD3(1, 0, 0), r1: SIMD3(0, 1, 0), r2: SIMD3(0, 0, 1), t: .zero)

    init(r0: SIMD3<Double>, r1: SIMD3<Double>, r2: SIMD3<Double>, t: SIMD3<Double>) {
        self.r0 = r0; self.r1 = r1; self.r2 = r2; self.t = t
    }

    init(_ pose: RigidPose) {
        let m = pose.rotation.rotationMatrix
        self.init(r0: SIMD3(m[0][0], m[0][1], m[0][2]), r1: SIMD3(m[1][0], m[1][1], m[1][2]), r2: SIMD3(m[2][0], m[2][1], m[2][2]),
                  t: pose.translation)
    }

    var pose: RigidPose {
        RigidPose(matrix: [r0.x, r0.y, r0.z, t.x, r1.x, r1.y, r1.z, t.y, r2.x, r2.y, r2.z, t.z])
    }

    @inline(__always)
    func rotate(_ p: SIMD3<Double>) -> SIMD3<Double> { SIMD3((r0 * p).sum(), (r1 * p).sum(), (r2 * p).sum()) }

    @inline(__always)
    func apply(_ p: SIMD3<Double>) -> SIMD3<Double> { rotate(p) + t }

    /// Columns of R, i.e. rows of R^T.
    private var transposedRows: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
        (SIMD3(r0.x, r1.x, r2.x), SIMD3(r0.y, r1.y, r2.y), SIMD3(r0.z, r1.z, r2.z))
    }

    var inverse: Rigid {
        let (c0, c1, c2) = transposedRows
        let inv = Rigid(r0: c0, r1: c1, r2: c2, t: .zero)
        return Rigid(r0: c0, r1: c1, r2: c2, t: -inv.rotate(t))
    }

    /// `self ∘ other`: first `other`, then `self`.
    func composed(with other: Rigid) -> Rigid {
        let (c0, c1, c2) = other.transposedRows
        return Rigid(r0: SIMD3((r0 * c0).sum(), (r0 * c1).sum(), (r0 * c2).sum()),
                     r1: SIMD3((r1 * c0).sum(), (r1 * c1).sum(), (r1 * c2).sum()),
                     r2: SIMD3((r2 * c0).sum(), (r2 * c1).sum(), (r2 * c2).sum()),
                     t: apply(other.t))
    }

    /// The rotation by the rotation vector `w` (axis times angle, radians), Rodrigues' formula.
    static func rotation(_ w: SIMD3<Double>) -> Rigid {
        let angle = (w * w).sum().squareRoot()
        guard angle > 1e-12 else {
            // First order: I + [w]x.
            return Rigid(r0: SIMD3(1, -w.z, w.y), r1: SIMD3(w.z, 1, -w.x), r2: SIMD3(-w.y, w.x, 1), t: .zero)
        }
        let k = w / angle, c = cos(angle), s = sin(angle), v = 1 - c
        return Rigid(r0: SIMD3(c + k.x * k.x * v, k.x * k.y * v - k.z * s, k.x * k.z * v + k.y * s),
                     r1: SIMD3(k.y * k.x * v + k.z * s, c + k.y * k.y * v, k.y * k.z * v - k.x * s),
                     r2: SIMD3(k.z * k.x * v - k.y * s, k.z * k.y * v + k.x * s, c + k.z * k.z * v), t: .zero)
    }

    /// The rotation angle, radians (0...pi).
    var angle: Double { acos(max(-1, min(1, (r0.x + r1.y + r2.z - 1) / 2))) }

    /// The rotation vector (axis times angle) of the rotation part.
    var rotationVector: SIMD3<Double> {
        let theta = angle
        let skew = SIMD3(r2.y - r1.z, r0.z - r2.x, r1.x - r0.y)
        if theta < 1e-9 { return skew / 2 }
        let s = sin(theta)
        if s > 1e-6 { return skew * (theta / (2 * s)) }
        // Near pi: the axis from the diagonal.
        let axis = SIMD3(((r0.x + 1) / 2).squareRoot(), ((r1.y + 1) / 2).squareRoot(), ((r2.z + 1) / 2).squareRoot())
        return axis * theta
    }

    /// The fraction `s` of this motion: rotation vector and translation scaled by `s` (exact for
    /// pure translations and rotations about the origin; the constant-velocity deskew uses it for the
    /// few centimetres a sweep moves).
    func scaled(_ s: Double) -> Rigid {
        var part = Rigid.rotation(rotationVector * s)
        part.t = t * s
        return part
    }
}

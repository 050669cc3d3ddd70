#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A yaw-only 3D box: the cuboid of the field's 3D labels and detections.
///
/// Frame: the frame of the sensor or world it is given in (x forward, y left, z up), metres.
/// `(x, y, z)` is the **geometric centre** (not KITTI's bottom centre); `length` is along the heading,
/// `width` across it, `height` along z. `yaw` is the heading, radians counter-clockwise about +z from
/// +x, kept in (-pi, pi]. Corners 0-3 are the bottom face, counter-clockwise from above starting at
/// the front-left (+l/2, +w/2), then (-l/2, +w/2), (-l/2, -w/2), (+l/2, -w/2); corners 4-7 are the
/// same at the top. See the Conventions article.
public struct Box3D: Sendable, Hashable, Codable {
    /// Centre x, metres.
    public var x: Double
    /// Centre y, metres.
    public var y: Double
    /// Centre z, metres (geometric centre, half the height above the bottom face).
    public var z: Double
    /// Extent along the heading, metres.
    public var length: Double
    /// Extent across the heading, metres.
    public var width: Double
    /// Extent along z, metres.
    public var height: Double
    /// Heading, radians counter-clockwise about +z from +x.
    public var yaw: Double

    @inlinable
    public init(x: Double, y: Double, z: Double, length: Double, width: Double, height: Double, yaw: Double) {
        self.x = x
        self.y = y
        self.z = z
        self.length = length
        self.width = width
        self.height = height
        self.yaw = yaw
    }

    /// A box from its centre and size `(length, width, height)`.
    @inlinable
    public init(center: SIMD3<Double>, size: SIMD3<Double>, yaw: Double) {
        self.init(x: center.x, y: center.y, z: center.z, length: size.x, width: size.y, height: size.z, yaw: yaw)
    }

    /// Geometric centre.
    @inlinable
    public var center: SIMD3<Double> {
        get { SIMD3(x, y, z) }
        set { (x, y, z) = (newValue.x, newValue.y, newValue.z) }
    }

    /// `(length, width, height)`.
    @inlinable
    public var size: SIMD3<Double> {
        get { SIMD3(length, width, height) }
        set { (length, width, height) = (newValue.x, newValue.y, newValue.z) }
    }

    /// Volume in cubic metres (0 when a side is negative).
    @inlinable public var volume: Double { Swift.max(0, length) * Swift.max(0, width) * Swift.max(0, height) }
    /// z of the bottom face.
    @inlinable public var bottom: Double { z - height / 2 }
    /// z of the top face.
    @inlinable public var top: Double { z + height / 2 }

    /// The footprint seen from above.
    @inlinable
    public var bev: BEVBox { BEVBox(centerX: x, centerY: y, length: length, width: width, yaw: yaw) }

    /// The eight corners in the documented order (bottom 0-3, top 4-7).
    public var corners: [SIMD3<Double>] {
        let footprint = bev.corners
        return footprint.map { SIMD3($0.x, $0.y, bottom) } + footprint.map { SIMD3($0.x, $0.y, top) }
    }

    /// True when `point` lies inside or on the surface of the box.
    public func contains(_ point: SIMD3<Double>) -> Bool {
        abs(point.z - z) <= height / 2 && bev.contains(SIMD2(point.x, point.y))
    }

    /// The box expressed in a parent frame: `pose` maps this box's frame into the parent.
    ///
    /// The centre is mapped exactly. The yaw becomes the heading of the mapped length axis projected on
    /// the parent's x/y plane, so a pose with roll or pitch gives the yaw-only box closest to the
    /// tilted one; the size is unchanged.
    public func transformed(by pose: RigidPose) -> Box3D {
        let heading = pose.rotation.rotate(SIMD3(cos(yaw), sin(yaw), 0))
        return Box3D(center: pose.apply(to: center), size: size, yaw: atan2(heading.y, heading.x))
    }
}

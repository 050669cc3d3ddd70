#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rotated rectangle in the ground plane: a cuboid seen from above (bird's-eye view, BEV).
///
/// Frame: the x/y plane of the lidar or world frame (x forward, y left), metres. `yaw` turns the
/// length axis counter-clockwise from +x, in radians; Cuboid keeps it in (-pi, pi] but any finite
/// value describes the same rectangle. Corners are numbered counter-clockwise starting at the
/// front-left: 0 (+l/2, +w/2), 1 (-l/2, +w/2), 2 (-l/2, -w/2), 3 (+l/2, -w/2) in the box frame.
/// See the Conventions article.
public struct BEVBox: Sendable, Hashable, Codable {
    /// Centre x, metres.
    public var centerX: Double
    /// Centre y, metres.
    public var centerY: Double
    /// Extent along the heading, metres (>= 0 for a valid box).
    public var length: Double
    /// Extent across the heading, metres (>= 0 for a valid box).
    public var width: Double
    /// Heading, radians counter-clockwise from +x.
    public var yaw: Double

    @inlinable
    public init(centerX: Double, centerY: Double, length: Double, width: Double, yaw: Double) {
        self.centerX = centerX
        self.centerY = centerY
        self.length = length
        self.width = width
        self.yaw = yaw
    }

    /// A box from its centre point.
    @inlinable
    public init(center: SIMD2<Double>, length: Double, width: Double, yaw: Double) {
        self.init(centerX: center.x, centerY: center.y, length: length, width: width, yaw: yaw)
    }

    /// Centre point.
    @inlinable public var center: SIMD2<Double> { SIMD2(centerX, centerY) }
    /// Area in square metres (0 when a side is negative).
    @inlinable public var area: Double { Swift.max(0, length) * Swift.max(0, width) }
    /// Unit vector along the length (the heading).
    @inlinable public var heading: SIMD2<Double> { SIMD2(cos(yaw), sin(yaw)) }

    /// The four corners, counter-clockwise from the front-left (see the type's documentation).
    public var corners: [SIMD2<Double>] {
        let c = cos(yaw), s = sin(yaw)
        let hl = length / 2, hw = width / 2
        return [(hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)].map { (u, v) in
            SIMD2(centerX + u * c - v * s, centerY + u * s + v * c)
        }
    }

    /// The smallest axis-aligned box holding the rectangle.
    public var enclosingBox: Box2D {
        let c = abs(cos(yaw)), s = abs(sin(yaw))
        let hx = (length * c + width * s) / 2, hy = (length * s + width * c) / 2
        return Box2D(minX: centerX - hx, minY: centerY - hy, maxX: centerX + hx, maxY: centerY + hy)
    }

    /// True when `point` lies inside or on the border of the rectangle.
    /// - Complexity: O(1).
    public func contains(_ point: SIMD2<Double>) -> Bool {
        let d = point - center
        let c = cos(yaw), s = sin(yaw)
        let u = d.x * c + d.y * s, v = -d.x * s + d.y * c
        return abs(u) <= length / 2 && abs(v) <= width / 2
    }

    /// A cuboid with this footprint spanning `bottom...top` in z.
    public func cuboid(bottom: Double, top: Double) -> Box3D {
        Box3D(x: centerX, y: centerY, z: (bottom + top) / 2, length: length, width: width,
              height: top - bottom, yaw: yaw)
    }
}

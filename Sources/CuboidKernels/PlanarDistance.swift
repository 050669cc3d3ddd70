import CuboidGeometry

/// Distance between two points of the x/y plane (bird's-eye view), metres.
@inline(__always)
package func planarDistance(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Double {
    let dx = ax - bx, dy = ay - by
    return (dx * dx + dy * dy).squareRoot()
}

/// Distance between two boxes' centres in the bird's-eye view, metres.
@inline(__always)
package func planarDistance(_ a: Box3D, _ b: Box3D) -> Double { planarDistance(a.x, a.y, b.x, b.y) }

/// A box's centre's distance from the sensor in the bird's-eye view (its range), metres.
@inline(__always)
package func horizontalRange(_ box: Box3D) -> Double { planarDistance(box.x, box.y, 0, 0) }

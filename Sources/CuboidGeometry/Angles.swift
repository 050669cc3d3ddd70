#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wraps an angle into Cuboid's yaw range (-pi, pi] (see the Conventions article).
///
/// - Parameter angle: Any finite angle in radians.
/// - Returns: The angle plus a multiple of 2 pi that lies in (-pi, pi]. Non-finite input is returned as is.
/// - Complexity: O(1).
@inlinable
public func normalizedYaw(_ angle: Double) -> Double {
    if angle > -Double.pi && angle <= Double.pi { return angle }
    guard angle.isFinite else { return angle }
    var wrapped = angle.remainder(dividingBy: 2 * Double.pi)  // in [-pi, pi]
    if wrapped <= -Double.pi { wrapped += 2 * Double.pi }
    return wrapped
}

/// The signed shortest rotation that takes yaw `from` to yaw `to`, in (-pi, pi].
///
/// Positive is counter-clockwise seen from above. `shortestArc(from: 3.1, to: -3.1)` is about +0.083,
/// not -6.2.
/// - Complexity: O(1).
@inlinable
public func shortestArc(from: Double, to: Double) -> Double {
    normalizedYaw(to - from)
}

import Foundation

/// The arc tangent of `y / x` in the quadrant of (x, y), radians in -pi...pi, within
/// ``approximateAtan2Error`` of `atan2(y, x)`: the polynomial of Abramowitz and Stegun 4.4.49
/// (error at most 2e-8 on 0...1) after folding the angle into the first octant.
///
/// For binning angles only: a bin found from it is the exact arc tangent's bin when the position
/// lies clear of the bin's edges (see ``clearOfBinEdges(_:binsPerRadian:)``); otherwise the caller
/// takes `atan2`. Zeros and non-finite inputs must take `atan2` (their signs decide the quadrant).
@inline(__always)
func approximateAtan2(_ y: Double, _ x: Double) -> Double {
    let ax = abs(x), ay = abs(y)
    let steep = ay > ax
    let r = steep ? ax / ay : ay / ax
    let r2 = r * r
    var p = 0.0028662257
    p = p * r2 - 0.0161657367
    p = p * r2 + 0.0429096138
    p = p * r2 - 0.0752896400
    p = p * r2 + 0.1065626393
    p = p * r2 - 0.1420889944
    p = p * r2 + 0.1999355085
    p = p * r2 - 0.3333314528
    var angle = r * (1 + r2 * p)
    if steep { angle = .pi / 2 - angle }
    if x < 0 { angle = .pi - angle }
    return y < 0 ? -angle : angle
}

/// The largest difference between ``approximateAtan2(_:_:)`` and `atan2`, radians, with a margin
/// of five over the polynomial's bound for the folding's rounding.
let approximateAtan2Error = 1e-7

/// Whether an angle's position in bins (the angle times `binsPerRadian`, plus any offset), found
/// from ``approximateAtan2(_:_:)``, lies far enough inside its bin that the exact arc tangent's
/// position lies in the same bin: more than twice the approximation's error from either edge.
/// False for a non-finite position.
@inline(__always)
func clearOfBinEdges(_ position: Double, binsPerRadian: Double) -> Bool {
    let margin = 2 * approximateAtan2Error * binsPerRadian
    let fraction = position - position.rounded(.down)
    return fraction > margin && fraction < 1 - margin
}

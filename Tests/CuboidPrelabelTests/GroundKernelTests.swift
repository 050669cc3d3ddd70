import CuboidKernels
@testable import CuboidPrelabel
import Foundation
import Testing

/// Directions to hold the approximate arc tangent to `atan2` on, by name: (x, y) pairs.
private func directions(_ scenario: String) -> [(x: Double, y: Double)] {
    var generator = SplitMix64(seed: UInt64(scenario.utf8.count) &* 977)
    switch scenario {
    case "sweep": return (0..<200_000).map { k in
        let a = -Double.pi + 2 * .pi * Double(k) / 200_000, r = Double.random(in: 2...80, using: &generator)
        return (r * cos(a), r * sin(a)) }
    case "axes and diagonals": return [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1), (3, 3 + 1e-12), (-5, 1e-9), (-5, -1e-9)]
    case "float coordinates": return (0..<100_000).map { _ in
        (Double(Float.random(in: -80...80, using: &generator)), Double(Float.random(in: -80...80, using: &generator))) }
    default: preconditionFailure("unknown scenario \(scenario)")
    }
}

@Test("approximate arc tangent: within its error of atan2, and bins found from it clear of the edges are atan2's",
      arguments: ["sweep", "axes and diagonals", "float coordinates"])
func approximateAtan2MatchesAtan2(scenario: String) {
    var worst = 0.0, cleared = 0, total = 0
    for (x, y) in directions(scenario) where x != 0 && y != 0 {
        let exact = atan2(y, x), approximate = approximateAtan2(y, x)
        worst = max(worst, abs(exact - approximate))
        for binsPerRadian in [16 / (2 * Double.pi), 54 / (2 * Double.pi), OcclusionMap.binsPerRadian] {
            let position = (approximate + .pi) * binsPerRadian
            total += 1
            guard clearOfBinEdges(position, binsPerRadian: binsPerRadian) else { continue }
            cleared += 1
            #expect(Int(position.rounded(.down)) == Int(((exact + .pi) * binsPerRadian).rounded(.down)), "(\(x), \(y))")
        }
    }
    #expect(worst <= approximateAtan2Error / 5, "largest difference \(worst) rad")
    // Nearly every angle of a sweep is decided without atan2 (the axes and diagonals lie on bin edges).
    if scenario != "axes and diagonals" { #expect(Double(cleared) >= 0.99 * Double(total)) }
}

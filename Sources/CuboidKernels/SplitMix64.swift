import Foundation

/// A seeded random number generator (SplitMix64, Steele, Lea and Flood 2014): small, fast, and the
/// same numbers on every platform and Swift release, so seeded scenes, tests and benchmarks repeat.
///
/// ``unit()`` and ``normal()`` are written out here rather than taken from the standard library's
/// `Double.random(in:using:)`, whose algorithm may change between releases.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state: the seed, advanced by a constant per draw.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits of one draw.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (mean 0, deviation 1) by Box-Muller from two draws.
    public mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

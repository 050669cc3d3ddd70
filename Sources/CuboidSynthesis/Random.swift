import CuboidKernels
import Foundation

/// Deterministic randomness that does not depend on the order work is done in.
///
/// Scene layout draws from ``SceneRandom`` streams keyed by what is being placed (a block of road, a
/// lane, a side), so a block looks the same however many frames are rendered. Per-ray noise comes
/// from ``counterHash(_:_:_:_:)`` of the ray's identity, so it is the same on any thread count.
struct SceneRandom {
    private var generator: SplitMix64

    /// A stream for `key` under `seed`.
    init(seed: UInt64, key: UInt64) { generator = SplitMix64(seed: counterHash(seed, key, 0x5EED, 0)) }

    mutating func unit() -> Double { generator.unit() }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Normal with mean 0 and deviation 1, clamped to +-2.5.
    mutating func normal() -> Double { min(2.5, max(-2.5, generator.normal())) }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(max(1 - unit(), 1e-300)) }

    /// An index drawn with probability proportional to `weights` (which must not all be 0).
    mutating func pick(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var target = unit() * total
        for (index, weight) in weights.enumerated() {
            if target < weight { return index }
            target -= weight
        }
        return weights.count - 1
    }
}

/// A well-mixed 64-bit hash of four words (SplitMix64 finaliser over a running combination).
@inline(__always)
func counterHash(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> UInt64 {
    @inline(__always) func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return mix(mix(mix(mix(a) ^ b) ^ c) ^ d)
}

/// Uniform in `[0, 1)` from 16 bits of a hash, `lane` 0-3.
@inline(__always)
func unitFromHash(_ hash: UInt64, lane: UInt64) -> Double {
    Double((hash >> (16 * lane)) & 0xFFFF) * (1.0 / 65536) + 0.5 / 65536
}


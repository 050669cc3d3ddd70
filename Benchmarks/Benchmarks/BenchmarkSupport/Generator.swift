import CuboidKernels

/// Seeded SplitMix64 (Cuboid's own), so every run of every benchmark sees the same inputs.
public typealias Generator = SplitMix64

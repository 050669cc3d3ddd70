// swift-tools-version: 6.1
// Decode, geometry kernel, simulator, QA and whole-prelabel-run benchmarks (ordo-one/benchmark). Kept out of the main package so `swift build`
// and `swift test` never compile the benchmark framework.
//
//   cd Benchmarks && swift package benchmark            # all benchmarks, release build
import PackageDescription

let package = Package(
    name: "CuboidBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cuboid", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "BenchmarkSupport", dependencies: [.product(name: "CuboidKernels", package: "Cuboid")], path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cuboid", package: "Cuboid"),
            ],
            path: "Benchmarks/DecodeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "GeometryBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cuboid", package: "Cuboid"),
            ],
            path: "Benchmarks/GeometryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "SynthesisBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cuboid", package: "Cuboid"),
            ],
            path: "Benchmarks/SynthesisBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "QABenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cuboid", package: "Cuboid"),
            ],
            path: "Benchmarks/QABenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "PrelabelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Cuboid", package: "Cuboid"),
            ],
            path: "Benchmarks/PrelabelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)

import Benchmark
import Cuboid
import Foundation

// The whole `cuboid prelabel` run (reading, detection, writing the cache, labels and review queue,
// previews on or off) on the 60 full KITTI sweeps of `kitti_raw/2011_09_26_drive_0005` (~120,000
// points each) in ../shared/data, 2 threads, a fresh output folder per iteration (no cache to
// resume from). Issue 27's targets, release build on 2 cores: median <= 50 ms a frame without
// previews (3.0 s an iteration), <= 80 ms with them (4.8 s). Not run without the data.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident], maxDuration: .seconds(60), maxIterations: 5)
    guard let drive = sharedDrive("kitti_raw/2011_09_26_drive_0005"), let sequence = try? SensorSequence.open(drive) else {
        print("PrelabelBenchmarks: kitti_raw/2011_09_26_drive_0005 not found in ../shared/data; nothing to measure")
        return
    }
    for previews in [false, true] {
        Benchmark("prelabel kitti_raw 0005, \(sequence.count) sweeps, 2 threads, previews \(previews ? "on" : "off")") { benchmark in
            var options = PrelabelOptions()
            options.previews = previews
            options.threads = 2
            for _ in benchmark.scaledIterations {
                let output = NSTemporaryDirectory() + "cuboid-prelabel-benchmark-" + UUID().uuidString
                defer { try? FileManager.default.removeItem(atPath: output) }
                blackHole(try PrelabelRunner.run(sequence, output: output, options: options))
            }
        }
    }
}

/// `../shared/data/RELATIVE` from the working directory or one of its parents (the benchmark package
/// runs from `Benchmarks/`).
private func sharedDrive(_ relative: String) -> String? {
    var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent("../shared/data/" + relative).standardized.path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        folder.deleteLastPathComponent()
    }
    return nil
}

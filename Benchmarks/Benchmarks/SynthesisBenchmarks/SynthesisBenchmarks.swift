import Benchmark
import Cuboid

// The simulator on its default scene (SampleData/scenes/urban.json): a 64-beam sweep of about
// 124,000 returns (target: under 100 ms on this 2-core machine) and a 1242 x 375 camera frame.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 100)
    let world = SyntheticWorld(scene: SceneDescription(), frameCount: 1)
    for threads in [1, 2] {
        Benchmark("lidar sweep (64 beams, ~124k returns), \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(world.renderSweep(frame: 0, threads: threads)) }
        }
        Benchmark("camera image 1242x375, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(world.renderImage(frame: 0, threads: threads)) }
        }
    }
    Benchmark("lay out the default world for 100 frames") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(SyntheticWorld(scene: SceneDescription(), frameCount: 100)) }
    }
}

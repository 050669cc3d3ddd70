import Benchmark
import Cuboid

// QA scoring of the batch: 1,000 frames x 50 gold boxes x 5 taskers (SyntheticQABatch, seeded),
// every figure, AP, tracking and finding, in memory. Target: under 2 s in release on 2 cores.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(20), maxIterations: 10)
    let batch = SyntheticQABatch.make(frames: 1000, boxesPerFrame: 50, taskers: 5)
    for criterion in [MatchCriterion.bevIoU, .iou3D, .iou2D, .centerDistance] {
        var configuration = QAConfiguration()
        configuration.match = criterion
        Benchmark("qa \(criterion.rawValue) 1000 frames x 50 boxes x 5 taskers") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: configuration))
            }
        }
    }
}

import Benchmark
import BenchmarkSupport
import Cuboid

// The peers' input distributions (../shared/peers/bench_rotated_iou.py, bench_iou2d.py,
// bench_interp.py), drawn with our own seeded generator: BEV/3D boxes with centres uniform in
// 40 m x 40 m (about 1.7 % of pairs overlap), image boxes in 1600 x 900, 1000 tracks x 100 frames.
// `cuboid bench iou` runs on the peers' exact boxes (Scripts/bench_geometry_vs_peers.py writes them).

func peerCuboids(_ count: Int, seed: UInt64) -> [Box3D] {
    var generator = Generator(seed: seed)
    return (0..<count).map { _ in
        Box3D(x: .random(in: 0..<40, using: &generator), y: .random(in: 0..<40, using: &generator),
              z: .random(in: -1..<1, using: &generator), length: .random(in: 1..<6, using: &generator),
              width: .random(in: 0.5..<3, using: &generator), height: .random(in: 1..<3, using: &generator),
              yaw: .random(in: -Double.pi..<Double.pi, using: &generator))
    }
}

func peerImageBoxes(_ count: Int, seed: UInt64) -> [Box2D] {
    var generator = Generator(seed: seed)
    return (0..<count).map { _ in
        let w = Double.random(in: 8..<300, using: &generator), h = Double.random(in: 8..<300, using: &generator)
        return Box2D(x: .random(in: 0..<(1600 - w), using: &generator), y: .random(in: 0..<(900 - h), using: &generator),
                     width: w, height: h)
    }
}

func peerTracks(seed: UInt64) -> [[Keyframe]] {
    var generator = Generator(seed: seed)
    return (0..<1000).map { _ in
        var interior = Set<Int>()
        let wanted = Int.random(in: 0...18, using: &generator)
        while interior.count < wanted { interior.insert(Int.random(in: 1...98, using: &generator)) }
        let start = SIMD3(Double.random(in: -50..<50, using: &generator), .random(in: -50..<50, using: &generator), .random(in: -50..<50, using: &generator))
        let velocity = SIMD3(Double.random(in: -1..<1, using: &generator), .random(in: -1..<1, using: &generator), .random(in: -1..<1, using: &generator))
        let size = SIMD3(Double.random(in: 3.5..<5, using: &generator), .random(in: 1.5..<2.2, using: &generator), .random(in: 1.4..<2, using: &generator))
        let yaw = Double.random(in: -Double.pi..<Double.pi, using: &generator)
        return ([0] + interior.sorted() + [99]).map { frame in
            let noise = 0.2 * SIMD3(generator.normal(), generator.normal(), generator.normal())
            return Keyframe(time: Double(frame), box: Box3D(center: start + velocity * Double(frame) + noise, size: size,
                                                            yaw: normalizedYaw(yaw + 0.8 * generator.normal())))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3), maxIterations: 200)
    let a3 = peerCuboids(2000, seed: 1), b3 = peerCuboids(2000, seed: 2)
    let aBEV = a3.map(\.bev), bBEV = b3.map(\.bev)
    let a2 = peerImageBoxes(4000, seed: 3), b2 = peerImageBoxes(4000, seed: 4)
    let tracks = peerTracks(seed: 6)
    let frames = (0..<100).map(Double.init)
    for threads in [1, 2] {
        Benchmark("BEV IoU 2000x2000, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(pairwiseIoU(aBEV, bBEV, threads: threads)) }
        }
        Benchmark("3D IoU 2000x2000, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(pairwiseIoU(a3, b3, threads: threads)) }
        }
        Benchmark("2D IoU 4000x4000, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(pairwiseIoU(a2, b2, threads: threads)) }
        }
        Benchmark("interpolate 1000 tracks x 100 frames, \(threads) thread(s)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(interpolateTracks(tracks, at: frames, threads: threads)) }
        }
    }
    // Fitting and assignment at the sizes one frame of pre-labelling needs.
    var generator = Generator(seed: 7)
    let cluster = (0..<800).map { k -> SIMD2<Double> in
        let along = Double(k % 400) / 400
        return k < 400 ? SIMD2(10 + 4.2 * along, 3 + .random(in: -0.03...0.03, using: &generator))
            : SIMD2(10 + .random(in: -0.03...0.03, using: &generator), 3 + 1.8 * along)
    }
    Benchmark("L-shape fit 800 points") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(LShapeFitter().fit(cluster)) }
    }
    var cost = Matrix(rows: 200, columns: 200, repeating: 0)
    for k in cost.elements.indices { cost.elements[k] = .random(in: 0..<1, using: &generator) }
    Benchmark("optimal assignment 200x200") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(optimalAssignment(cost: cost)) }
    }
    let xs = (0..<120_000).map { _ in Float.random(in: -40..<40, using: &generator) }
    let ys = (0..<120_000).map { _ in Float.random(in: -40..<40, using: &generator) }
    let zs = (0..<120_000).map { _ in Float.random(in: -2..<2, using: &generator) }
    let cuboids = peerCuboids(60, seed: 8).map { box -> Box3D in
        var moved = box
        moved.x -= 20
        moved.y -= 20
        return moved
    }
    Benchmark("points in 60 cuboids, 120k points") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(PointsInCuboids(x: xs, y: ys, z: zs, cuboids: cuboids)) }
    }
}

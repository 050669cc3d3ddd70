import ArgumentParser
import Cuboid
import Dispatch
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Cuboid's kernels in-process (release builds only give meaningful figures).",
        subcommands: [DecodeFiles.self, IoUBench.self, InterpolationBench.self, SynthBench.self, PrelabelBench.self, QABench.self])
}

/// Seconds per call for each of `repeats` runs after one warm-up call; calls faster than 0.2 s are
/// looped inside a run and divided, the method of the peer scripts in ../shared/peers.
func timeRuns(repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    var start = now()
    try body()
    let first = now() - start
    let inner = first >= 0.2 ? 1 : max(1, Int(0.2 / max(first, 1e-9)))
    var runs: [Double] = []
    for _ in 0..<repeats {
        start = now()
        for _ in 0..<inner { try body() }
        runs.append((now() - start) / Double(inner))
    }
    return runs
}

extension Bench {
    struct DecodeFiles: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode",
            abstract: "Time decoding point cloud and image files: from the file (warm page cache) and from bytes in memory.",
            discussion: "Prints one line per file: median seconds of --repeat runs, items per second and MB/s.")

        @Argument(help: "Point cloud or image files.")
        var paths: [String]

        @Option(name: .customLong("repeat"), help: "Timed runs per file (median reported).")
        var repeats: Int = 5

        @Flag(help: "One JSON object per file.")
        var json = false


        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        }

        func run() throws {
            for path in paths {
                let input = try InputFile.read(path, pointCloudFormat: nil)
                let bytes = input.bytes
                let isImage = if case .image = input { true } else { false }
                var items = 0
                let fileRuns: [Double]
                let memoryRuns: [Double]
                let format: String
                if isImage {
                    let image = try ImageCodec.decode(bytes)
                    items = image.pixelCount
                    format = try ImageCodec.header(bytes).format.rawValue
                    fileRuns = try timeRuns(repeats: repeats) { _ = try ImageCodec.read(path) }
                    memoryRuns = try timeRuns(repeats: repeats) { _ = try ImageCodec.decode(bytes) }
                } else {
                    let decoded = try PointCloudCodec.decode(bytes, path: path)
                    items = decoded.cloud.count
                    format = decoded.format.rawValue
                    fileRuns = try timeRuns(repeats: repeats) { _ = try PointCloudCodec.read(path) }
                    memoryRuns = try timeRuns(repeats: repeats) { _ = try PointCloudCodec.decode(bytes, format: decoded.format) }
                }
                let file = median(fileRuns), memory = median(memoryRuns)
                let unit = isImage ? "pixels" : "points"
                if json {
                    print(serialize([
                        "kernel": "decode", "path": path, "format": format, "bytes": bytes.count, unit: items,
                        "seconds_file": file, "seconds_memory": memory,
                        "mb_per_second_file": Double(bytes.count) / file / 1e6,
                    ]))
                } else {
                    let rate = String(format: "file %.4g ms (%.1f MB/s), memory %.4g ms", file * 1e3, Double(bytes.count) / file / 1e6, memory * 1e3)
                    print("\(path) \(format): \(items) \(unit), \(rate)")
                }
            }
        }
    }
}

extension Bench {
    struct IoUBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "iou",
            abstract: "Time the in-process pairwise IoU kernel over the boxes of two CSV tables.",
            discussion: """
                Loads both tables, then times only pairwiseIoU (median of --repeat runs after a warm-up; \
                runs under 0.2 s are looped, as the peer scripts do) and prints pairs per second.
                """)

        @OptionGroup var tables: BoxTableArguments

        @OptionGroup var timing: KernelTimingArguments

        func run() throws {
            let tables = try self.tables.load()
            let threads = timing.threads
            let seconds = median(timeRuns(repeats: timing.repeats) { _ = tables.pairwise(threads: threads) })
            let n = tables.a.count, m = tables.b.count
            let kind = self.tables.kind.rawValue
            timing.report(kernel: "iou_\(kind)", sizes: [("n", n), ("m", m)], seconds: seconds,
                          items: Double(n * m), unit: "pairs",
                          text: "iou \(kind) \(n)x\(m)")
        }
    }

    struct InterpolationBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "interp",
            abstract: "Time keyframe interpolation of cuboid tracks (the peers' case: 1000 tracks x 100 frames).",
            discussion: """
                Tracks are seeded like ../shared/peers/bench_interp.py: keyframes at frames 0 and the \
                last plus 0-18 random interior ones; position with a random velocity plus noise, yaw \
                with noise that wraps around +-pi often. Prints output cuboids per second.
                """)

        @Option(help: "Number of tracks.")
        var tracks: Int = 1000

        @Option(help: "Frames per track.")
        var frames: Int = 100

        @Option(help: "Curve of the kernel: linear or cubic-hermite.")
        var curve: TrackCurve = .linear

        @Option(help: "Time the whole label-set interpolation with this method instead of the kernel: keyframes as labelled objects in the sensor frames of a turning ego, mapped to the world, filled, mapped back, with flags.")
        var method: InterpolationMethod?

        @OptionGroup var timing: KernelTimingArguments

        func validate() throws {
            guard tracks >= 1, frames >= 2 else { throw ValidationError("--tracks must be at least 1, --frames at least 2") }
        }

        func run() throws {
            let keyframes = makeBenchmarkTracks(tracks: tracks, frames: frames, seed: 6)
            let times = (0..<frames).map(Double.init)
            let threads = timing.threads
            if let method {
                let labels = benchmarkKeyframeLabels(keyframes, frames: frames)
                var options = InterpolationOptions(method: method)
                options.threads = threads
                var boxes = 0
                let seconds = median(timeRuns(repeats: timing.repeats) {
                    boxes = (try? KeyframeInterpolator.interpolate(labels, options: options))?.labels.objectCount ?? 0
                })
                guard boxes == tracks * frames else { throw ValidationError("expected \(tracks * frames) boxes, got \(boxes)") }
                timing.report(kernel: "interpolate_labels_\(method.rawValue)", sizes: [("tracks", tracks), ("frames", frames)], seconds: seconds,
                              items: Double(tracks * frames), unit: "cuboids", text: "interpolate labels \(method.rawValue) \(tracks)x\(frames)")
                return
            }
            let curve = self.curve
            let seconds = median(timeRuns(repeats: timing.repeats) { _ = interpolateTracks(keyframes, at: times, curve: curve, threads: threads) })
            timing.report(kernel: "interpolate_tracks_\(curve.rawValue)", sizes: [("tracks", tracks), ("frames", frames)], seconds: seconds,
                          items: Double(tracks * frames), unit: "cuboids", text: "interpolate \(curve.rawValue) \(tracks)x\(frames)")
        }
    }
}

/// `--threads`, `--repeat` and `--json` of the kernel benchmarks, and how they print a result.
struct KernelTimingArguments: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Threads for the kernel (default: all cores).")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    @Option(name: .customLong("repeat"), help: "Timed runs (median reported).")
    var repeats: Int = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// Prints one result: `{"kernel":...,<sizes>,"threads":T,"seconds":S,"<unit>_per_second":P}` with
    /// `--json`, otherwise one line of text.
    func report(kernel: String, sizes: [(String, Int)], seconds: Double, items: Double, unit: String, text: String) {
        let rate = items / seconds
        if json {
            let sizeFields = sizes.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
            print("{\"kernel\":\"\(kernel)\",\(sizeFields),\"threads\":\(threads),\"seconds\":\(seconds),\"\(unit)_per_second\":\(rate)}")
        } else {
            print(String(format: "%@ threads=%d: %.4g ms, %.4g %@/s", text, threads, seconds * 1e3, rate, unit))
        }
    }
}

/// Seeded benchmark tracks with the distribution of the peers' interpolation script.
func makeBenchmarkTracks(tracks: Int, frames: Int, seed: UInt64) -> [[Keyframe]] {
    var generator = SplitMix64(seed: seed)
    func next() -> Double { generator.unit() }
    func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * next() }
    func normal(_ sigma: Double) -> Double { sigma * generator.normal() }
    return (0..<tracks).map { _ in
        var interior = Set<Int>()
        let wanted = min(Int(uniform(0, 19)), frames - 2)
        while interior.count < wanted { interior.insert(1 + Int(uniform(0, Double(frames - 2)))) }
        let keyFrames = [0] + interior.sorted() + [frames - 1]
        let start = SIMD3(uniform(-50, 50), uniform(-50, 50), uniform(-50, 50))
        let velocity = SIMD3(uniform(-1, 1), uniform(-1, 1), uniform(-1, 1))
        let size = SIMD3(uniform(3.5, 5.0), uniform(1.5, 2.2), uniform(1.4, 2.0))
        let yaw = uniform(-.pi, .pi)
        return keyFrames.map { frame in
            let noise = SIMD3(normal(0.2), normal(0.2), normal(0.2))
            let center = start + velocity * Double(frame) + noise
            return Keyframe(time: Double(frame), box: Box3D(center: center, size: size, yaw: normalizedYaw(yaw + normal(0.8))))
        }
    }
}

extension Bench {
    struct PrelabelBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prelabel",
            abstract: "Time the lidar detector end to end on sweeps, stage by stage.",
            discussion: """
                Without files, times frame 0 of the built-in synthetic scene (64 beams, about 124,000 returns). \
                Prints the median over --repeat runs of each stage (ground, clustering, fitting) and of the total.
                """)

        @Argument(help: "Point cloud files (KITTI .bin, PCD, PLY); default: a synthetic 64-beam sweep.")
        var files: [String] = []

        @Option(help: "Configuration JSON.")
        var config: String?

        @OptionGroup var timing: KernelTimingArguments

        func run() throws {
            let configuration = try config.map { try PrelabelConfiguration.read($0) } ?? PrelabelConfiguration()
            let detector = LidarDetector(configuration: configuration)
            let clouds: [(String, PointCloud)] = try files.isEmpty
                ? [("synthetic 64-beam sweep", SyntheticWorld(scene: SceneDescription(), frameCount: 1).renderSweep(frame: 0, threads: timing.threads).cloud)]
                : files.map { ($0, try PointCloudCodec.read($0).cloud) }
            let threads = timing.threads
            for (name, cloud) in clouds {
                var stages: [DetectionTimings] = []
                var count = 0
                _ = detector.detect(cloud, threads: threads)
                for _ in 0..<timing.repeats {
                    let (detections, timings) = detector.detect(cloud, threads: threads)
                    stages.append(timings)
                    count = detections.count
                }
                let total = median(stages.map(\.total))
                timing.report(kernel: "prelabel_detect", sizes: [("points", cloud.count), ("detections", count)], seconds: total,
                              items: Double(cloud.count), unit: "points",
                              text: String(format: "%@: %d points, %d detections; ground %.1f ms, clustering %.1f ms, fitting %.1f ms; total",
                                           name, cloud.count, count, median(stages.map(\.ground)) * 1e3,
                                           median(stages.map(\.clustering)) * 1e3, median(stages.map(\.fitting)) * 1e3))
            }
        }
    }
}

/// The benchmark tracks as keyframe labels: frame `f` at 0.1 f seconds, seen from an ego that drives
/// a curve (10 m/s, turning 0.05 rad/s), each keyframe box mapped into its frame's sensor frame.
func benchmarkKeyframeLabels(_ tracks: [[Keyframe]], frames: Int) -> LabelSet {
    let poses = (0..<frames).map { f -> RigidPose in
        let t = 0.1 * Double(f), heading = 0.05 * t
        return RigidPose(yaw: heading, translation: SIMD3(10 * t * cos(heading / 2), 10 * t * sin(heading / 2), 0))
    }
    var set = LabelSet(frames: (0..<frames).map { LabeledFrame(name: String(format: "%06d", $0), timestamp: 0.1 * Double($0), egoPose: poses[$0]) })
    for (id, keyframes) in tracks.enumerated() {
        for key in keyframes {
            let f = Int(key.time)
            set.frames[f].objects.append(LabeledObject(trackID: String(id), category: "Car", cuboid: key.box.transformed(by: poses[f].inverse)))
        }
    }
    return set
}
extension TrackCurve: ExpressibleByArgument {}

/// `cuboid bench qa`: a QA batch scored in memory (matching, metrics, AP, tracking, feedback), no files.
struct QABench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Time QA scoring of a synthetic batch (default 1,000 frames x 50 boxes x 5 taskers).",
        discussion: """
            The batch is SyntheticQABatch (seeded): gold tracks and taskers with noise, misses, extras, flips, class \
            confusions, scores and track ids. Times QualityReview.evaluate (every figure, AP, tracking and every \
            finding's text), not reading files or drawing pictures. Prints the median of --repeat runs after a warm-up.
            """)

    @Option(help: "Frames.")
    var frames = 1000

    @Option(help: "Gold boxes per frame.")
    var boxes = 50

    @Option(help: "Taskers.")
    var taskers = 5

    @Option(help: "Match criterion.")
    var match: MatchCriterion = .bevIoU

    @OptionGroup var timing: KernelTimingArguments

    func run() throws {
        let batch = SyntheticQABatch.make(frames: frames, boxesPerFrame: boxes, taskers: taskers)
        var configuration = QAConfiguration()
        configuration.match = match
        let threads = timing.threads
        var findings = 0
        var failure: (any Error)?
        let seconds = median(timeRuns(repeats: timing.repeats) {
            do {
                findings = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: configuration, threads: threads)
                    .taskers.reduce(0) { $0 + $1.findings.count }
            } catch { failure = error }
        })
        if let failure { throw failure }
        let labelled = batch.taskers.reduce(0) { $0 + $1.labels.objectCount }
        timing.report(kernel: "qa_\(match.rawValue)", sizes: [("frames", frames), ("boxes", boxes), ("taskers", taskers)], seconds: seconds,
                      items: Double(frames * taskers), unit: "tasker-frames",
                      text: "qa \(match.rawValue) \(frames) frames x \(boxes) boxes x \(taskers) taskers (\(labelled) labelled boxes, \(findings) findings)")
    }
}

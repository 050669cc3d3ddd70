import ArgumentParser
import Cuboid
import Foundation

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a drive: lidar sweeps, camera images, poses and exact gold labels, as a KITTI raw recording.",
        discussion: """
            Writes OUT/velodyne_points, OUT/image_02, OUT/oxts, the three KITTI calibration files, \
            gold labels as OUT/label_02/0000.txt (KITTI tracking) and OUT/gold.openlabel.json, and \
            OUT/scene.json (the scene as run). The same scene, seed and frame count give the same \
            bytes on any machine thread count. Scenes are JSON files (see SampleData/scenes and the \
            README); without --scene the built-in default scene runs.
            """)

    @Argument(help: "Output folder (created if needed).")
    var output: String

    @Option(help: "Number of frames.")
    var frames: Int = 10

    @Option(help: "Random seed (default: the scene's).")
    var seed: UInt64?

    @Option(help: "Scene JSON file.")
    var scene: String?

    @Option(name: .customLong("threads"), help: "Threads per frame (default: all cores).")
    var threadsOption: Int?
    var threads: Int { threadsOption ?? Parallelism.availableCores }

    func validate() throws {
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try refuseOverwriting(inputs: [scene], outputFolders: [output])
        var description = SceneDescription()
        if let scene {
            do { description = try SceneDescription.read(scene) } catch {
                reportError(error, path: scene)
                throw ExitCode(1)
            }
        }
        let lock = try holdOutputFolder(output)
        defer { withExtendedLifetime(lock) {} }
        if let seed { description.seed = seed }
        let world = SyntheticWorld(scene: description, frameCount: frames)
        let progress = ProgressLine("synth", total: frames)
        let summary: SyntheticSequenceSummary
        do {
            summary = try SyntheticSequenceWriter.write(world, to: output, threads: threads) { progress.update($0) }
        } catch {
            reportError(error, path: output)
            throw ExitCode(1)
        }
        print("wrote \(summary.frames) frames to \(output): \(summary.points) lidar returns (\(summary.points / summary.frames) per sweep), "
            + "\(summary.actors) actors, \(summary.labelledObjects) gold cuboids, \(summary.objectsInImage) in image_02")
    }
}

extension Bench {
    struct SynthBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "synth",
            abstract: "Time the simulator: one lidar sweep (and one camera image) of a scene's frame.",
            discussion: "Prints the median time per sweep, the returns per sweep and, with --image, per camera frame.")

        @Option(help: "Scene JSON file (default: the built-in scene, a 64-beam sensor).")
        var scene: String?

        @Option(help: "Frame to render.")
        var frame: Int = 0

        @Flag(help: "Also time the camera image.")
        var image = false

        @OptionGroup var timing: KernelTimingArguments

        func run() throws {
            let description = try scene.map { try SceneDescription.read($0) } ?? SceneDescription()
            let world = SyntheticWorld(scene: description, frameCount: frame + 1)
            var returns = 0
            let threads = timing.threads
            let seconds = median(timeRuns(repeats: timing.repeats) { returns = world.renderSweep(frame: frame, threads: threads).cloud.count })
            timing.report(kernel: "synth_sweep", sizes: [("returns", returns)], seconds: seconds, items: Double(returns), unit: "returns",
                          text: "lidar sweep, \(returns) returns")
            if image {
                let pixels = description.camera.width * description.camera.height
                let imageSeconds = median(timeRuns(repeats: timing.repeats) { _ = world.renderImage(frame: frame, threads: threads) })
                timing.report(kernel: "synth_image", sizes: [("pixels", pixels)], seconds: imageSeconds, items: Double(pixels), unit: "pixels",
                              text: "camera image \(description.camera.width)x\(description.camera.height)")
            }
        }
    }
}

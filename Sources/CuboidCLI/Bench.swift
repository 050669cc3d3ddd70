import ArgumentParser
import Cuboid
import Dispatch
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Cuboid's kernels in-process (release builds only give meaningful figures).",
        subcommands: [DecodeFiles.self])
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

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
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
                let bytes = try FileBytes.read(path)
                let isImage = ImageFormat.detect(bytes) != nil
                var items = 0
                let fileRuns: [Double]
                let memoryRuns: [Double]
                let format: String
                if isImage {
                    let image = try ImageCodec.decode(bytes)
                    items = image.pixelCount
                    format = ImageFormat.detect(bytes)!.rawValue
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

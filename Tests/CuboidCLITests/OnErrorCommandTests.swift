import CuboidTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One way a sweep file can be unreadable.
struct SweepBreakage: CustomTestStringConvertible, Sendable {
    var name: String
    /// Breaks the sweep at the path (in a temporary copy).
    var apply: @Sendable (String) throws -> Void
    var testDescription: String { name }

    /// A `.bin` cut to 1001 bytes: not a whole number of 16-byte returns.
    static let truncated = SweepBreakage(name: "truncated .bin") { path in
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(1001).write(to: URL(fileURLWithPath: path))
    }
    /// The sweep replaced by 37 bytes of text.
    static let garbage = SweepBreakage(name: "garbage in place of the sweep") { path in
        try Data("this is not a point cloud, at all!!!\n".utf8).write(to: URL(fileURLWithPath: path))
    }
    /// The sweep's name is a symbolic link to nothing: listed, but it cannot be opened.
    static let missing = SweepBreakage(name: "missing file (dangling link)") { path in
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path + ".gone")
    }
    /// A PCD whose header names no DATA line.
    static let badPCDHeader = SweepBreakage(name: "bad PCD header") { path in
        try Data("# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 3\n".utf8).write(to: URL(fileURLWithPath: path))
    }
}

/// A small sequence copied to a temporary folder, with some sweeps broken.
struct BrokenSequence {
    var root: String
    /// The sequence folder.
    var path: String
    /// The sweep files in frame order.
    var sweeps: [String]

    /// A synthetic KITTI raw drive of 7 frames (given poses, camera 2, parked and moving cars; 32
    /// beams and a 160 x 64 camera), made once for the suite (12 s in a debug build) and removed
    /// when the test process exits.
    private static let drive: Result<String, any Error> = Result {
        let root = driveRoot
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: BrokenSequence.driveRoot) }
        try Data("""
            {"name": "small", "seed": 11, "lidar": {"beams": 32, "azimuth_step": 0.4},
             "camera": {"width": 160, "height": 64, "focal_length": 90, "principal_point": [80, 30]}}
            """.utf8).write(to: URL(fileURLWithPath: root + "/scene.json"))
        let made = try runCuboid(["synth", root + "/drive", "--scene", root + "/scene.json", "--frames", "7", "--threads", "1"])
        guard made.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: made.stderr]) }
        return root + "/drive"
    }

    private static let driveRoot = FileManager.default.temporaryDirectory.path + "/cuboid-onerror-drive-\(getpid())"

    /// A copy of the suite's synthetic drive.
    static func synthetic() throws -> BrokenSequence {
        let root = try scratchFolder("onerror")
        try FileManager.default.copyItem(atPath: try drive.get(), toPath: root + "/drive")
        return try listed(root: root, path: root + "/drive", sweeps: "velodyne_points/data")
    }

    /// A copy of SampleData/sequence (3 frames, KITTI raw).
    static func sample() throws -> BrokenSequence {
        let root = try scratchFolder("onerror-sample")
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: root + "/sequence")
        return try listed(root: root, path: root + "/sequence", sweeps: "velodyne_points/data")
    }

    private static func listed(root: String, path: String, sweeps folder: String) throws -> BrokenSequence {
        let data = path + "/" + folder
        return BrokenSequence(root: root, path: path, sweeps: try FileManager.default.contentsOfDirectory(atPath: data).sorted().map { data + "/" + $0 })
    }

    /// Four copies of SampleData/sweep.pcd as a folder of PCD files (no poses).
    static func pcdFolder() throws -> BrokenSequence {
        let root = try scratchFolder("onerror-pcd")
        let folder = root + "/pcd"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let sweeps = (0..<4).map { folder + String(format: "/%06d.pcd", $0) }
        for sweep in sweeps { try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sweep.pcd", toPath: sweep) }
        return BrokenSequence(root: root, path: folder, sweeps: sweeps)
    }

    /// A copy of this sequence at `name` whose sweeps at `frames` are empty files: sweeps with no
    /// returns, which give no detections and no registration, as a skipped sweep does.
    func withEmptySweeps(_ frames: [Int], name: String) throws -> BrokenSequence {
        let copy = root + "/" + name
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let sweeps = self.sweeps.map { copy + $0.dropFirst(path.count) }
        for frame in frames {
            try? FileManager.default.removeItem(atPath: sweeps[frame])
            try Data().write(to: URL(fileURLWithPath: sweeps[frame]))
        }
        return BrokenSequence(root: root, path: copy, sweeps: sweeps)
    }
}

/// The rows of a CSV file without its header.
private func csvRows(_ path: String) throws -> [String] {
    Array(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init))
}

@Suite("--on-error stop|skip", .serialized)
struct OnErrorCommandTests {
    static let stopCases: [(SweepBreakage, String)] = [
        (.truncated, "prelabel"), (.garbage, "prelabel"), (.missing, "prelabel"), (.badPCDHeader, "prelabel"),
        (.truncated, "odometry"), (.garbage, "odometry"), (.missing, "odometry"), (.badPCDHeader, "odometry"),
    ]

    @Test("by default (stop) an unreadable sweep stops prelabel and odometry with exit 1 naming the file", arguments: stopCases)
    func stopNamesTheFile(_ breakage: SweepBreakage, command: String) throws {
        let sequence = breakage.name == SweepBreakage.badPCDHeader.name ? try BrokenSequence.pcdFolder() : try BrokenSequence.sample()
        defer { try? FileManager.default.removeItem(atPath: sequence.root) }
        try breakage.apply(sequence.sweeps[1])
        let out = sequence.root + "/out" + (command == "odometry" ? ".txt" : "")
        let result = try runCuboid([command, sequence.path, "--out", out, "--threads", "1"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(sequence.sweeps[1]), "\(result.stderr)")
        #expect(!result.stderr.contains("skipped"))
        // Nothing claims to have been skipped, and the explicit spelling does the same.
        #expect(!FileManager.default.fileExists(atPath: out + "/skipped_sweeps.csv"))
        let explicit = try runCuboid([command, sequence.path, "--out", out, "--threads", "1", "--on-error", "stop"])
        #expect(explicit.status == 1 && explicit.stderr.contains(sequence.sweeps[1]), "\(explicit.stderr)")
    }

    static let skipCases: [(String, [(frame: Int, SweepBreakage)])] = [
        ("frame 2 truncated, frame 4 garbage", [(2, .truncated), (4, .garbage)]),
        ("frame 0 missing, frame 5 truncated", [(0, .missing), (5, .truncated)]),
    ]

    @Test("prelabel --on-error skip exits 4, lists the skipped sweeps on stderr and in skipped_sweeps.csv, and labels the other frames as with empty sweeps there",
          arguments: skipCases)
    func prelabelSkips(_ name: String, broken: [(frame: Int, SweepBreakage)]) throws {
        let drive = try BrokenSequence.synthetic()
        defer { try? FileManager.default.removeItem(atPath: drive.root) }
        let skippedFrames = broken.map(\.frame)
        let emptied = try drive.withEmptySweeps(skippedFrames, name: "emptied")
        for (frame, breakage) in broken { try breakage.apply(drive.sweeps[frame]) }
        let out = drive.root + "/skip", reference = drive.root + "/reference"
        let result = try runCuboid(["prelabel", drive.path, "--out", out, "--to", "openlabel,kitti", "--on-error", "skip", "--threads", "1"])
        #expect(result.status == 4, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("2 sweeps skipped"), "\(result.stderr)")
        for frame in skippedFrames { #expect(result.stderr.contains(drive.sweeps[frame]), "\(result.stderr)") }
        #expect(result.stderr.contains(out + "/skipped_sweeps.csv"))
        let rows = try csvRows(out + "/skipped_sweeps.csv")
        #expect(rows.count == 2)
        for (row, frame) in zip(rows, skippedFrames.sorted()) {
            #expect(row.hasPrefix("\(frame),\(fileStem(drive.sweeps[frame])),\(drive.sweeps[frame]),"), "\(row)")
        }

        let plain = try runCuboid(["prelabel", emptied.path, "--out", reference, "--to", "openlabel,kitti", "--threads", "1"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!FileManager.default.fileExists(atPath: reference + "/skipped_sweeps.csv"))
        // Every other frame's labels are byte for byte those of the run where the broken sweeps are
        // empty (no detections there either); the skipped frames have none (the reference has the
        // tracks' smoothed boxes through them).
        var compared = 0
        for (frame, sweep) in drive.sweeps.enumerated() {
            let file = "/kitti/" + fileStem(sweep) + ".txt"
            let skipped = try String(contentsOfFile: out + file, encoding: .utf8)
            if skippedFrames.contains(frame) {
                #expect(skipped.isEmpty, "frame \(frame): \(skipped)")
                #expect(!FileManager.default.fileExists(atPath: out + "/preview/" + fileStem(sweep) + "-bev.png"))
            } else {
                #expect(skipped == (try String(contentsOfFile: reference + file, encoding: .utf8)), "frame \(frame)")
                compared += skipped.isEmpty ? 0 : 1
            }
        }
        #expect(compared >= 3, "too few frames with labels to compare")
        // The review queue: the reference's rows less those of the skipped frames, in the same order
        // (ranked 1... again: the rank is the first column).
        let frameColumn = try #require(try String(contentsOfFile: out + "/review_queue.csv", encoding: .utf8).split(separator: "\n").first?
            .split(separator: ",").firstIndex(of: "frame"))
        let names = Set(skippedFrames.map { fileStem(drive.sweeps[$0]) })
        func unranked(_ rows: [String]) -> [String] { rows.map { String($0.drop { $0 != "," }) } }
        let kept = try csvRows(reference + "/review_queue.csv").filter { !names.contains(String($0.split(separator: ",")[frameColumn])) }
        let queue = try csvRows(out + "/review_queue.csv")
        #expect(!kept.isEmpty && unranked(queue) == unranked(kept))
        #expect(queue.map { $0.prefix { $0 != "," } } == (1...queue.count).map { Substring("\($0)") })

        // A run in the same folder with stop and readable sweeps removes the stale list.
        let again = try runCuboid(["prelabel", emptied.path, "--out", out, "--to", "openlabel,kitti", "--threads", "1"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/skipped_sweeps.csv"))
    }

    @Test("odometry --on-error skip keeps one pose a frame, predicting through the gap: the poses of the run with empty sweeps there",
          arguments: skipCases)
    func odometrySkips(_ name: String, broken: [(frame: Int, SweepBreakage)]) throws {
        let drive = try BrokenSequence.synthetic()
        defer { try? FileManager.default.removeItem(atPath: drive.root) }
        let skippedFrames = broken.map(\.frame)
        let emptied = try drive.withEmptySweeps(skippedFrames, name: "emptied")
        for (frame, breakage) in broken { try breakage.apply(drive.sweeps[frame]) }
        let result = try runCuboid(["odometry", drive.path, "--out", drive.root + "/poses.txt", "--on-error", "skip", "--skipped", drive.root + "/skipped.csv",
                                    "--threads", "1"])
        #expect(result.status == 4, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("2 sweeps skipped"), "\(result.stderr)")
        for frame in skippedFrames { #expect(result.stderr.contains(drive.sweeps[frame])) }
        #expect(try csvRows(drive.root + "/skipped.csv").map { $0.split(separator: ",")[0] } == skippedFrames.sorted().map { Substring("\($0)") })
        let plain = try runCuboid(["odometry", emptied.path, "--out", drive.root + "/reference.txt", "--threads", "1"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let poses = try String(contentsOfFile: drive.root + "/poses.txt", encoding: .utf8)
        #expect(poses.split(separator: "\n").count == drive.sweeps.count)
        #expect(poses == (try String(contentsOfFile: drive.root + "/reference.txt", encoding: .utf8)))
        // --skipped belongs with skip.
        let refused = try runCuboid(["odometry", drive.path, "--skipped", drive.root + "/x.csv"])
        #expect(refused.status == 64 && refused.stderr.contains("--on-error skip"), "\(refused.stderr)")
    }

    @Test("a skip run killed with SIGKILL and restarted writes the same bytes and the same skipped list as an uninterrupted one")
    func killedSkipRunResumes() throws {
        let drive = try BrokenSequence.synthetic()
        defer { try? FileManager.default.removeItem(atPath: drive.root) }
        try SweepBreakage.truncated.apply(drive.sweeps[2])
        try SweepBreakage.garbage.apply(drive.sweeps[4])
        let clean = drive.root + "/clean", killed = drive.root + "/killed"
        let arguments = ["--to", "openlabel,kitti", "--on-error", "skip", "--threads", "1"]
        let reference = try runCuboid(["prelabel", drive.path, "--out", clean] + arguments)
        #expect(reference.status == 4, "\(reference.stderr)")

        let process = Process()
        process.executableURL = BuiltProducts.cuboid
        process.arguments = ["prelabel", drive.path, "--out", killed] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Killed once frame 3's detections are cached: past the first skipped sweep, before the second.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: killed + "/cache/" + fileStem(drive.sweeps[3]) + ".detections.json") { break }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: killed + "/skipped_sweeps.csv"), "the killed run got to its end")
        let resumed = try runCuboid(["prelabel", drive.path, "--out", killed] + arguments)
        #expect(resumed.status == 4, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("from the cache") && !resumed.stdout.contains("(0 from the cache)"), "\(resumed.stdout)")
        #expect(resumed.stderr.replacingOccurrences(of: killed, with: clean) == reference.stderr)
        let a = try filesBelow(clean), b = try filesBelow(killed)
        #expect(a.keys.sorted() == b.keys.sorted())
        for name in a.keys.sorted() where a[name] != b[name] { Issue.record("\(name) differs after the restart") }
    }

    @Test("--help shows --on-error with its default on prelabel and odometry, and the top level lists exit code 4")
    func helpShowsTheOption() throws {
        for command in ["prelabel", "odometry"] {
            let help = try runCuboid([command, "--help"])
            #expect(help.status == 0)
            let text = help.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            #expect(text.contains("--on-error <stop|skip>") && text.contains("default: stop)"), "\(help.stdout)")
        }
        let top = try runCuboid(["--help"])
        let topText = top.stdout.split(separator: "\n").joined(separator: " ")
        #expect(topText.contains("4 a run with `--on-error skip` finished"), "\(top.stdout)")
        let wrong = try runCuboid(["prelabel", SharedData.sampleData + "/sequence", "--out", "/tmp/x", "--on-error", "ignore"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--on-error"), "\(wrong.stderr)")
    }
}


/// A file's name without its folder and extension.
private func fileStem(_ path: String) -> String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

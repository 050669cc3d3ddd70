import CuboidTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("cuboid prelabel", .serialized)
struct PrelabelCommandTests {
    let sequence = SharedData.sampleData + "/sequence"

    @Test("a run killed with SIGKILL and restarted writes the same bytes as an uninterrupted run")
    func killedRunResumes() throws {
        let root = try scratchFolder("prelabel")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clean = root + "/clean", killed = root + "/killed"
        let reference = try runCuboid(["prelabel", sequence, "--out", clean, "--to", "openlabel,kitti"])
        #expect(reference.status == 0, "\(reference.stderr)")

        let process = Process()
        process.executableURL = BuiltProducts.cuboid
        process.arguments = ["prelabel", sequence, "--out", killed, "--to", "openlabel,kitti"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Kill as soon as the first frame's detections are cached (mid-run: previews are still to come).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && process.isRunning {
            if let cached = try? FileManager.default.contentsOfDirectory(atPath: killed + "/cache"), !cached.isEmpty { break }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try runCuboid(["prelabel", sequence, "--out", killed, "--to", "openlabel,kitti"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("from the cache"))
        let a = try filesBelow(clean), b = try filesBelow(killed)
        #expect(a.keys.sorted() == b.keys.sorted())
        for name in a.keys.sorted() where a[name] != b[name] { Issue.record("\(name) differs after the restart") }
    }

    @Test("an output folder reused with another configuration or a changed sweep says so and writes what a fresh run writes")
    func reusedOutputFolder() throws {
        let root = try scratchFolder("prelabel-reuse")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let copy = root + "/sequence", reused = root + "/reused"
        try FileManager.default.copyItem(atPath: sequence, toPath: copy)
        #expect(try runCuboid(["prelabel", "--write-config", root + "/defaults.json"]).status == 0)
        var settings = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/defaults.json"))) as? [String: Any])
        var clustering = try #require(settings["clustering"] as? [String: Any])
        clustering["minimumPoints"] = 40
        settings["clustering"] = clustering
        try JSONSerialization.data(withJSONObject: settings).write(to: URL(fileURLWithPath: root + "/forty.json"))

        /// Outputs of a run in `folder`, the cache aside.
        func outputs(_ folder: String) throws -> [String: [UInt8]] { try filesBelow(folder).filter { !$0.key.hasPrefix("cache/") } }
        let first = try runCuboid(["prelabel", copy, "--out", reused])
        #expect(first.status == 0 && !first.stdout.contains("re-detected"), "\(first.stdout)\(first.stderr)")
        let again = try runCuboid(["prelabel", copy, "--out", reused, "--config", root + "/forty.json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(0 from the cache)") && again.stdout.contains("3 frames re-detected: cache made by another configuration (3)"), "\(again.stdout)")
        let fresh = try runCuboid(["prelabel", copy, "--out", root + "/fresh", "--config", root + "/forty.json"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try outputs(reused) == outputs(root + "/fresh"))

        // Frame 1's sweep emptied: only that frame is detected again, as a fresh run detects it.
        try Data().write(to: URL(fileURLWithPath: copy + "/velodyne_points/data/0000000001.bin"))
        let changed = try runCuboid(["prelabel", copy, "--out", reused, "--config", root + "/forty.json"])
        let freshChanged = try runCuboid(["prelabel", copy, "--out", root + "/fresh2", "--config", root + "/forty.json"])
        #expect(changed.status == freshChanged.status, "\(changed.stderr)\(freshChanged.stderr)")
        #expect(changed.stdout.contains("(2 from the cache)") && changed.stdout.contains("1 frame re-detected: cache made by another sweep (1)"), "\(changed.stdout)")
        #expect(try outputs(reused) == outputs(root + "/fresh2"))
    }

    @Test("--shard K/N takes every N-th sequence in name order; --score prints detection and tracking figures")
    func shardsSplitSequences() throws {
        let root = try scratchFolder("prelabel")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["a", "b", "c"] { try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: sequence) }
        let result = try runCuboid(["prelabel", root + "/c", root + "/a", root + "/b", "--out", root + "/out", "--shard", "2/2", "--no-previews", "--score"])
        #expect(result.status == 0, "\(result.stderr)")
        let made = try FileManager.default.contentsOfDirectory(atPath: root + "/out").sorted()
        #expect(made == ["b"])
        #expect(result.stdout.contains("Car: ") && result.stdout.contains("MOTA"))
        let bad = try runCuboid(["prelabel", root + "/a", "--out", root + "/x", "--shard", "3/2"])
        #expect(bad.status == 64)
    }

    @Test("a bad configuration file is refused with its line, and --write-config writes one that reads back")
    func configurationFiles() throws {
        let root = try scratchFolder("prelabel")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let written = try runCuboid(["prelabel", "--write-config", root + "/defaults.json"])
        #expect(written.status == 0, "\(written.stderr)")
        try "{\n  \"clustering\": {\"cellsize\": 0.1}\n}".write(toFile: root + "/bad.json", atomically: true, encoding: .utf8)
        let refused = try runCuboid(["prelabel", sequence, "--out", root + "/o", "--config", root + "/bad.json"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bad.json") && refused.stderr.contains("line 2") && refused.stderr.contains("cellsize"))
        #expect(!FileManager.default.fileExists(atPath: root + "/o"))
        let accepted = try runCuboid(["prelabel", sequence, "--out", root + "/o", "--config", root + "/defaults.json", "--no-previews"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("a full disk or a read-only output stops the run with the file and the reason, and leaves earlier outputs whole",
          .enabled(if: SmallFileSystem.canMount))
    func fullOrReadOnlyDisk() throws {
        let root = try scratchFolder("prelabel-disk")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // 480 KiB: room for the labels and the cache (330 KB), not for the previews as well (550 KB
        // in all, whatever order the run's threads write the files in).
        let disk = try SmallFileSystem(at: root + "/disk", kibibytes: 480)
        defer { disk.unmount() }
        let out = root + "/disk/out"
        let first = try runCuboid(["prelabel", sequence, "--out", out, "--no-previews"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try filesBelow(out)

        let full = try runCuboid(["prelabel", sequence, "--out", out, "--to", "openlabel,kitti-tracking"])
        #expect(full.status == 1)
        #expect(full.stderr.contains(out + "/") && full.stderr.contains("No space left on device"), "\(full.stderr)")
        try expectIntact(before, in: out)

        try disk.remount(readOnly: true)
        let readOnly = try runCuboid(["prelabel", sequence, "--out", out, "--to", "openlabel,kitti-tracking"])
        #expect(readOnly.status == 1)
        #expect(readOnly.stderr.contains(out) && readOnly.stderr.contains("Read-only file system"), "\(readOnly.stderr)")
        try expectIntact(before, in: out)
    }

    /// Every file of `before` is still there with the same bytes, and no temporary file is left.
    private func expectIntact(_ before: [String: [UInt8]], in folder: String) throws {
        let after = try filesBelow(folder)
        for (name, bytes) in before where after[name] != bytes { Issue.record("\(name) changed or vanished") }
        let leftovers = after.keys.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}

/// A tmpfs of a given size (needs root and the right to mount, as on the CI machine).
struct SmallFileSystem {
    let path: String

    /// Whether this process may mount a tmpfs.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "cuboid-mount-probe-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil,
              (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])) == 0 else { return false }
        _ = try? run("/bin/umount", [probe])
        return true
    }()

    init(at path: String, kibibytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let status = try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", path])
        guard status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func remount(readOnly: Bool) throws {
        let status = try Self.run("/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", path])
        guard status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func unmount() { _ = try? Self.run("/bin/umount", [path]) }

    private static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

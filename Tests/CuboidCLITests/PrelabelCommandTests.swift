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
        let reference = try runCuboid(["prelabel", sequence, "--out", clean, "--format", "openlabel,kitti"])
        #expect(reference.status == 0, "\(reference.stderr)")

        let process = Process()
        process.executableURL = BuiltProducts.cuboid
        process.arguments = ["prelabel", sequence, "--out", killed, "--format", "openlabel,kitti"]
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
        let resumed = try runCuboid(["prelabel", sequence, "--out", killed, "--format", "openlabel,kitti"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("from the cache"))
        let a = try filesBelow(clean), b = try filesBelow(killed)
        #expect(a.keys.sorted() == b.keys.sorted())
        for name in a.keys.sorted() where a[name] != b[name] { Issue.record("\(name) differs after the restart") }
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
}

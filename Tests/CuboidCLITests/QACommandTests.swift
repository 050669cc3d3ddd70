import CuboidTestSupport
import Foundation
import Testing

/// The sample drive's KITTI tracking labels with frame 1 left out: a tasker (or keyframe file) that
/// labelled every box of frames 0 and 2 and nothing in frame 1.
func writeSampleTracksWithoutFrameOne(to path: String) throws {
    let gold = try String(contentsOfFile: SharedData.sampleData + "/sequence/label_02/0000.txt", encoding: .utf8)
    try (gold.split(separator: "\n").filter { !$0.hasPrefix("1 ") }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("cuboid qa", .serialized)
struct QACommandTests {
    /// Writes gold and a tasker as SUSTechPOINTS folders: three cars, the tasker misses one and shifts one.
    func writeBatch(_ root: String) throws {
        func entry(_ id: Int, _ type: String, _ x: Double, _ y: Double) -> String {
            "{\"obj_id\": \"\(id)\", \"obj_type\": \"\(type)\", \"psr\": {\"position\": {\"x\": \(x), \"y\": \(y), \"z\": 0}, "
                + "\"scale\": {\"x\": 4, \"y\": 2, \"z\": 1.5}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}}"
        }
        for folder in ["gold", "tasker"] { try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true) }
        for frame in 0..<2 {
            let name = String(format: "%06d.json", frame)
            try ("[" + [entry(1, "Car", 10, 0), entry(2, "Car", 20, 5), entry(3, "Car", -15, 3)].joined(separator: ", ") + "]")
                .write(toFile: root + "/gold/" + name, atomically: true, encoding: .utf8)
            try ("[" + [entry(1, "Car", 10, 0), entry(2, "Car", 20.3, 5)].joined(separator: ", ") + "]")
                .write(toFile: root + "/tasker/" + name, atomically: true, encoding: .utf8)
        }
    }

    @Test("scores a tasker, writes the report, stores history, and gates with exit 3 under --fail-under")
    func scoresAndGates() throws {
        let root = try scratchFolder("qa")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let result = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "alice=" + root + "/tasker", "--out", root + "/report",
                                    "--history", root + "/qa.sqlite", "--batch", "week1"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("alice") && $0.contains(" Car ") })
        #expect(row.split(separator: " ").prefix(5).map(String.init) == ["alice", "Car", "4", "0", "2"], "\(row)")
        for name in ["index.html", "tasker-alice.html", "report.json", "metrics.csv", "findings.csv"] {
            #expect(FileManager.default.fileExists(atPath: root + "/report/" + name))
        }
        let findings = try String(contentsOfFile: root + "/report/findings.csv", encoding: .utf8)
        #expect(findings.contains("missed Car at 15.3 m") && findings.contains("centre 0.30 m too far forward"), "\(findings)")
        let gated = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "alice=" + root + "/tasker", "--out", root + "/report2",
                                   "--fail-under", "0.9", "--no-pictures"])
        #expect(gated.status == 3, "\(gated.stdout)\(gated.stderr)")
        #expect(gated.stdout.contains("below threshold: alice f1 0.8000 < 0.9"), "\(gated.stdout)")
        let history = try runCuboid(["qa", "history", "alice", "--history", root + "/qa.sqlite"])
        #expect(history.status == 0 && history.stdout.contains("week1") && history.stdout.contains("0.8000"), "\(history.stdout)")
    }

    @Test("the same batch scored twice keeps one history row per tasker; a history file that is no database is named before any scoring")
    func historyReplacesAndNamesBadFiles() throws {
        let root = try scratchFolder("qa")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let arguments = ["qa", "--gold", root + "/gold", "--labels", "alice=" + root + "/tasker", "--no-pictures", "--history", root + "/qa.sqlite", "--batch", "week1"]
        let first = try runCuboid(arguments + ["--out", root + "/r1"])
        #expect(first.status == 0 && !first.stdout.contains("replacing"), "\(first.stdout)\(first.stderr)")
        let second = try runCuboid(arguments + ["--out", root + "/r2"])
        #expect(second.status == 0 && second.stdout.contains("replacing 1 earlier run(s)"), "\(second.stdout)\(second.stderr)")
        let history = try runCuboid(["qa", "history", "--history", root + "/qa.sqlite", "--json"])
        #expect(history.status == 0 && history.stdout.split(separator: "\n").count == 1, "\(history.stdout)")

        try String(repeating: "not a database\n", count: 100).write(toFile: root + "/notes.sqlite", atomically: true, encoding: .utf8)
        let refused = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "alice=" + root + "/tasker", "--out", root + "/r3",
                                     "--history", root + "/notes.sqlite"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(root + "/notes.sqlite") && refused.stderr.contains("file is not a database"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/r3"))
        let shown = try runCuboid(["qa", "history", "--history", root + "/notes.sqlite"])
        #expect(shown.status == 1 && shown.stderr.contains(root + "/notes.sqlite: cannot open"), "\(shown.stderr)")
    }

    @Test("a full disk or a read-only history stops qa with the database file and SQLite's reason, and keeps its earlier runs",
          .enabled(if: SmallFileSystem.canMount))
    func historyOnFullOrReadOnlyDisk() throws {
        let root = try scratchFolder("qa-disk")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let disk = try SmallFileSystem(at: root + "/disk", kibibytes: 200)
        defer { disk.unmount() }
        let database = root + "/disk/qa.sqlite"
        let arguments = ["qa", "--gold", root + "/gold", "--labels", "alice=" + root + "/tasker", "--no-pictures", "--history", database]
        #expect(try runCuboid(arguments + ["--out", root + "/r1", "--batch", "week1"]).status == 0)
        // Fill what is left of the file system.
        #expect(FileManager.default.createFile(atPath: root + "/disk/filler", contents: nil))
        let filler = try #require(FileHandle(forWritingAtPath: root + "/disk/filler"))
        while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
        try? filler.close()
        let full = try runCuboid(arguments + ["--out", root + "/r2", "--batch", "week2"])
        #expect(full.status == 1)
        #expect(full.stderr.contains(database + ": cannot record a run in") && full.stderr.contains("database or disk is full"), "\(full.stderr)")
        try FileManager.default.removeItem(atPath: root + "/disk/filler")
        try disk.remount(readOnly: true)
        let readOnly = try runCuboid(arguments + ["--out", root + "/r3", "--batch", "week3"])
        #expect(readOnly.status == 1)
        #expect(readOnly.stderr.contains(database) && readOnly.stderr.contains("readonly database"), "\(readOnly.stderr)")
        let history = try runCuboid(["qa", "history", "--history", database, "--json"])
        #expect(history.status == 0 && history.stdout.split(separator: "\n").count == 1 && history.stdout.contains("week1"), "\(history.stdout)")
    }

    @Test("qa --shard K/N on three machines, then qa merge, writes the files one run writes, pictures included")
    func shardsMerge() throws {
        let root = try scratchFolder("qa")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sequence = SharedData.sampleData + "/sequence"
        try writeSampleTracksWithoutFrameOne(to: root + "/tasker.txt")
        let common = ["qa", "--gold", sequence + "/gold.openlabel.json", "--labels", "tasker=" + root + "/tasker.txt", "--labels-format", "kitti-tracking",
                      "--sequence", sequence]
        #expect(try runCuboid(common + ["--out", root + "/whole"]).status == 0)
        for k in 1...3 {
            let result = try runCuboid(common + ["--out", root + "/shard\(k)", "--shard", "\(k)/3"])
            #expect(result.status == 0 && result.stdout.contains("shard \(k)/3: 1 of 3 frames scored"), "\(result.stdout)\(result.stderr)")
        }
        let merged = try runCuboid(["qa", "merge", root + "/shard3", root + "/shard1", root + "/shard2", "--out", root + "/merged"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let whole = try filesBelow(root + "/whole"), combined = try filesBelow(root + "/merged")
        #expect(whole.count > 6 && whole.keys.sorted() == combined.keys.sorted())
        for (name, bytes) in whole { #expect(combined[name] == bytes, "\(name) differs") }
        let incomplete = try runCuboid(["qa", "merge", root + "/shard1", root + "/shard2", "--out", root + "/incomplete"])
        #expect(incomplete.status == 1 && incomplete.stderr.contains("no shard scored 1 frame"), "\(incomplete.stderr)")
    }

    @Test("two taskers without gold give their agreement")
    func agreement() throws {
        let root = try scratchFolder("qa")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let result = try runCuboid(["qa", "--labels", "a=" + root + "/gold", "--labels", "b=" + root + "/tasker", "--out", root + "/report",
                                    "--no-pictures"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("agreement with a, 2 frames"), "\(result.stdout)")
    }

    @Test("a malformed label file fails with exit 1 naming the file and line; no gold and one tasker is refused with 64")
    func refusesBadInput() throws {
        let root = try scratchFolder("qa")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        try "[{\"obj_id\": \"1\",\n \"obj_type\": \"Car\", \"psr\": {\"position\": {\"x\": 1}}}]".write(toFile: root + "/tasker/000001.json", atomically: true,
                                                                                                     encoding: .utf8)
        let bad = try runCuboid(["qa", "--gold", root + "/gold", "--labels", root + "/tasker", "--out", root + "/report"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("000001.json") && bad.stderr.contains("line 2"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/report/index.html"))
        let lonely = try runCuboid(["qa", "--labels", root + "/gold", "--out", root + "/report"])
        #expect(lonely.status == 64)
    }
}

/// Empty and one-sided inputs as a tasker would hand them in: exit codes and messages.
@Suite("cuboid qa: nothing scored is no pass", .serialized)
struct QAEmptyCommandTests {
    /// A SUSTechPOINTS folder of one car per frame, of the given class name, in frames named `names`.
    func writeFolder(_ path: String, type: String, names: [String], x: Double = 10) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for name in names {
            try ("[{\"obj_id\": \"1\", \"obj_type\": \"\(type)\", \"psr\": {\"position\": {\"x\": \(x), \"y\": 0, \"z\": 0}, "
                 + "\"scale\": {\"x\": 4, \"y\": 2, \"z\": 1.5}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}}]")
                .write(toFile: path + "/" + name + ".json", atomically: true, encoding: .utf8)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var goldType: String, labelType: String
        var labelFrames: [String]
        var arguments: [String]
        var status: Int32
        var says: String
        var testDescription: String { name }
    }

    @Test("exit codes", arguments: [
        Case(name: "no frame names in common: exit 1 naming both sides", goldType: "Car", labelType: "Car", labelFrames: ["a", "b"], arguments: [],
             status: 1, says: "no frame names in common between gold (2 frames: 000000, 000001) and the labels (2 frames: a, b)"),
        Case(name: "no frame names in common, --allow-empty: a report with n/a", goldType: "Car", labelType: "Car", labelFrames: ["a", "b"],
             arguments: ["--allow-empty"], status: 0, says: "not scored"),
        Case(name: "no frame names in common, --allow-empty --fail-under 0.9: the gate fails", goldType: "Car", labelType: "Car", labelFrames: ["a", "b"],
             arguments: ["--allow-empty", "--fail-under", "0.9"], status: 3, says: "below threshold: t f1 not computable"),
        Case(name: "car against Car matches without case, and says so", goldType: "Car", labelType: "car", labelFrames: ["000000", "000001"],
             arguments: ["--fail-under", "0.9"], status: 0, says: "class names matched: car -> Car x2"),
        Case(name: "a class only the tasker has: precision 0, recall n/a, gate fails", goldType: "Car", labelType: "Cyclist",
             labelFrames: ["000000", "000001"], arguments: ["--fail-under", "0.9"], status: 3, says: "0.0000     n/a"),
    ])
    func exitCodes(_ c: Case) throws {
        let root = try scratchFolder("qa-empty")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeFolder(root + "/gold", type: c.goldType, names: ["000000", "000001"])
        try writeFolder(root + "/tasker", type: c.labelType, names: c.labelFrames)
        let result = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report", "--no-pictures"]
                                   + c.arguments)
        #expect(result.status == c.status, "\(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).contains(c.says), "\(result.stdout)\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: root + "/report/index.html") == (c.status != 1))
    }

    struct OptionCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var status: Int32
        var says: [String]
        var testDescription: String { name }
    }

    // Gold has frames 000000 and 000001 (one car each); the tasker labelled 000000 only.
    @Test("--missing-frames and --metric", arguments: [
        OptionCase(name: "default skip: frame 000001 listed, not scored", arguments: [], status: 0,
                   says: ["t            Car            1     0     0", "1 gold frame(s) not labelled (skip)"]),
        OptionCase(name: "count-as-missed: frame 000001's car is missed", arguments: ["--missing-frames", "count-as-missed"], status: 0,
                   says: ["t            Car            1     0     1", "1 gold frame(s) not labelled (count-as-missed)"]),
        OptionCase(name: "error: exit 1 naming the frame", arguments: ["--missing-frames", "error"], status: 1, says: ["000001"]),
        OptionCase(name: "--metric hota prints HOTA, DetA, AssA, LocA", arguments: ["--metric", "hota"], status: 0,
                   says: ["t HOTA Car: HOTA 1.0000, DetA 1.0000, AssA 1.0000, LocA 1.0000"]),
        OptionCase(name: "an unknown metric is refused", arguments: ["--metric", "map"], status: 64, says: ["nuscenes", "kitti", "hota"]),
    ])
    func metricAndMissingFrameOptions(_ c: OptionCase) throws {
        let root = try scratchFolder("qa-options")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeFolder(root + "/gold", type: "Car", names: ["000000", "000001"])
        try writeFolder(root + "/tasker", type: "Car", names: ["000000"])
        let result = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report", "--no-pictures"]
                                   + c.arguments)
        #expect(result.status == c.status, "\(result.stdout)\(result.stderr)")
        for text in c.says { #expect((result.stdout + result.stderr).contains(text), "\(result.stdout)\(result.stderr)") }
    }

    @Test("undefined figures are null in report.json, empty in metrics.csv, n/a in the pages and the history; a class with nothing is 'not scored'")
    func undefinedFiguresEverywhere() throws {
        let root = try scratchFolder("qa-empty")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeFolder(root + "/gold", type: "Car", names: ["000000"])
        try writeFolder(root + "/tasker", type: "Cyclist", names: ["000000"])
        let result = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report", "--no-pictures",
                                    "--history", root + "/qa.sqlite", "--batch", "b1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/report/report.json"))) as? [String: Any])
        let classes = try #require(((json["taskers"] as? [[String: Any]])?.first?["classes"]) as? [[String: Any]])
        func detection(_ name: String) -> [String: Any]? { classes.first { $0["category"] as? String == name }?["detection"] as? [String: Any] }
        #expect(detection("Cyclist")?["recall"] is NSNull && (detection("Cyclist")?["precision"] as? Double) == 0)
        #expect(detection("Car")?["precision"] is NSNull && (detection("Car")?["recall"] as? Double) == 0)
        #expect(detection("Pedestrian")?["f1"] is NSNull && (detection("Pedestrian")?["scored"] as? Bool) == false)
        let metrics = try String(contentsOfFile: root + "/report/metrics.csv", encoding: .utf8)
        #expect(metrics.contains("t,Cyclist,0,1,0,0.0,,0.0,"), "\(metrics)")
        let page = try String(contentsOfFile: root + "/report/tasker-t.html", encoding: .utf8)
        #expect(page.contains("not scored: no gold and no labelled box of the class") && page.contains("<td>n/a</td>"))
        let history = try runCuboid(["qa", "history", "t", "--history", root + "/qa.sqlite"])
        #expect(history.status == 0 && history.stdout.contains("0.0000  0.0000  0.0000"), "\(history.stdout)")
    }

    @Test("a 40 m range filters both sides: the far tasker box is no extra")
    func rangeBothSides() throws {
        let root = try scratchFolder("qa-empty")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeFolder(root + "/gold", type: "Car", names: ["000000"])
        try FileManager.default.createDirectory(atPath: root + "/tasker", withIntermediateDirectories: true)
        try ("[{\"obj_id\": \"1\", \"obj_type\": \"Car\", \"psr\": {\"position\": {\"x\": 10, \"y\": 0, \"z\": 0}, \"scale\": {\"x\": 4, \"y\": 2, \"z\": 1.5}, "
             + "\"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}}, {\"obj_id\": \"2\", \"obj_type\": \"Car\", \"psr\": {\"position\": {\"x\": 52, \"y\": 0, \"z\": 0}, "
             + "\"scale\": {\"x\": 4, \"y\": 2, \"z\": 1.5}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}}]").write(toFile: root + "/tasker/000000.json", atomically: true, encoding: .utf8)
        try "{\"gold\": {\"maximumRange\": 40}}".write(toFile: root + "/qa.json", atomically: true, encoding: .utf8)
        let result = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report", "--no-pictures",
                                    "--config", root + "/qa.json", "--fail-under", "1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let findings = try String(contentsOfFile: root + "/report/findings.csv", encoding: .utf8)
        #expect(findings.split(separator: "\n").count == 1, "\(findings)")
    }
}

@Suite("Same bytes for any --threads", .serialized)
struct ThreadDeterminismTests {
    let sequence = SharedData.sampleData + "/sequence"

    @Test("prelabel writes byte-identical labels, review queue and previews on 1 and 2 threads")
    func prelabel() throws {
        let root = try scratchFolder("threads")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for threads in ["1", "2"] {
            let result = try runCuboid(["prelabel", sequence, "--out", root + "/t" + threads, "--threads", threads])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let one = try filesBelow(root + "/t1"), two = try filesBelow(root + "/t2")
        #expect(!one.isEmpty && one.keys.sorted() == two.keys.sorted())
        for (name, bytes) in one { #expect(two[name] == bytes, "\(name) differs") }
    }

    @Test("interpolate writes the same bytes on 1 and 2 threads")
    func interpolate() throws {
        let root = try scratchFolder("threads")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeSampleTracksWithoutFrameOne(to: root + "/keys.txt")
        for threads in ["1", "2"] {
            let result = try runCuboid(["interpolate", root + "/keys.txt", "--from", "kitti-tracking", "--sequence", sequence, "--snap",
                                        "--out", root + "/t\(threads).json", "--threads", threads])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/t1.json")) == Data(contentsOf: URL(fileURLWithPath: root + "/t2.json")))
    }

    @Test("qa writes the same report, tables and pictures on 1 and 2 threads")
    func qa() throws {
        let root = try scratchFolder("threads")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeSampleTracksWithoutFrameOne(to: root + "/tasker.txt")
        for threads in ["1", "2"] {
            let result = try runCuboid(["qa", "--gold", sequence + "/gold.openlabel.json", "--labels", "tasker=" + root + "/tasker.txt",
                                        "--labels-format", "kitti-tracking", "--sequence", sequence, "--out", root + "/t" + threads,
                                        "--threads", threads])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let one = try filesBelow(root + "/t1"), two = try filesBelow(root + "/t2")
        #expect(one.count > 6 && one.keys.sorted() == two.keys.sorted())
        for (name, bytes) in one { #expect(two[name] == bytes, "\(name) differs") }
    }
}

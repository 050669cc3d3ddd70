import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid interpolate", .serialized)
struct InterpolateCommandTests {
    let sequence = SharedData.sampleData + "/sequence"

    @Test("KITTI tracking keyframes on frames 0 and 2 are filled in frame 1 from the recording's poses, snapped, and written as OpenLABEL")
    func fillsKITTITrackingKeyframes() throws {
        let root = try scratchFolder("interpolate")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let gold = try String(contentsOfFile: sequence + "/label_02/0000.txt", encoding: .utf8)
        let keyLines = gold.split(separator: "\n").filter { !$0.hasPrefix("1 ") }
        func ids(_ frame: String) -> Set<Substring> {
            Set(gold.split(separator: "\n").filter { $0.hasPrefix(frame + " ") }.map { $0.split(separator: " ")[1] })
        }
        let spanning = ids("0").intersection(ids("2")).count
        try (keyLines.joined(separator: "\n") + "\n").write(toFile: root + "/keys.txt", atomically: true, encoding: .utf8)
        let result = try runCuboid(["interpolate", root + "/keys.txt", "--from", "kitti-tracking", "--sequence", sequence,
                                    "--out", root + "/filled.openlabel.json", "--snap"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("track ") && result.stdout.contains("keyframes"))
        let summary = try #require(result.stdout.split(separator: "\n").last)
        #expect(summary.contains("3 frames"), "\(summary)")
        let written = try String(contentsOfFile: root + "/filled.openlabel.json", encoding: .utf8)
        let filled = written.components(separatedBy: "\"val\": \"interpolated\"").count - 1 + written.components(separatedBy: "\"val\": \"snapped\"").count - 1
        // Every track with keyframes on both sides of the middle frame is filled there, once.
        #expect(filled == spanning && filled > 0, "filled \(filled) of \(spanning)")
        // The input is untouched and the output is complete JSON.
        #expect(try String(contentsOfFile: root + "/keys.txt", encoding: .utf8) == keyLines.joined(separator: "\n") + "\n")
        #expect(written.hasSuffix("}\n") || written.hasSuffix("}"))
    }

    @Test("evaluate prints one JSON line per method, world-smooth fills the sample's middle frame within 1 cm")
    func evaluatesAgainstGold() throws {
        let result = try runCuboid(["interpolate", "evaluate", sequence + "/gold.openlabel.json", "--every", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        let smooth = try #require(lines.first { $0.contains("\"world-smooth\"") })
        let object = try #require(JSONSerialization.jsonObject(with: Data(smooth.utf8)) as? [String: Any])
        #expect((object["scored"] as? Int ?? 0) > 0)
        #expect((object["meanCenterError"] as? Double ?? 1) < 0.01, "\(smooth)")
    }

    @Test("suggest --budget spends at most N keyframes, each track keeps its ends, and --compare-every adds the like-for-like lines")
    func suggestsWithinABudget() throws {
        let gold = sequence + "/gold.openlabel.json"
        let ends = try runCuboid(["interpolate", "suggest", gold, "--budget", "1", "--json"])
        #expect(ends.status == 0, "\(ends.stderr)")
        let tracks = try ends.stdout.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let minimum = tracks.reduce(0) { $0 + min(($1["boxes"] as? Int) ?? 0, 2) }
        #expect(tracks.reduce(0) { $0 + (($1["frames"] as? [Int])?.count ?? 0) } == minimum, "a budget below the ends gives the ends")
        let budget = minimum + 1
        let result = try runCuboid(["interpolate", "suggest", gold, "--budget", "\(budget)", "--compare-every", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("keyframes to label") && result.stdout.contains("(budget \(budget))"), "\(result.stdout)")
        #expect(result.stdout.contains("on the boxes both the suggestion and keyframes every 2 frames fill"))
        let refused = try runCuboid(["interpolate", "suggest", gold, "--budget", "0"])
        #expect(refused.status == 64)
    }

    @Test("a malformed keyframe file fails with exit 1 naming the file and byte (a one-line file); a bad flag with 64")
    func refusesBadInput() throws {
        let root = try scratchFolder("interpolate")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "{\"openlabel\": {\"frames\": {\"0\": {\"objects\": {\"1\": {\"object_data\": {\"cuboid\": [{\"val\": [1, 2]}]}}}}}}}\n"
            .write(toFile: root + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try runCuboid(["interpolate", root + "/bad.json", "--out", root + "/out.json"])
        #expect(bad.status == 1)
        // The object at byte 14 (`{"frames": ...`) lacks "metadata".
        #expect(bad.stderr.contains("bad.json: byte 14: missing \"metadata\""), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/out.json"))
        let snapWithoutSweeps = try runCuboid(["interpolate", root + "/bad.json", "--out", root + "/out.json", "--snap"])
        #expect(snapWithoutSweeps.status == 64)
    }
}

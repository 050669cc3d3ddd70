import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid prelabel --score and score.json", .serialized)
struct PrelabelScoreTests {
    /// The `score.json` of a run, parsed, with its schema checked key by key.
    static func readScore(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "no \(path)")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["sequence", "frames", "tracked", "poses", "classes"])
        #expect(["given", "estimate", "none"].contains(object["poses"] as? String))
        for entry in try #require(object["classes"] as? [[String: Any]]) {
            #expect(Set(entry.keys) == ["class", "gold", "thresholds", "mota", "motp", "idf1", "idSwitches"])
            for threshold in try #require(entry["thresholds"] as? [[String: Any]]) {
                #expect(Set(threshold.keys) == ["iou", "recall", "precision", "tp", "fn", "fp"])
            }
        }
        return object
    }

    static func figure(_ value: Any?) -> String {
        (value as? Double).map { String(format: "%.3f", $0) } ?? "n/a"
    }

    /// Checks that every printed class line (and tracking line) says what score.json holds.
    static func expectPrintedEqualsJSON(_ score: [String: Any], stdout: String) throws {
        let lines = stdout.split(separator: "\n").map(String.init)
        let tracked = try #require(score["tracked"] as? Bool)
        for entry in try #require(score["classes"] as? [[String: Any]]) {
            let name = try #require(entry["class"] as? String), gold = try #require(entry["gold"] as? Int)
            let line = try #require(lines.first { $0.hasPrefix("  \(name): ") }, "no line for \(name) in \(stdout)")
            #expect(line.hasPrefix("  \(name): \(gold) gold; "))
            for threshold in try #require(entry["thresholds"] as? [[String: Any]]) {
                let tp = threshold["tp"] as! Int, fn = threshold["fn"] as! Int, fp = threshold["fp"] as! Int
                let recall = (threshold["recall"] as? Double).map { String(format: "recall %.3f", $0) } ?? "no gold"
                let text = String(format: "IoU %.1f ", threshold["iou"] as! Double) + recall + " precision " + figure(threshold["precision"])
                    + " (tp \(tp), fn \(fn), fp \(fp))"
                #expect(line.contains(text), "\(line) lacks \(text)")
                if tp + fn > 0 { #expect(abs((threshold["recall"] as! Double) - Double(tp) / Double(tp + fn)) < 1e-12) }
                if tp + fp > 0 { #expect(abs((threshold["precision"] as! Double) - Double(tp) / Double(tp + fp)) < 1e-12) }
            }
            let trackingLine = lines.first { $0.hasPrefix("  \(name) tracking: ") }
            if tracked {
                let switches = try #require(entry["idSwitches"] as? Int)
                let expected = "  \(name) tracking: MOTA \(figure(entry["mota"])), MOTP \(figure(entry["motp"])), IDF1 \(figure(entry["idf1"])), \(switches) ID switches (IoU 0.5)"
                #expect(trackingLine == expected)
            } else {
                #expect(trackingLine == nil)
                #expect(entry["mota"] is NSNull && entry["idf1"] is NSNull && entry["idSwitches"] is NSNull)
            }
        }
    }

    @Test("two synthetic sequences: each OUT/NAME gets a score.json whose figures are the printed ones, tracked")
    func syntheticScoreJSON() throws {
        let root = try scratchFolder("prelabel-score")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["a", "b"] { try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: SharedData.sampleData + "/sequence") }
        let result = try runCuboid(["prelabel", root + "/a", root + "/b", "--out", root + "/out", "--no-previews", "--score", "--threads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.components(separatedBy: root + "/b: ")
        #expect(printed.count == 2)
        for (name, stdout) in zip(["a", "b"], printed) {
            let score = try Self.readScore(root + "/out/\(name)/score.json")
            #expect(score["sequence"] as? String == name && score["frames"] as? Int == 3 && score["tracked"] as? Bool == true)
            let classes = try #require(score["classes"] as? [[String: Any]])
            #expect(classes.map { $0["class"] as? String } == ["Car", "Pedestrian", "Cyclist"])
            // Floors under today's Car figures on the sample (the guard PipelineTests had): not the target.
            let car = try #require((classes[0]["thresholds"] as? [[String: Any]])?.first)
            #expect((classes[0]["gold"] as? Int ?? 0) > 30 && (car["recall"] as? Double ?? 0) >= 0.5 && (car["precision"] as? Double ?? 0) >= 0.6)
            try Self.expectPrintedEqualsJSON(score, stdout: stdout)
        }
    }

    static let kittiTracking = SharedData.path("kitti_tracking/training")

    @Test("KITTI tracking 0000: scored inside camera 2's view against label_02, with tracking figures",
          .enabled(if: FileManager.default.fileExists(atPath: kittiTracking + "/label_02/0000.txt")))
    func kittiTrackingScore() throws {
        let root = try scratchFolder("prelabel-score-kitti")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try runCuboid(["prelabel", Self.kittiTracking, "--out", root + "/out", "--no-previews", "--score"])
        #expect(result.status == 0, "\(result.stderr)")
        let score = try Self.readScore(root + "/out/score.json")
        #expect(score["sequence"] as? String == "0000" && score["frames"] as? Int == 154 && score["tracked"] as? Bool == true)
        let classes = try #require(score["classes"] as? [[String: Any]])
        // 240 of the 243 Car boxes lie within 40 m and hold 10 returns or more.
        #expect(classes.first { $0["class"] as? String == "Car" }?["gold"] as? Int == 240)
        try Self.expectPrintedEqualsJSON(score, stdout: result.stdout)
    }
}

import CuboidTestSupport
import Foundation
import Testing

/// Reads a tasker page's findings in page order: (kind, cost, frame, link to the frame page).
private func findingsInOrder(_ html: String) -> [(kind: String, cost: Double, frame: String, framePage: String?)] {
    let pattern = try! NSRegularExpression(pattern: #"<div class="finding" id="f\d+" data-cost="([0-9.]+)" data-kind="([a-z-]+)" data-frame="([^"]+)"(.*?)</div>\n"#,
                                           options: [.dotMatchesLineSeparators])
    let text = html as NSString
    return pattern.matches(in: html, range: NSRange(location: 0, length: text.length)).map { match in
        let rest = text.substring(with: match.range(at: 4))
        let link = rest.range(of: #"frame-[^"]+\.html"#, options: .regularExpression).map { String(rest[$0]) }
        return (text.substring(with: match.range(at: 2)), Double(text.substring(with: match.range(at: 1)))!, text.substring(with: match.range(at: 3)), link)
    }
}

@Suite("cuboid qa report: order, grouping, pictures", .serialized)
struct QAReportOrderTests {
    /// Gold and a tasker as SUSTechPOINTS folders, two frames: the tasker misses a car at 60 m in frame
    /// 0 and one at 8 m in frame 1, and adds a car at 25 m in frame 0.
    func writeBatch(_ root: String) throws {
        func entry(_ id: Int, _ x: Double, _ y: Double) -> String {
            "{\"obj_id\": \"\(id)\", \"obj_type\": \"Car\", \"psr\": {\"position\": {\"x\": \(x), \"y\": \(y), \"z\": 0}, "
                + "\"scale\": {\"x\": 4, \"y\": 2, \"z\": 1.5}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}}"
        }
        for folder in ["gold", "tasker"] { try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true) }
        let gold = [[entry(1, 10, 0), entry(2, 60, 0)], [entry(1, 8, 0), entry(2, -15, 3)]]
        let tasker = [[entry(1, 10, 0), entry(3, 25, 0)], [entry(2, -15, 3)]]
        for frame in 0..<2 {
            let name = String(format: "%06d.json", frame)
            try ("[" + gold[frame].joined(separator: ", ") + "]").write(toFile: root + "/gold/" + name, atomically: true, encoding: .utf8)
            try ("[" + tasker[frame].joined(separator: ", ") + "]").write(toFile: root + "/tasker/" + name, atomically: true, encoding: .utf8)
        }
    }

    @Test("findings are listed costliest first (near misses and extras first), each linked to its frame's page with a scaled picture")
    func costOrder() throws {
        let root = try scratchFolder("qa-order")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let run = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: root + "/report/tasker-t.html", encoding: .utf8)
        let findings = findingsInOrder(html)
        #expect(findings.map(\.kind) == ["missed", "extra", "missed"])
        #expect(findings.map(\.frame) == ["000001", "000000", "000000"])
        #expect(zip(findings, findings.dropFirst()).allSatisfy { $0.cost >= $1.cost })
        for finding in findings {
            let page = try #require(finding.framePage)
            let frameHTML = try String(contentsOfFile: root + "/report/" + page, encoding: .utf8)
            #expect(frameHTML.contains("data-scale-metres="))
            #expect(frameHTML.contains("Frame \(finding.frame)"))
        }
        #expect(html.contains("class=\"scale\""))
        #expect(html.contains("ego forward"))
    }

    @Test("--group-by-frame lists the frames with the costliest findings first, each frame's findings by cost")
    func groupedByFrame() throws {
        let root = try scratchFolder("qa-order")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try writeBatch(root)
        let run = try runCuboid(["qa", "--gold", root + "/gold", "--labels", "t=" + root + "/tasker", "--out", root + "/report",
                                 "--group-by-frame"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: root + "/report/tasker-t.html", encoding: .utf8)
        let findings = findingsInOrder(html)
        #expect(findings.map(\.frame) == ["000001", "000000", "000000"])
        #expect(findings.map(\.kind) == ["missed", "extra", "missed"])
        let groups = html.components(separatedBy: "<h3 class=\"frame-group\" data-frame=\"").dropFirst().map { String($0.prefix(6)) }
        #expect(groups == ["000001", "000000"])
    }

    @Test("agreement: the lidar check names the tasker whose box the returns do not support (SampleData, a car moved 1 m, one halved)")
    func agreementScoresDisagreements() throws {
        let root = try scratchFolder("qa-agreement")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let goldPath = SharedData.sampleData + "/sequence/gold.openlabel.json"
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: goldPath))) as? [String: Any])
        var openlabel = document["openlabel"] as! [String: Any]
        var frames = openlabel["frames"] as! [String: Any]
        var frame = frames["0"] as! [String: Any]
        var objects = frame["objects"] as! [String: Any]
        for (id, change) in [("13", "moved"), ("12", "halved")] {
            var object = objects[id] as! [String: Any]
            var data = object["object_data"] as! [String: Any]
            var cuboids = data["cuboid"] as! [[String: Any]]
            var values = cuboids[0]["val"] as! [Double]
            if change == "moved" { values[1] += 1 } else { for k in (values.count - 3)..<values.count { values[k] *= 0.5 } }
            cuboids[0]["val"] = values
            data["cuboid"] = cuboids
            object["object_data"] = data
            objects[id] = object
        }
        frame["objects"] = objects
        frames["0"] = frame
        openlabel["frames"] = frames
        document["openlabel"] = openlabel
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: root + "/b.openlabel.json"))
        let run = try runCuboid(["qa", "--labels", "a=" + goldPath, "--labels", "b=" + root + "/b.openlabel.json",
                                 "--sequence", SharedData.sampleData + "/sequence", "--out", root + "/report", "--no-pictures"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/report/report.json"))) as? [String: Any])
        let findings = ((report["taskers"] as! [[String: Any]])[0]["findings"] as! [[String: Any]]).filter { ($0["frame"] as? String).map { Int($0) } == 0 }
        for id in ["13", "12"] {
            let finding = try #require(findings.first { $0["goldTrack"] as? String == id }, "no finding on box \(id)")
            let check = try #require(finding["goldCheck"] as? [String: Any])
            #expect((check["goldFactors"] as? [String])?.isEmpty == true, "box \(id): \(check)")
            #expect((check["labelledFactors"] as? [String])?.isEmpty == false, "box \(id): \(check)")
        }
    }
}

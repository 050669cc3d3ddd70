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
}

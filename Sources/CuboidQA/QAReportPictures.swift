import CuboidFormats
import CuboidGeometry
import CuboidPreviews
import Foundation

/// The square of the ground a bird's-eye picture shows: sensor frame, x (forward) up the picture,
/// y (left) to the left, metres; pixels from the top-left corner.
struct BirdsEyeView: Sendable, Hashable {
    var center: SIMD2<Double>
    var halfSide: Double
    var pixelsPerMetre: Double

    var side: Int { max(1, Int(2 * halfSide * pixelsPerMetre)) }
    var scaleBar: Double { PreviewRenderer.scaleBarMetres(halfSide: halfSide) }

    func pixel(_ x: Double, _ y: Double) -> SIMD2<Double> {
        SIMD2((halfSide - (y - center.y)) * pixelsPerMetre, (halfSide - (x - center.x)) * pixelsPerMetre)
    }

    /// A finding's crop: both boxes with 2.5 m around them (at least 5 m each side of the centre),
    /// about 640 pixels square (16 to 60 pixels a metre), so the box fills a good part of it.
    static func crop(_ finding: QAFinding) -> BirdsEyeView? {
        let boxes = [finding.gold?.cuboid, finding.labelled?.cuboid].compactMap { $0 }
        guard !boxes.isEmpty else { return nil }
        let center = boxes.map { SIMD2($0.x, $0.y) }.reduce(SIMD2<Double>(0, 0), +) / Double(boxes.count)
        var extent = 0.0
        for box in boxes {
            let d = SIMD2(box.x, box.y) - center
            extent = max(extent, (d * d).sum().squareRoot() + 0.5 * (box.length * box.length + box.width * box.width).squareRoot())
        }
        let halfSide = max(5, extent + 2.5)
        return BirdsEyeView(center: center, halfSide: halfSide, pixelsPerMetre: min(60, max(16, 640 / (2 * halfSide))))
    }

    /// A frame's full view about the sensor: every box with 5 m around (10 to 80 m each side), at most
    /// 1,200 pixels square.
    static func frame(_ boxes: [Box3D]) -> BirdsEyeView {
        let reach = boxes.map { max(abs($0.x), abs($0.y)) + max($0.length, $0.width) }.max() ?? 0
        let halfSide = min(80, max(10, reach + 5))
        return BirdsEyeView(center: SIMD2(0, 0), halfSide: halfSide, pixelsPerMetre: min(20, 1200 / (2 * halfSide)))
    }

    /// Text over the picture (an inline SVG the size of the picture): the scale bar's length, the
    /// direction and distance of the sensor, and each box's side, class and id, in the boxes' colours.
    /// The SVG carries the scale (`data-pixels-per-metre`, `data-scale-metres`, and the bar's pixels)
    /// for checks.
    func overlay(labels: [(text: String, box: Box3D, color: String)]) -> String {
        let start = PreviewRenderer.scaleBarStart(side: side)
        let barEnd = start.x + scaleBar * pixelsPerMetre
        var svg = "<svg class=\"overlay\" width=\"\(side)\" height=\"\(side)\" viewBox=\"0 0 \(side) \(side)\" data-pixels-per-metre=\"\(fixed(pixelsPerMetre, decimals: 4))\""
            + " data-scale-metres=\"\(fixed(scaleBar, decimals: 0))\" data-scale-x1=\"\(fixed(start.x, decimals: 1))\" data-scale-x2=\"\(fixed(barEnd, decimals: 1))\""
            + " data-scale-y=\"\(fixed(start.y, decimals: 1))\">"
        func text(_ x: Double, _ y: Double, _ content: String, color: String, anchor: String = "start") -> String {
            "<text x=\"\(fixed(x, decimals: 1))\" y=\"\(fixed(y, decimals: 1))\" fill=\"\(color)\" text-anchor=\"\(anchor)\">\(QAReportHTML.escape(content))</text>"
        }
        svg += text((start.x + barEnd) / 2, start.y - 10, fixed(scaleBar, decimals: 0) + " m", color: "#fff", anchor: "middle").replacingOccurrences(of: "<text ", with: "<text class=\"scale\" ")
        let ego = pixel(0, 0), distance = (center * center).sum().squareRoot()
        if ego.x >= 0 && ego.y >= 0 && ego.x < Double(side) && ego.y < Double(side) {
            svg += text(ego.x + 14, ego.y + 4, "ego ↑ forward", color: "#ffdc00")
        } else {
            let arrow = PreviewRenderer.egoArrow(center: center, halfSide: halfSide, pixelsPerMetre: pixelsPerMetre)
            let x = min(Double(side) - 70, max(4, arrow.tip.x + (arrow.tip.x < Double(side) / 2 ? 8 : -60)))
            let y = min(Double(side) - 28, max(16, arrow.tip.y + (arrow.tip.y < Double(side) / 2 ? 22 : -8)))
            svg += text(x, y, "ego " + fixed(distance, decimals: 0) + " m", color: "#ffdc00").replacingOccurrences(of: "<text ", with: "<text class=\"ego\" ")
        }
        svg += text(Double(side) - 8, 18, "↑ ego forward (x)", color: "#ffdc00", anchor: "end")
        for (k, label) in labels.enumerated() {
            // Above the box's highest corner in the picture, staggered so two boxes' names do not overlap.
            let corners = label.box.bev.corners.map { pixel($0.x, $0.y) }
            let top = corners.min { $0.y < $1.y }!
            let x = min(Double(side) - 4, max(4, top.x)), y = max(14, top.y - 6 - Double(k % 2) * 14)
            svg += text(x, y, label.text, color: label.color, anchor: x > Double(side) * 0.6 ? "end" : "start")
        }
        return svg + "</svg>"
    }
}

extension QAReportHTML {
    /// A picture with its overlay, both the same size, the picture shown at its own size.
    static func figure(_ picture: String, alt: String, overlay: String?, side: Int?) -> String {
        guard let overlay, let side else {
            return "<img src=\"\(escape(picture))\" alt=\"\(escape(alt))\" loading=\"lazy\">"
        }
        return "<span class=\"bev\" style=\"width:\(side)px;height:\(side)px\"><img src=\"\(escape(picture))\" alt=\"\(escape(alt))\" "
            + "width=\"\(side)\" height=\"\(side)\">\(overlay)</span>"
    }

    /// "Car #3 (track 5)": a box's class, position in its frame and track id.
    static func boxName(_ object: LabeledObject, index: Int?) -> String {
        object.category + (index.map { " #\($0)" } ?? "") + (object.trackID.map { " id \($0)" } ?? "")
    }

    /// The labels of a finding's crop.
    static func cropLabels(_ finding: QAFinding, taskerName: String, goldName: String) -> [(text: String, box: Box3D, color: String)] {
        var labels: [(text: String, box: Box3D, color: String)] = []
        if let gold = finding.gold, let box = gold.cuboid { labels.append((goldName + " " + boxName(gold, index: finding.goldIndex), box, goldColor)) }
        if let labelled = finding.labelled, let box = labelled.cuboid {
            labels.append((taskerName + " " + boxName(labelled, index: finding.labelIndex), box, labelledColor))
        }
        return labels
    }

    static let goldColor = "#28dc5a", labelledColor = "#ff46c8"

    /// The page of one tasker's frame: the full bird's-eye view with every box of both sides named,
    /// and the frame's findings, each linking back to the tasker's page.
    static func framePage(frame: String, tasker: TaskerReport, report: QAReport, picture: String?, view: BirdsEyeView?,
                          labels: [(text: String, box: Box3D, color: String)]) -> String {
        var body = "<p><a href=\"\(pageName(tasker.name))\">← \(escape(tasker.name))</a> · <a href=\"index.html\">all taskers</a></p>"
            + "<h1>Frame \(escape(frame)): \(escape(tasker.name)) against \(escape(report.goldName))</h1>\n"
        body += "<p class=\"legend\">Bird's-eye view, sensor forward up: <span style=\"background:\(goldColor)\"></span>\(escape(report.goldName)) "
            + "<span style=\"background:\(labelledColor)\"></span>\(escape(tasker.name)); yellow: the ego (sensor); the short line marks each box's front.</p>\n"
        if let picture, let view {
            body += figure(picture, alt: "bird's-eye view of frame \(frame)", overlay: view.overlay(labels: labels), side: view.side) + "\n"
        } else {
            body += "<p class=\"muted\">No sweep for this frame: no picture.</p>\n"
        }
        body += "<h2>Findings in this frame</h2>\n<ol>\n"
        for (k, finding) in tasker.findings.enumerated() where finding.frame == frame {
            body += "<li><a href=\"\(pageName(tasker.name))#f\(k)\">\(escape(finding.kind.rawValue))</a>: \(escape(finding.message))"
                + (finding.goldCheck?.goldDoubtful == true ? " <span class=\"doubt\">gold doubtful</span>" : "") + "</li>\n"
        }
        return page(title: "Cuboid QA: \(tasker.name), frame \(frame)", body: body + "</ol>\n")
    }

    static func framePageName(tasker: String, frame: String) -> String { "frame-" + fileSafe(tasker) + "-" + fileSafe(frame) + ".html" }
}

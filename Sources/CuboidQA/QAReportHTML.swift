import CuboidFormats
import Foundation

/// The report's pages: plain HTML with an inline style sheet, no script, nothing from outside the folder.
enum QAReportHTML {
    static func escape(_ text: String) -> String { markupEscaped(text) }

    static func pageName(_ tasker: String) -> String { "tasker-" + fileSafe(tasker) + ".html" }

    /// A figure, or "n/a" where it is undefined (recall without gold, precision without labelled boxes).
    static func format(_ value: Double?, _ digits: Int = 3) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }

    static func degrees(_ radians: Double?) -> String { radians.map { String(format: "%.1f°", $0 * 180 / .pi) } ?? "–" }

    static let style = """
        body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
        h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;margin:8px 0;background:#fff}
        th,td{border:1px solid #d0d0d5;padding:4px 8px;text-align:right;font-size:13px}th{background:#eef0f4}
        td.l,th.l{text-align:left}.bad{color:#b00020;font-weight:600}.ok{color:#0a7a2f}.muted{color:#666;font-size:13px}
        .finding{display:flex;gap:12px;align-items:flex-start;border-top:1px solid #ddd;padding:10px 0}
        .finding img{border:1px solid #999}.kind{display:inline-block;min-width:110px;font-weight:600}
        .bev{position:relative;display:inline-block;flex:none}.bev img{position:absolute;left:0;top:0;border:none}
        .bev svg{position:absolute;left:0;top:0;font:600 13px system-ui,sans-serif;paint-order:stroke;stroke:#000;stroke-width:3px}
        .doubt{background:#ffe08a;color:#5a3b00;padding:1px 6px;border-radius:3px;font-weight:600;font-size:12px}.cost{color:#666;font-size:12px}
        .legend span{display:inline-block;width:14px;height:4px;margin:0 4px 3px 10px;vertical-align:middle}
        """

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><style>\(style)</style></head>
        <body>
        \(body)
        </body></html>

        """
    }

    static func detectionCells(_ d: DetectionMetrics) -> String {
        guard d.isScored else {
            return "<td>0</td><td>0</td><td>0</td><td colspan=\"7\" class=\"muted\">not scored: no gold and no labelled box of the class</td>"
        }
        return "<td>\(d.truePositives)</td><td>\(d.falsePositives)</td><td>\(d.falseNegatives)</td><td>\(format(d.precision))</td>"
            + "<td>\(format(d.recall))</td><td>\(format(d.f1))</td><td>\(format(d.meanIoU))</td><td>\(format(d.meanTranslationError))</td>"
            + "<td>\(format(d.meanScaleError))</td><td>\(degrees(d.meanOrientationError))</td>"
    }

    static let detectionHeader = "<th>TP</th><th>FP</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th><th>mean IoU</th>"
        + "<th>ATE</th><th>ASE</th><th>AOE</th>"

    static func criterionText(_ report: QAReport) -> String {
        let configuration = report.configuration
        let rules = configuration.evaluatedClasses.map { name in
            let rule = configuration.classes[name]!
            return configuration.match == .centerDistance ? "\(name) ≤ \(format(rule.distance, 2)) m" : "\(name) ≥ \(format(rule.threshold, 2))"
        }
        return "Matching: \(configuration.match.rawValue) (\(rules.joined(separator: ", "))), optimal assignment per frame and class."
    }

    static func skipsText(_ skips: QASkips) -> String {
        var parts: [String] = []
        if !skips.framesOnlyInGold.isEmpty {
            parts.append("\(skips.framesOnlyInGold.count) frame(s) only in gold: \(escape(skips.framesOnlyInGold.prefix(20).joined(separator: ", ")))")
        }
        if !skips.framesOnlyInLabels.isEmpty {
            parts.append("\(skips.framesOnlyInLabels.count) frame(s) only in the labels: \(escape(skips.framesOnlyInLabels.prefix(20).joined(separator: ", ")))")
        }
        for (side, classes) in [("labelled", skips.unknownLabelClasses), ("gold", skips.unknownGoldClasses)] where !classes.isEmpty {
            parts.append("unknown \(side) classes skipped: " + classes.sorted { $0.key < $1.key }.map { "\(escape($0.key)) ×\($0.value)" }.joined(separator: ", "))
        }
        if skips.labelsWithoutGeometry + skips.goldWithoutGeometry > 0 {
            parts.append("boxes without the compared geometry: \(skips.labelsWithoutGeometry) labelled, \(skips.goldWithoutGeometry) gold")
        }
        if !skips.renamedClasses.isEmpty {
            parts.append("class names matched: " + skips.renamedClasses.sorted { $0.key < $1.key }.map { "\(escape($0.key)) ×\($0.value)" }.joined(separator: ", "))
        }
        parts.append("boxes of known classes that are not evaluated (such as Van or Misc), left out of the scores: "
                     + "\(skips.notEvaluatedLabels) labelled, \(skips.notEvaluatedGold) gold")
        parts.append("gold boxes ignored by the filters or as neighbours: \(skips.ignoredGold)")
        parts.append("labelled boxes outside the range or height filters (which apply to both sides): \(skips.filteredLabels)")
        return parts.joined(separator: "; ")
    }

    static func index(_ report: QAReport) -> String {
        var body = "<h1>\(report.isAgreement ? "Agreement" : "QA report"): \(report.frameCount) frame(s), \(report.taskers.count) tasker(s)</h1>\n"
        body += "<p class=\"muted\">\(escape(criterionText(report))) Compared with: \(escape(report.goldName)). ATE: mean centre error "
            + "(m; px in 2D), ASE: 1 − IoU of aligned boxes, AOE: mean heading error.</p>\n"
        body += "<table><tr><th class=\"l\">tasker</th>\(detectionHeader)<th>AP</th><th>MOTA</th><th>IDF1</th><th>findings</th><th>\(report.isAgreement ? "doubtful" : "gold doubtful")</th><th>gate \(report.configuration.gateMetric.rawValue)</th></tr>\n"
        for tasker in report.taskers {
            let aps = tasker.classes.compactMap(\.averagePrecision)
            let ap = aps.isEmpty ? "–" : format(aps.map(\.coco101).reduce(0, +) / Double(aps.count))
            let mota = format(tasker.value(of: .mota))
            let tracks = tasker.classes.compactMap(\.tracking)
            let idf1s = tracks.compactMap(\.idf1)
            let idf1 = idf1s.isEmpty ? "n/a" : format(idf1s.reduce(0, +) / Double(idf1s.count))
            body += "<tr><td class=\"l\"><a href=\"\(pageName(tasker.name))\">\(escape(tasker.name))</a></td>\(detectionCells(tasker.overall))"
                + "<td>\(ap)</td><td>\(mota)</td><td>\(idf1)</td><td>\(tasker.findings.count)</td>"
                + "<td>\(tasker.doubtfulGold.isEmpty ? "0" : "<a href=\"\(pageName(tasker.name))#doubtful\">\(tasker.doubtfulGold.count)</a>")</td><td>\(format(report.gateValue(tasker)))</td></tr>\n"
        }
        body += "</table>\n<h2>Skipped or ignored</h2>\n<ul>\n"
        for tasker in report.taskers { body += "<li><b>\(escape(tasker.name))</b>: \(skipsText(tasker.skips))</li>\n" }
        body += "</ul>\n<p class=\"muted\">Machine-readable: <a href=\"report.json\">report.json</a>, <a href=\"metrics.csv\">metrics.csv</a>, "
            + "<a href=\"findings.csv\">findings.csv</a>.</p>\n"
        return page(title: "Cuboid QA report", body: body)
    }

    /// A finding's row: kind, message, cost, where it is, the gold check, its pictures (the bird's-eye
    /// crop with names, scale and the ego's direction over it) and a link to its frame's full view.
    static func findingRow(_ f: QAFinding, number k: Int, tasker: TaskerReport, report: QAReport, framePages: Set<String>) -> String {
        var identity = "frame \(escape(f.frame))"
        if let g = f.goldIndex { identity += ", \(escape(report.goldName)) box #\(g)" + (f.goldTrack.map { " (track \(escape($0)))" } ?? "") }
        if let l = f.labelIndex { identity += ", labelled box #\(l)" + (f.labelTrack.map { " (track \(escape($0)))" } ?? "") }
        let doubtful = f.goldCheck?.goldDoubtful == true
        var row = "<div class=\"finding\" id=\"f\(k)\" data-cost=\"\(String(format: "%.6f", f.cost))\" data-kind=\"\(f.kind.rawValue)\" data-frame=\"\(escape(f.frame))\""
            + (doubtful ? " data-gold-doubtful=\"true\"" : "") + "><div style=\"min-width:320px;max-width:420px\"><span class=\"kind\">\(escape(f.kind.rawValue))</span>"
            + "\(escape(f.message))" + (doubtful ? " <span class=\"doubt\">\(report.isAgreement ? escape(report.goldName) + " doubtful" : "gold doubtful")</span>" : "")
            + "<br><span class=\"muted\">\(identity)</span><br><span class=\"cost\">cost \(String(format: "%.3f", f.cost))</span>"
        if let check = f.goldCheck {
            row += "<br><span class=\"muted\">lidar check: \(escape(check.describe(goldName: report.goldName, labelledName: tasker.name)))</span>"
        }
        if framePages.contains(f.frame) {
            row += "<br><a href=\"\(framePageName(tasker: tasker.name, frame: f.frame))\">full bird's-eye view of frame \(escape(f.frame))</a>"
        }
        row += "</div>"
        for picture in f.pictures {
            let view = picture.hasSuffix("-bev.png") ? BirdsEyeView.crop(f) : nil
            row += figure(picture, alt: "\(f.kind.rawValue) in frame \(f.frame)",
                          overlay: view?.overlay(labels: cropLabels(f, taskerName: tasker.name, goldName: report.goldName)), side: view?.side)
        }
        return row + "</div>\n"
    }

    /// The findings, costliest first (or frame by frame), after the list of doubtful gold for a reviewer.
    static func findingsSection(_ tasker: TaskerReport, report: QAReport, groupsByFrame: Bool) -> String {
        let framePages = Set(QAReportWriter.pagedFrames(tasker))
        var body = ""
        let doubtful = tasker.findings.indices.filter { tasker.findings[$0].goldCheck?.goldDoubtful == true }
        let side = report.isAgreement ? report.goldName : "gold"
        if !doubtful.isEmpty {
            let trusted = tasker.overallWithoutDoubtfulGold(report.configuration)
            body += "<h2 id=\"doubtful\">\(escape(side.prefix(1).uppercased() + side.dropFirst())) to review (\(doubtful.count))</h2>\n<p class=\"muted\">The lidar returns favour "
                + "\(escape(tasker.name))'s box over the \(escape(side)) box here, or the \(escape(side)) box holds almost no returns. "
                + (report.configuration.goldCheck.countInGate ? "These findings count in the gate metric (goldCheck.countInGate)."
                   : "These findings are left out of the gate metric: without them precision \(format(trusted.precision)), recall \(format(trusted.recall)), F1 \(format(trusted.f1)).")
                + "</p>\n<ol>\n"
            for k in doubtful {
                let f = tasker.findings[k]
                body += "<li><a href=\"#f\(k)\">\(escape(f.kind.rawValue)) in frame \(escape(f.frame))</a>: \(escape(f.message)) — "
                    + "\(escape(f.goldCheck!.describe(goldName: report.goldName, labelledName: tasker.name)))</li>\n"
            }
            body += "</ol>\n"
        }
        body += "<h2>Findings (\(tasker.findings.count))\(groupsByFrame ? ", by frame" : ", costliest first")</h2>\n"
            + "<p class=\"muted\">Cost: the kind's weight (\(escape(report.configuration.findingCost.weights.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \(format($0.value, 1))" }.joined(separator: ", "))))"
            + " × \(format(report.configuration.findingCost.halfRange, 0)) / (\(format(report.configuration.findingCost.halfRange, 0)) + range in metres): misses and extras near the ego first.</p>\n"
            + "<p class=\"legend\">Pictures: <span style=\"background:\(goldColor)\"></span>\(escape(report.goldName)) "
            + "<span style=\"background:\(labelledColor)\"></span>\(escape(tasker.name)); the short line marks each box's front; "
            + "the sensor's forward direction is up; the yellow arrow points to the ego; the white bar is the scale.</p>\n"
        if groupsByFrame {
            var order: [String] = [], members: [String: [Int]] = [:]
            for (k, f) in tasker.findings.enumerated() {
                if members[f.frame] == nil { order.append(f.frame) }
                members[f.frame, default: []].append(k)
            }
            for frame in order {
                let ks = members[frame]!
                body += "<h3 class=\"frame-group\" data-frame=\"\(escape(frame))\">Frame \(escape(frame)): \(ks.count) finding(s), cost \(String(format: "%.3f", ks.reduce(0) { $0 + tasker.findings[$1].cost }))"
                    + (framePages.contains(frame) ? " · <a href=\"\(framePageName(tasker: tasker.name, frame: frame))\">full bird's-eye view</a>" : "") + "</h3>\n"
                for k in ks { body += findingRow(tasker.findings[k], number: k, tasker: tasker, report: report, framePages: framePages) }
            }
        } else {
            for (k, f) in tasker.findings.enumerated() { body += findingRow(f, number: k, tasker: tasker, report: report, framePages: framePages) }
        }
        return body
    }

    static func taskerPage(_ tasker: TaskerReport, report: QAReport, groupsByFrame: Bool = false) -> String {
        var body = "<p><a href=\"index.html\">← all taskers</a></p><h1>\(escape(tasker.name))</h1>\n"
        body += "<p class=\"muted\">\(escape(criterionText(report)))</p>\n<h2>Classes</h2>\n"
        body += "<table><tr><th class=\"l\">class</th>\(detectionHeader)<th>inaccurate</th><th>AP (101)</th><th>AP (R40)</th>"
            + "<th>MOTA</th><th>MOTP</th><th>IDF1</th><th>ID sw.</th><th>frag.</th></tr>\n"
        for c in tasker.classes + [ClassReport(category: "all", detection: tasker.overall)] {
            let t = c.tracking
            body += "<tr><td class=\"l\">\(escape(c.category))</td>\(detectionCells(c.detection))<td>\(c.detection.inaccurate)</td>"
                + "<td>\(format(c.averagePrecision?.coco101))</td><td>\(format(c.averagePrecision?.r40))</td><td>\(format(t?.mota))</td>"
                + "<td>\(format(t?.motp))</td><td>\(format(t?.idf1))</td><td>\(t.map { "\($0.identitySwitches)" } ?? "–")</td>"
                + "<td>\(t.map { "\($0.fragmentations)" } ?? "–")</td></tr>\n"
        }
        body += "</table>\n"
        if !tasker.confusion.isEmpty {
            let goldClasses = Array(Set(tasker.confusion.map(\.gold))).sorted(), labelClasses = Array(Set(tasker.confusion.map(\.labelled))).sorted()
            var cells: [String: Int] = [:]
            for cell in tasker.confusion { cells[cell.gold + "\u{0}" + cell.labelled] = cell.count }
            body += "<h2>Classes confused (rows: gold, columns: labelled; none: missed or extra)</h2>\n<table><tr><th class=\"l\">gold \\ labelled</th>"
            body += labelClasses.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            for g in goldClasses {
                body += "<tr><th class=\"l\">\(escape(g))</th>" + labelClasses.map { l in
                    let count = cells[g + "\u{0}" + l] ?? 0
                    return "<td\(g != l && count > 0 ? " class=\"bad\"" : "")>\(count)</td>"
                }.joined() + "</tr>\n"
            }
            body += "</table>\n"
        }
        if !tasker.attributes.isEmpty {
            body += "<h2>Attributes of matched boxes</h2>\n<table><tr><th class=\"l\">attribute</th><th>compared</th><th>agreed</th><th>rate</th></tr>\n"
            for a in tasker.attributes {
                body += "<tr><td class=\"l\">\(escape(a.attribute))</td><td>\(a.compared)</td><td>\(a.agreed)</td><td>\(format(a.rate))</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += "<h2>Skipped or ignored</h2><p>\(skipsText(tasker.skips))</p>\n"
        body += findingsSection(tasker, report: report, groupsByFrame: groupsByFrame)
        body += "<h2>Frames</h2>\n<table><tr><th class=\"l\">frame</th>\(detectionHeader)</tr>\n"
        for frame in tasker.frames { body += "<tr><td class=\"l\">\(escape(frame.frame))</td>\(detectionCells(frame.detection))</tr>\n" }
        body += "</table>\n"
        return page(title: "Cuboid QA: \(tasker.name)", body: body)
    }
}

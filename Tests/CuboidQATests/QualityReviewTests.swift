import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidQA
import CuboidQAHistory
import CuboidSQLite
import CuboidTestSupport
import Foundation
import Testing

private func car(_ x: Double, _ y: Double, yaw: Double = 0, length: Double = 4, width: Double = 2, category: String = "Car",
                 track: String? = nil, score: Double? = nil) -> LabeledObject {
    LabeledObject(trackID: track, category: category, cuboid: Box3D(x: x, y: y, z: 0, length: length, width: width, height: 1.5, yaw: yaw),
                  score: score)
}

private func frames(_ objects: [[LabeledObject]]) -> LabelSet {
    LabelSet(frames: objects.enumerated().map { LabeledFrame(name: String(format: "%06d", $0), objects: $1) })
}

private func review(_ gold: [[LabeledObject]], _ labelled: [[LabeledObject]], configuration: QAConfiguration = QAConfiguration()) throws -> TaskerReport {
    try QualityReview.evaluate(gold: frames(gold), taskers: [TaskerLabels(name: "t", labels: frames(labelled))], configuration: configuration,
                               threads: 1).taskers[0]
}

private func detection(_ report: TaskerReport, _ category: String) -> DetectionMetrics {
    report.classes.first { $0.category == category }!.detection
}

@Suite("QA matching and feedback")
struct MatchingTests {
    @Test("identical boxes match with IoU 1 and no finding; an empty frame on both sides scores nothing")
    func identical() throws {
        let report = try review([[car(10, 0)], []], [[car(10, 0)], []])
        let d = detection(report, "Car")
        #expect(d.truePositives == 1 && d.falsePositives == 0 && d.falseNegatives == 0)
        #expect(abs(d.meanIoU! - 1) < 1e-12 && d.meanTranslationError! < 1e-12 && d.meanScaleError! < 1e-12)
        #expect(report.findings.isEmpty)
        #expect(report.overall.f1 == 1)
    }

    @Test("a car 1 m forward has BEV IoU 3/5 (hand-computed): below Car's 0.7 it is reported as too far off, with the offset in words")
    func belowThreshold() throws {
        let report = try review([[car(10, 0)]], [[car(11, 0)]])
        let d = detection(report, "Car")
        #expect(d.truePositives == 0 && d.falseNegatives == 1 && d.falsePositives == 1)
        let finding = try #require(report.findings.first)
        #expect(report.findings.count == 1 && finding.kind == .belowThreshold)
        #expect(abs(finding.overlap! - 0.6) < 1e-12)
        #expect(finding.message.contains("centre 1.00 m too far forward") && finding.message.contains("needs 0.70"), "\(finding.message)")
        // The same pair as pedestrians (threshold 0.5) matches, and is inaccurate.
        let pedestrians = try review([[car(10, 0, category: "Pedestrian")]], [[car(11, 0, category: "Pedestrian")]])
        #expect(detection(pedestrians, "Pedestrian").truePositives == 1 && detection(pedestrians, "Pedestrian").inaccurate == 1)
        #expect(pedestrians.findings.first?.kind == .inaccurate)
    }

    @Test("offsets are in the gold box's frame: a box heading +y that sits 0.5 m towards -x is 0.5 m to its right")
    func offsetInBoxFrame() throws {
        let report = try review([[car(0, 20, yaw: .pi / 2)]], [[car(-0.5, 20, yaw: .pi / 2)]])
        let finding = try #require(report.findings.first)
        #expect(abs(finding.deviation!.left - 0.5) < 1e-12 && abs(finding.deviation!.forward) < 1e-12)
        #expect(finding.message.contains("0.50 m too far left"), "\(finding.message)")
    }

    @Test("yaw wrap-around at ±π: 0.02 rad apart across the cut is a 1.15° turn counter-clockwise, AOE 0.02")
    func yawWrapAround() throws {
        let report = try review([[car(10, 0, yaw: .pi - 0.01)]], [[car(10, 0, yaw: -.pi + 0.01)]])
        let d = detection(report, "Car")
        #expect(d.truePositives == 1)
        #expect(abs(d.meanOrientationError! - 0.02) < 1e-9)
        let c = QAConfiguration()
        let deviation = BoxDeviation(gold: Box3D(x: 0, y: 0, z: 0, length: 4, width: 2, height: 1, yaw: .pi - 0.01),
                                     labelled: Box3D(x: 0, y: 0, z: 0, length: 4, width: 2, height: 1, yaw: -.pi + 0.01))
        #expect(abs(deviation.yawDegrees - 0.02 * 180 / .pi) < 1e-9)
        #expect(deviation.describe(c.tolerances).isEmpty)
    }

    @Test("a reversed heading matches in BEV (same footprint) but is flagged, with AOE π")
    func reversedHeading() throws {
        let report = try review([[car(10, 0, yaw: 0.3)]], [[car(10, 0, yaw: 0.3 + .pi)]])
        #expect(detection(report, "Car").truePositives == 1)
        #expect(abs(detection(report, "Car").meanOrientationError! - .pi) < 1e-9)
        #expect(report.findings.first?.message.contains("heading reversed (yaw 180° off)") == true, "\(report.findings)")
    }

    @Test("a 90° turn of a square box keeps IoU 1; of a 4x2 car gives IoU 1/3 (hand-computed)")
    func rightAngle() throws {
        let square = try review([[car(5, 5, length: 2, width: 2)]], [[car(5, 5, yaw: .pi / 2, length: 2, width: 2)]])
        #expect(abs(detection(square, "Car").meanIoU! - 1) < 1e-12)
        let rectangle = try review([[car(5, 5, category: "Pedestrian")]], [[car(5, 5, yaw: .pi / 2, category: "Pedestrian")]])
        #expect(rectangle.findings.first.map { abs($0.overlap! - 1.0 / 3) < 1e-12 } == true)
    }

    @Test("labelled Van on a gold Car: a miss explained as a class confusion; the Van is not an extra")
    func misclassified() throws {
        let report = try review([[car(10, 0)]], [[car(10.1, 0, category: "Van")]])
        let d = detection(report, "Car")
        #expect(d.falseNegatives == 1 && d.falsePositives == 0)
        let finding = try #require(report.findings.first)
        #expect(report.findings.count == 1 && finding.kind == .misclassified)
        #expect(finding.message.hasPrefix("labelled Van, gold Car"), "\(finding.message)")
        #expect(report.confusion.contains(ConfusionCell(gold: "Car", labelled: "Van", count: 1)))
    }

    @Test("two boxes on one gold car: one match, one duplicate; a box on nothing is an extra; a gold box with nothing near is missed")
    func duplicateExtraMissed() throws {
        let report = try review([[car(10, 0), car(30, 5)]], [[car(10, 0), car(10.05, 0), car(-20, 3)]])
        let d = detection(report, "Car")
        #expect(d.truePositives == 1 && d.falsePositives == 2 && d.falseNegatives == 1)
        let kinds = report.findings.map(\.kind).sorted { $0.rawValue < $1.rawValue }
        #expect(kinds == [.duplicate, .extra, .missed], "\(report.findings.map(\.message))")
        #expect(report.findings.first { $0.kind == .missed }?.message == "missed Car at 30.4 m")
    }

    @Test("a Car box on a gold Van (KITTI's neighbour) is ignored, not an extra; a gold Car beyond the range filter is not missed")
    func ignoredGold() throws {
        var configuration = QAConfiguration()
        configuration.gold.maximumRange = 50
        let report = try review([[car(10, 0, category: "Van"), car(60, 0)]], [[car(10, 0)]], configuration: configuration)
        let d = detection(report, "Car")
        #expect(d.truePositives == 0 && d.falsePositives == 0 && d.falseNegatives == 0 && d.ignoredLabels == 1)
        #expect(report.skips.ignoredGold == 1)
        #expect(report.findings.isEmpty)
    }

    @Test("a 2D box at least half inside a DontCare region is ignored")
    func dontCare() throws {
        var configuration = QAConfiguration()
        configuration.match = .iou2D
        let region = LabeledObject(category: "DontCare", boxes: ["image": Box2D(minX: 100, minY: 100, maxX: 200, maxY: 200)])
        let gold = [region, LabeledObject(category: "Car", boxes: ["image": Box2D(minX: 0, minY: 0, maxX: 50, maxY: 50)])]
        let labelled = [LabeledObject(category: "Car", boxes: ["image": Box2D(minX: 120, minY: 120, maxX: 180, maxY: 210)]),
                        LabeledObject(category: "Car", boxes: ["image": Box2D(minX: 0, minY: 0, maxX: 50, maxY: 50)])]
        let d = detection(try review([gold], [labelled], configuration: configuration), "Car")
        #expect(d.truePositives == 1 && d.falsePositives == 0 && d.ignoredLabels == 1)
    }

    @Test("zero-size and touching boxes do not match and do not crash")
    func degenerate() throws {
        let report = try review([[car(10, 0, length: 0, width: 0), car(20, 0)]], [[car(10, 0, length: 0, width: 0), car(24, 0)]])
        let d = detection(report, "Car")
        #expect(d.truePositives == 0 && d.falseNegatives == 2 && d.falsePositives == 2)
    }
}

@Suite("QA figures")
struct FigureTests {
    @Test("AP of three scored boxes on two gold cars (hit 0.9, miss 0.8, hit 0.7): COCO 101-point 84.33/101, R40 (20 + 40/3)/40")
    func averagePrecision() throws {
        let gold = [[car(0, 10), car(0, 20)]]
        let labelled = [[car(0, 10, score: 0.9), car(0, -30, score: 0.8), car(0, 20, score: 0.7)]]
        let ap = try #require(try review(gold, labelled).classes.first { $0.category == "Car" }?.averagePrecision)
        #expect(abs(ap.coco101 - (51 + 50 * 2.0 / 3) / 101) < 1e-12, "\(ap)")
        #expect(abs(ap.r40 - (20 + 20 * 2.0 / 3) / 40) < 1e-12, "\(ap)")
    }

    @Test("no AP without scores; no tracking without track ids")
    func optionalFigures() throws {
        let report = try review([[car(0, 10)]], [[car(0, 10)]])
        #expect(report.classes.allSatisfy { $0.averagePrecision == nil && $0.tracking == nil })
    }

    @Test("a gold track followed by track 1, then track 2: one identity switch, MOTA 3/4, IDF1 1/2; a missed middle frame is a fragmentation")
    func tracking() throws {
        let gold = (0..<4).map { [car(Double($0), 0, track: "A")] }
        let labelled = (0..<4).map { [car(Double($0), 0, track: $0 < 2 ? "1" : "2")] }
        let t = try #require(try review(gold, labelled).classes.first { $0.category == "Car" }?.tracking)
        #expect(t.identitySwitches == 1 && t.matches == 3 && abs(t.mota! - 0.75) < 1e-12 && abs(t.idf1! - 0.5) < 1e-12)
        let gapped = (0..<4).map { $0 == 2 ? [] : [car(Double($0), 0, track: "1")] }
        let g = try #require(try review(gold, gapped).classes.first { $0.category == "Car" }?.tracking)
        #expect(g.fragmentations == 1 && g.misses == 1 && g.identitySwitches == 0 && abs(g.idf1! - 6.0 / 7) < 1e-12)
    }

    @Test("agreement is symmetric: matches, F1, mean IoU and errors equal either way round; precision and recall swap")
    func agreementIsSymmetric() throws {
        let batch = SyntheticQABatch.make(frames: 12, boxesPerFrame: 20, taskers: 2, seed: 4)
        let forward = try QualityReview.agreement(batch.taskers[0], batch.taskers[1], configuration: QAConfiguration(), threads: 1).taskers[0]
        let backward = try QualityReview.agreement(batch.taskers[1], batch.taskers[0], configuration: QAConfiguration(), threads: 1).taskers[0]
        #expect(forward.overall.truePositives == backward.overall.truePositives && forward.overall.truePositives > 100)
        #expect(forward.overall.f1 == backward.overall.f1)
        #expect(abs(forward.overall.meanIoU! - backward.overall.meanIoU!) < 1e-12)
        #expect(abs(forward.overall.meanTranslationError! - backward.overall.meanTranslationError!) < 1e-12)
        #expect(forward.overall.precision == backward.overall.recall)
    }

    @Test("three shards, stored as JSON and merged, give the report of one run; a missing or repeated shard is refused")
    func shardsMerge() throws {
        let batch = SyntheticQABatch.make(frames: 20, boxesPerFrame: 15, taskers: 2, seed: 12)
        let configuration = QAConfiguration()
        let whole = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: configuration, threads: 2)
        let shards = try (1...3).map { k in
            try QAShard.decode(try QualityReview.scoreShard(gold: batch.gold, taskers: batch.taskers, configuration: configuration,
                                                            shard: BatchShard(index: k, count: 3), threads: 1).encoded())
        }
        #expect(shards.map(\.scoredFrames) == [7, 7, 6])
        #expect(try QualityReview.report(merging: shards.reversed()) == whole)
        #expect(throws: QAMergeError.self) { try QualityReview.report(merging: Array(shards.prefix(2))) }
        #expect(throws: QAMergeError.self) { try QualityReview.report(merging: shards + [shards[0]]) }
    }

    @Test("the same report on 1 and 2 threads", arguments: [MatchCriterion.bevIoU, .iou3D, .centerDistance])
    func threadIndependence(criterion: MatchCriterion) throws {
        let batch = SyntheticQABatch.make(frames: 30, boxesPerFrame: 25, taskers: 3, seed: 9)
        var configuration = QAConfiguration()
        configuration.match = criterion
        let one = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: configuration, threads: 1)
        let two = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: configuration, threads: 2)
        #expect(one == two)
        #expect(one.taskers.allSatisfy { $0.classes.allSatisfy { $0.tracking != nil && $0.averagePrecision != nil } })
    }
}

@Suite("QA inputs")
struct InputTests {
    @Test("frames missing on one side are skipped and listed, scored as empty, or refused, as configured")
    func missingFrames() throws {
        let gold = frames([[car(10, 0)], [car(10, 0)]])
        let labelled = LabelSet(frames: [LabeledFrame(name: "000000", objects: [car(10, 0)]), LabeledFrame(name: "000009", objects: [car(5, 5)])])
        var configuration = QAConfiguration()
        let skipped = try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "t", labels: labelled)], configuration: configuration).taskers[0]
        #expect(skipped.skips.framesOnlyInGold == ["000001"] && skipped.skips.framesOnlyInLabels == ["000009"])
        #expect(skipped.overall.truePositives == 1 && skipped.overall.falseNegatives == 0 && skipped.overall.falsePositives == 0)
        configuration.missingFrames = .countAsMissed
        let empty = try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "t", labels: labelled)], configuration: configuration).taskers[0]
        #expect(empty.overall.falseNegatives == 1 && empty.overall.falsePositives == 1 && empty.frames.count == 3)
        configuration.missingFrames = .error
        #expect(throws: QAInputError.missingFrames(side: "tasker t", frames: ["000001"])) {
            try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "t", labels: labelled)], configuration: configuration)
        }
    }

    @Test("an unknown class is counted and skipped, or refused with the frame and name")
    func unknownClass() throws {
        let report = try review([[car(10, 0)]], [[car(10, 0), car(20, 0, category: "Cra")]])
        #expect(report.skips.unknownLabelClasses == ["Cra": 1])
        #expect(detection(report, "Car").falsePositives == 0)
        var configuration = QAConfiguration()
        configuration.unknownClasses = .error
        #expect(throws: QAInputError.unknownClass(side: "tasker t", frame: "000000", name: "Cra")) {
            try review([[car(10, 0)]], [[car(10, 0), car(20, 0, category: "Cra")]], configuration: configuration)
        }
        configuration.classMap = ["Cra": "Car"]
        #expect(detection(try review([[car(10, 0)]], [[car(10, 0, category: "Cra")]], configuration: configuration), "Car").truePositives == 1)
    }

    @Test("boxes without the compared geometry are counted, not dropped silently")
    func missingGeometry() throws {
        let report = try review([[car(10, 0)]], [[car(10, 0), LabeledObject(category: "Car", boxes: ["image_2": Box2D(x: 0, y: 0, width: 5, height: 5)])]])
        #expect(report.skips.labelsWithoutGeometry == 1 && detection(report, "Car").falsePositives == 0)
    }

    @Test("duplicate frame names and duplicate tasker names are refused")
    func duplicates() throws {
        let twice = LabelSet(frames: [LabeledFrame(name: "a"), LabeledFrame(name: "a")])
        #expect(throws: QAInputError.duplicateFrame(side: "gold", frame: "a")) {
            try QualityReview.evaluate(gold: twice, taskers: [TaskerLabels(name: "t", labels: LabelSet())], configuration: QAConfiguration())
        }
        #expect(throws: QAInputError.self) {
            try QualityReview.evaluate(gold: LabelSet(), taskers: [TaskerLabels(name: "t", labels: LabelSet()), TaskerLabels(name: "t", labels: LabelSet())],
                                       configuration: QAConfiguration())
        }
    }
}

@Suite("QA configuration")
struct ConfigurationTests {
    @Test("the defaults are KITTI's and survive a round trip through their JSON")
    func roundTrip() throws {
        let defaults = QAConfiguration()
        #expect(defaults.classes["Car"]?.threshold == 0.7 && defaults.classes["Pedestrian"]?.threshold == 0.5 && defaults.classes["Cyclist"]?.threshold == 0.5)
        #expect(try QAConfiguration.decode(defaults.encoded) == defaults)
        let partial = try QAConfiguration.decode(Array(#"{"match": "iou-3d", "classes": {"Car": {"threshold": 0.5}}}"#.utf8))
        #expect(partial.match == .iou3D && partial.classes.keys.sorted() == ["Car"] && partial.tolerances == Tolerances())
    }

    @Test("bad configurations name the key and line", arguments: [
        (#"{"clases": {}}"#, "line 1: unknown key clases"),
        ("{\n\"classes\": {\"Car\": {\"threshold\": 1.5}}}", "classes.Car.threshold: expected a number in (0, 1]"),
        (#"{"match": "iou"}"#, "match: expected one of bev-iou, iou-3d, iou-2d, center-distance"),
        (#"{"version": 2}"#, "version: expected 1"),
        ("{\"gold\": {\"minimumPoints\": 1.5}}", "gold.minimumPoints: expected an integer"),
        ("{\"tolerances\": [1]", "line 1, column"),
    ])
    func badConfiguration(text: String, expected: String) {
        do {
            _ = try QAConfiguration.decode(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }
}

@Suite("QA report and history", .serialized)
struct ReportTests {
    @Test("the report folder holds the pages, JSON and CSV, and a bird's-eye picture for every finding with a cuboid")
    func writesReport() throws {
        let folder = NSTemporaryDirectory() + "cuboid-qa-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let batch = SyntheticQABatch.make(frames: 4, boxesPerFrame: 10, taskers: 2, seed: 3)
        let report = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: QAConfiguration(), threads: 1)
        let written = try QAReportWriter().write(report, sequence: nil, to: folder)
        for name in ["index.html", "tasker-tasker1.html", "tasker-tasker2.html", "report.json", "metrics.csv", "findings.csv"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
        }
        let findings = written.taskers.flatMap(\.findings)
        #expect(!findings.isEmpty && findings.allSatisfy { $0.pictures.count == 1 })
        let page = try String(contentsOfFile: folder + "/tasker-tasker1.html", encoding: .utf8)
        let sources = page.components(separatedBy: "<img src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(sources.count == written.taskers[0].findings.count)
        #expect(sources.allSatisfy { FileManager.default.fileExists(atPath: folder + "/" + $0) })
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as? [String: Any])
        #expect((json["taskers"] as? [Any])?.count == 2)
        let csv = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 2 * 4)
    }

    @Test("the history keeps every run per tasker and batch, oldest first")
    func history() throws {
        let path = NSTemporaryDirectory() + "cuboid-qa-history-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let batch = SyntheticQABatch.make(frames: 3, boxesPerFrame: 8, taskers: 2, seed: 5)
        let report = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: QAConfiguration(), threads: 1)
        let store = try QAHistory(path: path)
        try store.record(report, batch: "monday", date: Date(timeIntervalSince1970: 1_000))
        try store.record(report, batch: "tuesday", date: Date(timeIntervalSince1970: 90_000))
        let reopened = try QAHistory(path: path)
        let entries = try reopened.entries(tasker: "tasker2")
        #expect(entries.map(\.batch) == ["monday", "tuesday"])
        #expect(entries[0].f1 == report.taskers[1].overall.f1 && entries[0].truePositives == report.taskers[1].overall.truePositives)
        #expect(try reopened.entries().count == 4)
    }

    /// Rows of `run` and `run_class` per batch, read with GRDB behind the store's back.
    private func rowCounts(_ path: String) throws -> (runs: [String: Int], classes: Int) {
        try DatabaseQueue(path: path).read { db in
            let runs = try Row.fetchAll(db, sql: "SELECT batch, COUNT(*) AS n FROM run GROUP BY batch")
            return (Dictionary(uniqueKeysWithValues: runs.map { (String.fromDatabaseValue($0["batch"])!, Int.fromDatabaseValue($0["n"])!) }),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run_class")!)
        }
    }

    @Test("recording a batch again replaces each tasker's earlier run of it and its class rows")
    func rerunReplaces() throws {
        let path = NSTemporaryDirectory() + "cuboid-qa-history-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let batch = SyntheticQABatch.make(frames: 3, boxesPerFrame: 8, taskers: 2, seed: 5)
        let report = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: QAConfiguration(), threads: 1)
        let other = SyntheticQABatch.make(frames: 3, boxesPerFrame: 8, taskers: 2, seed: 6)
        let rerun = try QualityReview.evaluate(gold: other.gold, taskers: other.taskers, configuration: QAConfiguration(), threads: 1)
        #expect(rerun.taskers[1].overall.f1 != report.taskers[1].overall.f1)
        let store = try QAHistory(path: path)
        try store.record(report, batch: "monday", date: Date(timeIntervalSince1970: 1_000))
        try store.record(report, batch: "tuesday", date: Date(timeIntervalSince1970: 90_000))
        try store.record(rerun, batch: "monday", date: Date(timeIntervalSince1970: 180_000))
        let entries = try store.entries(tasker: "tasker2")
        #expect(entries.map(\.batch) == ["tuesday", "monday"])
        #expect(entries[1].f1 == rerun.taskers[1].overall.f1 && entries[1].recordedAt == "1970-01-03T02:00:00Z")
        let counts = try rowCounts(path)
        #expect(counts.runs == ["monday": 2, "tuesday": 2])
        // The class rows are those of a history that only ever saw the two runs kept.
        let reference = path + "-reference"
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try QAHistory(path: reference).record(report, batch: "tuesday", date: Date(timeIntervalSince1970: 90_000))
        try QAHistory(path: reference).record(rerun, batch: "monday", date: Date(timeIntervalSince1970: 180_000))
        #expect(counts.classes == (try rowCounts(reference).classes))
    }

    @Test("migration v2 keeps the newest of the duplicate rows a version 1 history holds, and adds the unique index")
    func migrationRemovesDuplicates() throws {
        let path = NSTemporaryDirectory() + "cuboid-qa-history-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let batch = SyntheticQABatch.make(frames: 3, boxesPerFrame: 8, taskers: 2, seed: 5)
        let report = try QualityReview.evaluate(gold: batch.gold, taskers: batch.taskers, configuration: QAConfiguration(), threads: 1)
        try QAHistory(path: path).record(report, batch: "monday", date: Date(timeIntervalSince1970: 1_000))
        // Back to version 1: no unique index, and the same batch recorded twice more (the newest in the middle).
        let kept = try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP INDEX run_batch_tasker")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2'")
            for (id, stamp) in [(10, "1970-01-05T00:00:00Z"), (11, "1970-01-02T00:00:00Z")] {
                try db.execute(sql: """
                    INSERT INTO run (id, batch, tasker, recordedAt, frames, truePositives, falsePositives, falseNegatives, precision, recall, f1,
                                     findings, criterion, configuration) VALUES (?, 'monday', 'tasker1', ?, 3, \(id), 0, 0, 1, 1, 1, 0, 'bev-iou', '{}')
                    """, arguments: [id, stamp])
                try db.execute(sql: "INSERT INTO run_class (runId, category, truePositives, falsePositives, falseNegatives, f1) VALUES (?, 'Car', 1, 0, 0, 1)",
                               arguments: [id])
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run_class WHERE runId IN (SELECT id FROM run WHERE tasker = 'tasker2')")!
        }
        let migrated = try QAHistory(path: path)
        let entries = try migrated.entries()
        #expect(entries.map(\.tasker) == ["tasker1", "tasker2"])
        #expect(entries[0].truePositives == 10 && entries[0].recordedAt == "1970-01-05T00:00:00Z")
        #expect(try rowCounts(path).classes == kept + 1)
        let indexes = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'") }
        #expect(indexes.contains("run_batch_tasker"))
    }

    @Test("a file that is no database is refused with its path and SQLite's reason")
    func garbageDatabaseIsNamed() throws {
        let path = NSTemporaryDirectory() + "cuboid-qa-history-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try String(repeating: "these are QA notes, not a database\n", count: 50).write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try QAHistory(path: path)
            Issue.record("a text file opened as a history database")
        } catch {
            #expect(error.path == path)
            #expect(error.code == 26 && error.reason.contains("file is not a database"), "\(error)")
            #expect(error.description.hasPrefix(path + ": cannot "), "\(error)")
        }
    }
}

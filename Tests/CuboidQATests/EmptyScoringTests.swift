import CuboidFormats
import CuboidGeometry
import CuboidQA
import CuboidQAHistory
import Foundation
import CuboidSQLite
import Testing

private func box(_ x: Double, _ y: Double, _ category: String = "Car", yaw: Double = 0) -> LabeledObject {
    LabeledObject(category: category, cuboid: Box3D(x: x, y: y, z: 0, length: 4, width: 2, height: 1.5, yaw: yaw))
}

private func set(_ frames: [[LabeledObject]], names: [String]? = nil) -> LabelSet {
    LabelSet(frames: frames.enumerated().map { LabeledFrame(name: names?[$0] ?? String(format: "%06d", $0), objects: $1) })
}

/// One empty or one-sided input, and what QA must answer for it.
struct EmptyScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var gold: [[LabeledObject]]
    var labelled: [[LabeledObject]]
    var labelNames: [String]? = nil
    var configure: @Sendable (inout QAConfiguration) -> Void = { _ in }
    /// Whether the run scores nothing (an error without --allow-empty).
    var empty: Bool
    /// Expected class figures: class -> (precision, recall, f1, scored).
    var classes: [String: (Double?, Double?, Double?, Bool)]
    var testDescription: String { name }
}

private let scenarios: [EmptyScenario] = [
    EmptyScenario(name: "no frame names in common", gold: [[box(10, 0)]], labelled: [[box(10, 0)]], labelNames: ["frame_a"], empty: true,
                  classes: ["Car": (nil, nil, nil, false), "Cyclist": (nil, nil, nil, false)]),
    EmptyScenario(name: "class names in another case match without case", gold: [[box(10, 0, "car")]], labelled: [[box(10, 0, "CAR")]],
                  empty: false, classes: ["Car": (1, 1, 1, true), "Pedestrian": (nil, nil, nil, false)]),
    EmptyScenario(name: "class names in another case, case-sensitive and no renames: nothing scored", gold: [[box(10, 0, "CAR")]],
                  labelled: [[box(10, 0, "CAR")]], configure: { $0.caseSensitiveClasses = true; $0.classMap = [:] }, empty: true,
                  classes: ["Car": (nil, nil, nil, false)]),
    EmptyScenario(name: "a class only the tasker has: precision 0, recall n/a", gold: [[box(10, 0)]],
                  labelled: [[box(10, 0), box(20, 5, "Cyclist"), box(30, 5, "Cyclist")]], empty: false,
                  classes: ["Car": (1, 1, 1, true), "Cyclist": (0, nil, 0, true), "Pedestrian": (nil, nil, nil, false)]),
    EmptyScenario(name: "a class only the gold has: precision n/a, recall 0", gold: [[box(10, 0), box(20, 5, "Pedestrian")]],
                  labelled: [[box(10, 0)]], empty: false, classes: ["Car": (1, 1, 1, true), "Pedestrian": (nil, 0, 0, true)]),
    EmptyScenario(name: "SUSTechPOINTS Rider is Cyclist, as in prelabel --score", gold: [[box(10, 0, "Cyclist")]], labelled: [[box(10, 0, "Rider")]],
                  empty: false, classes: ["Cyclist": (1, 1, 1, true)]),
    EmptyScenario(name: "frames in common, no box of an evaluated class on either side", gold: [[box(10, 0, "Van")]], labelled: [[box(10, 0, "Misc")]],
                  empty: true, classes: ["Car": (nil, nil, nil, false)]),
    EmptyScenario(name: "both sides beyond the range: nothing scored, not a false positive", gold: [[box(45, 0)]], labelled: [[box(60, 0)]],
                  configure: { $0.gold.maximumRange = 40 }, empty: true, classes: ["Car": (nil, nil, nil, false)]),
    EmptyScenario(name: "a far tasker box beside a near match is left out, not an extra", gold: [[box(10, 0)]], labelled: [[box(10, 0), box(52, 3)]],
                  configure: { $0.gold.maximumRange = 40 }, empty: false, classes: ["Car": (1, 1, 1, true)]),
]

@Suite("QA on empty and one-sided inputs")
struct EmptyScoringTests {
    @Test("figures, not-scored classes and the nothing-scored error", arguments: scenarios)
    func scenario(_ scenario: EmptyScenario) throws {
        var configuration = QAConfiguration()
        scenario.configure(&configuration)
        let report = try QualityReview.evaluate(gold: set(scenario.gold), taskers: [TaskerLabels(name: "t", labels: set(scenario.labelled, names: scenario.labelNames))],
                                                configuration: configuration, threads: 1)
        let tasker = report.taskers[0]
        for (category, expected) in scenario.classes {
            let d = try #require(tasker.classes.first { $0.category == category }).detection
            #expect(d.precision == expected.0 && d.recall == expected.1 && d.f1 == expected.2 && d.isScored == expected.3,
                    "\(category): precision \(String(describing: d.precision)) recall \(String(describing: d.recall)) f1 \(String(describing: d.f1))")
        }
        if scenario.empty {
            #expect(tasker.value(of: .f1) == nil && tasker.value(of: .precision) == nil && tasker.value(of: .recall) == nil)
            #expect(throws: QAInputError.self) { try report.requireScored() }
        } else {
            try report.requireScored()
        }
        // Findings never lie beyond the configured range.
        if let range = configuration.gold.maximumRange { #expect(tasker.findings.allSatisfy { ($0.range ?? 0) <= range }, "\(tasker.findings.map(\.message))") }
    }

    @Test("QA's default class renames are the table prelabel --score uses")
    func oneClassTable() {
        #expect(QAConfiguration().classMap == ClassNames.kittiAliases)
        #expect(QAConfiguration().canonical("RIDER") == "Cyclist" && QAConfiguration().canonical("van") == "Van")
    }

    @Test("the nothing-scored message names both sides' frames")
    func noCommonFramesMessage() throws {
        let report = try QualityReview.evaluate(gold: set([[box(10, 0)], [box(10, 0)]]),
                                                taskers: [TaskerLabels(name: "alice", labels: set([[box(10, 0)]], names: ["frame_a"]))],
                                                configuration: QAConfiguration(), threads: 1)
        do {
            try report.requireScored()
            Issue.record("an empty run passed")
        } catch {
            let text = "\(error)"
            #expect(text.contains("no frame names in common") && text.contains("2 frames: 000000, 000001") && text.contains("1 frame: frame_a"), "\(text)")
        }
    }

    @Test("names matched without case are listed; Car's MOTA is n/a without gold")
    func renamedAndTracking() throws {
        var car = box(10, 0, "car")
        car.trackID = "1"
        let report = try QualityReview.evaluate(gold: set([[]]), taskers: [TaskerLabels(name: "t", labels: set([[car]]))],
                                                configuration: QAConfiguration(), threads: 1).taskers[0]
        #expect(report.skips.renamedClasses == ["car -> Car": 1])
        let c = try #require(report.classes.first { $0.category == "Car" })
        #expect(c.detection.precision == 0 && c.detection.recall == nil)
        #expect(c.tracking.map { $0.mota == nil } ?? true && report.value(of: .mota) == nil)
    }

    @Test("a tasker's box beyond the range is left out (counted), a gold box beyond it is ignored; within it both count")
    func rangeFiltersBothSides() throws {
        var configuration = QAConfiguration()
        configuration.gold.maximumRange = 40
        let report = try QualityReview.evaluate(gold: set([[box(10, 0), box(45, 0)]]),
                                                taskers: [TaskerLabels(name: "t", labels: set([[box(10, 0), box(38, 0), box(52, 3), box(71, -4)]]))],
                                                configuration: configuration, threads: 1).taskers[0]
        #expect(report.overall.truePositives == 1 && report.overall.falsePositives == 1 && report.overall.falseNegatives == 0)
        #expect(report.skips.filteredLabels == 2 && report.skips.ignoredGold == 1)
        #expect(report.findings.map(\.kind) == [.extra] && report.findings[0].range! < 40)
    }

    @Test("heading words: reversed only near 180°, 'heading off by N°' between, as configured", arguments: [
        (170.0, "heading reversed (yaw 170° off)"), (135.0, "heading off by 135° counter-clockwise"), (-100.0, "heading off by 100° clockwise"),
        (30.0, "yaw 30° counter-clockwise"),
    ])
    func headingWords(degrees: Double, words: String) {
        let deviation = BoxDeviation(gold: Box3D(x: 10, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0),
                                     labelled: Box3D(x: 10, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: degrees * .pi / 180))
        #expect(deviation.describe(Tolerances()).contains(words), "\(deviation.describe(Tolerances()))")
    }

    @Test("KITTI occluded -1 (unknown) is not compared; 0 against 2 is a disagreement")
    func unknownOcclusion() throws {
        func car(_ occluded: Double) -> LabeledObject {
            var object = box(10, 0)
            object.attributes["occluded"] = .number(occluded)
            return object
        }
        let report = try QualityReview.evaluate(gold: set([[car(-1)], [car(0)]]), taskers: [TaskerLabels(name: "t", labels: set([[car(2)], [car(2)]]))],
                                                configuration: QAConfiguration(), threads: 1).taskers[0]
        let occluded = try #require(report.attributes.first { $0.attribute == "occluded" })
        #expect(occluded.compared == 1 && occluded.agreed == 0)
    }

    @Test("history stores undefined figures as NULL, and a version 2 database migrates keeping its rows")
    func historyNulls() throws {
        let path = NSTemporaryDirectory() + "cuboid-qa-empty-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A version 2 database with one row, as the earlier schema wrote it.
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE run (id INTEGER PRIMARY KEY AUTOINCREMENT, batch TEXT NOT NULL, tasker TEXT NOT NULL, recordedAt TEXT NOT NULL,
                  frames INTEGER NOT NULL, truePositives INTEGER NOT NULL, falsePositives INTEGER NOT NULL, falseNegatives INTEGER NOT NULL,
                  precision DOUBLE NOT NULL, recall DOUBLE NOT NULL, f1 DOUBLE NOT NULL, meanIoU DOUBLE, findings INTEGER NOT NULL,
                  criterion TEXT NOT NULL, configuration TEXT NOT NULL);
                CREATE INDEX run_tasker ON run(tasker, recordedAt);
                CREATE TABLE run_class (runId INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, category TEXT NOT NULL,
                  truePositives INTEGER NOT NULL, falsePositives INTEGER NOT NULL, falseNegatives INTEGER NOT NULL, f1 DOUBLE NOT NULL,
                  meanIoU DOUBLE, averagePrecision DOUBLE, mota DOUBLE);
                CREATE INDEX index_run_class_on_runId ON run_class(runId);
                INSERT INTO run VALUES (1, 'old', 'bob', '1970-01-01T00:00:00Z', 2, 1, 0, 1, 1.0, 0.5, 0.6666, 0.9, 1, 'bev-iou', '{}');
                INSERT INTO run_class VALUES (1, 'Car', 1, 0, 1, 0.6666, 0.9, NULL, NULL);
                """)
        }
        migrator.registerMigration("v2") { db in try db.create(index: "run_batch_tasker", on: "run", columns: ["batch", "tasker"], unique: true) }
        try migrator.migrate(try DatabaseQueue(path: path))
        let store = try QAHistory(path: path)
        let report = try QualityReview.evaluate(gold: set([[]]), taskers: [TaskerLabels(name: "bob", labels: set([[box(10, 0)]]))],
                                                configuration: QAConfiguration(), threads: 1)
        try store.record(report, batch: "new", date: Date(timeIntervalSince1970: 1_000))
        let entries = try store.entries(tasker: "bob")
        #expect(entries.map(\.batch) == ["old", "new"])
        #expect(entries[0].recall == 0.5 && entries[1].precision == 0 && entries[1].recall == nil && entries[1].f1 == 0)
        let classes = try DatabaseQueue(path: path).read { db in try Row.fetchAll(db, sql: "SELECT category, f1 FROM run_class ORDER BY runId, category") }
        // The old Car row, then the new run's classes: Car (precision 0, F1 0) and the not-scored ones (NULL F1).
        #expect(classes.count == 4 && classes.filter { ($0["f1"] as Double?) == nil }.count == 2)
    }
}

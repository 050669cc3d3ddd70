import CuboidFormats
import CuboidGeometry
import CuboidQA
import Foundation
import Testing

// The optional metric definitions (nuScenes, KITTI, HOTA) and the missing-frames policy on small
// scenes whose figures are worked out by hand from the definitions. Scripts/check_qa.py compares
// the same code with nuscenes-devkit, TrackEval and a KITTI-devkit reference on larger inputs.

private func box(_ x: Double, _ y: Double, category: String, track: String? = nil, score: Double? = nil, pixels: Double = 50,
                 occluded: Double = 0) -> LabeledObject {
    // A 2D box as tall as `pixels`, placed by x so that boxes of different cars do not overlap.
    LabeledObject(trackID: track, category: category, cuboid: Box3D(x: x, y: y, z: 0, length: 4, width: 2, height: 1.5, yaw: 0),
                  boxes: [LabeledObject.kittiCamera: Box2D(minX: 30 * x, minY: 100, maxX: 30 * x + 40, maxY: 100 + pixels)], score: score,
                  attributes: ["occluded": .number(occluded), "truncated": .number(0)])
}

private func labelSet(_ objects: [[LabeledObject]]) -> LabelSet {
    LabelSet(frames: objects.enumerated().map { LabeledFrame(name: String(format: "%06d", $0), objects: $1) })
}

private func run(_ gold: [[LabeledObject]], _ labelled: [[LabeledObject]], metrics: [MetricDefinition], match: MatchCriterion = .bevIoU,
                 classes: [String] = ["Car", "Pedestrian"]) throws -> TaskerReport {
    var configuration = QAConfiguration()
    configuration.classes = Dictionary(uniqueKeysWithValues: classes.map { ($0, ClassRule(threshold: 0.5, distance: 2)) })
    configuration.known = []
    configuration.metrics = metrics
    configuration.match = match
    return try QualityReview.evaluate(gold: labelSet(gold), taskers: [TaskerLabels(name: "t", labels: labelSet(labelled))],
                                      configuration: configuration, threads: 1).taskers[0]
}

private func figures(_ report: TaskerReport, _ category: String) -> ClassReport { report.classes.first { $0.category == category }! }

@Suite("metric definitions: nuScenes, KITTI, HOTA")
struct MetricDefinitionTests {
    struct NuScenesCase: CustomTestStringConvertible, Sendable {
        var name: String
        var gold: [[LabeledObject]]
        var labelled: [[LabeledObject]]
        /// Expected AP at every threshold, ATE, ASE; nil: no nuScenes figures for Car.
        var expected: (ap: Double, ate: Double, ase: Double)?
        var testDescription: String { name }
    }

    static let nuScenesCases: [NuScenesCase] = [
        // Every box found 0.1 m off: precision 1 at every recall, AP (1 - 0.1) / (1 - 0.1) = 1; ATE 0.1.
        NuScenesCase(name: "all found 0.1 m off: AP 1, ATE 0.1, ASE 0",
                     gold: (0..<10).map { _ in [box(10, 0, category: "Car")] },
                     labelled: (0..<10).map { k in [box(10.1, 0, category: "Car", score: 0.5 + Double(k) / 100)] }, expected: (1, 0.1, 0)),
        // Half found: precision 1 up to recall 0.5 and 0 after; of the 90 recalls above 0.1, 40 count
        // (0.9 each): AP = 40 x 0.9 / 90 / 0.9 = 4/9.
        NuScenesCase(name: "half found: AP 4/9",
                     gold: (0..<10).map { _ in [box(10, 0, category: "Car")] },
                     labelled: (0..<10).map { k in k < 5 ? [box(10, 0, category: "Car", score: 0.9)] : [] }, expected: (4.0 / 9, 0, 0)),
        // No detections: the devkit's no_predictions: AP 0, every error 1.
        NuScenesCase(name: "no detections: AP 0, errors 1", gold: [[box(10, 0, category: "Car")]], labelled: [[]], expected: (0, 1, 1)),
        // No gold: not scored (nil), not the devkit's AP 0 of an absent class.
        NuScenesCase(name: "no gold: not scored", gold: [[]], labelled: [[box(10, 0, category: "Car", score: 0.9)]], expected: nil),
    ]

    @Test("nuScenes AP and TP errors", arguments: nuScenesCases)
    func nuScenes(_ scenario: NuScenesCase) throws {
        let report = try run(scenario.gold, scenario.labelled, metrics: [.nuscenes], match: .centerDistance)
        let car = figures(report, "Car").nuScenes
        guard let expected = scenario.expected else {
            #expect(car == nil)
            return
        }
        let n = try #require(car)
        #expect(n.averagePrecisions.count == 4)
        for ap in n.averagePrecisions { #expect(abs(ap - expected.ap) < 1e-12, "\(n.averagePrecisions)") }
        #expect(abs(n.translationError - expected.ate) < 1e-12 && abs(n.scaleError - expected.ase) < 1e-12, "\(n)")
        // One class only: Pedestrian has neither gold nor labels and no figures; the mean is Car's.
        #expect(figures(report, "Pedestrian").nuScenes == nil)
        #expect(report.nuScenesMean?.meanAveragePrecision == n.meanAveragePrecision)
    }

    @Test("nuScenes needs scores: a labelled box without one leaves the class without figures")
    func nuScenesNeedsScores() throws {
        let report = try run([[box(10, 0, category: "Car")]], [[box(10, 0, category: "Car")]], metrics: [.nuscenes], match: .centerDistance)
        #expect(figures(report, "Car").nuScenes == nil && figures(report, "Car").detection.truePositives == 1)
    }

    @Test("the default report has no optional metrics")
    func defaultsUnchanged() throws {
        let report = try run([[box(10, 0, category: "Car", track: "a")]], [[box(10, 0, category: "Car", track: "x", score: 0.9)]], metrics: [])
        let car = figures(report, "Car")
        #expect(car.nuScenes == nil && car.kitti == nil && car.tracking?.hota == nil && car.averagePrecision != nil)
    }

    struct KITTICase: CustomTestStringConvertible, Sendable {
        var name: String
        var gold: [[LabeledObject]]
        var labelled: [[LabeledObject]]
        /// (counted, R40, R11) per level easy, moderate, hard; nil: no KITTI figures.
        var expected: [(Int, Double, Double)]?
        var testDescription: String { name }
    }

    static let kittiCases: [KITTICase] = [
        // 41 true positives give 41 score thresholds: precision 1 at all 41 recall steps.
        KITTICase(name: "41 cars all found: R40 = R11 = 1",
                  gold: (0..<41).map { _ in [box(10, 0, category: "Car")] },
                  labelled: (0..<41).map { k in [box(10, 0, category: "Car", score: Double(k) / 41)] },
                  expected: Array(repeating: (41, 1, 1), count: 3)),
        // 40 give 40 thresholds: the 41st step (recall 1) keeps precision 0 (the devkit's sampling):
        // R40 = 39/40, R11 = 10/11.
        KITTICase(name: "40 cars all found: R40 39/40, R11 10/11 (the devkit's sampling)",
                  gold: (0..<40).map { _ in [box(10, 0, category: "Car")] },
                  labelled: (0..<40).map { k in [box(10, 0, category: "Car", score: Double(k) / 40)] },
                  expected: Array(repeating: (40, 39.0 / 40, 10.0 / 11), count: 3)),
        // A 30 px tall, occluded (1) car counts at moderate and hard only; easy has no gold (0).
        KITTICase(name: "difficulty: a 30 px occluded car is not easy",
                  gold: (0..<41).map { _ in [box(10, 0, category: "Car", pixels: 30, occluded: 1)] },
                  labelled: (0..<41).map { k in [box(10, 0, category: "Car", score: Double(k) / 41, pixels: 30)] },
                  expected: [(0, 0, 0), (41, 1, 1), (41, 1, 1)]),
        KITTICase(name: "no detections: R40 = R11 = 0", gold: [[box(10, 0, category: "Car")]], labelled: [[]],
                  expected: Array(repeating: (1, 0, 0), count: 3)),
        KITTICase(name: "no gold: not scored", gold: [[]], labelled: [[box(10, 0, category: "Car", score: 0.9)]], expected: nil),
    ]

    @Test("KITTI AP per difficulty", arguments: kittiCases)
    func kitti(_ scenario: KITTICase) throws {
        for match in [MatchCriterion.iou2D, .bevIoU] {
            let report = try run(scenario.gold, scenario.labelled, metrics: [.kitti], match: match)
            let levels = figures(report, "Car").kitti
            #expect(figures(report, "Pedestrian").kitti == nil)
            guard let expected = scenario.expected else {
                #expect(levels == nil)
                continue
            }
            let found = try #require(levels)
            #expect(found.map(\.difficulty) == ["easy", "moderate", "hard"])
            for (level, want) in zip(found, expected) {
                #expect(level.counted == want.0 && abs(level.r40 - want.1) < 1e-12 && abs(level.r11 - want.2) < 1e-12, "\(match) \(level)")
            }
        }
    }

    struct HOTACase: CustomTestStringConvertible, Sendable {
        var name: String
        var gold: [[LabeledObject]]
        var labelled: [[LabeledObject]]
        var expected: HOTAMetrics
        var testDescription: String { name }
    }

    static let hotaCases: [HOTACase] = [
        HOTACase(name: "perfect tracks: every figure 1",
                 gold: [[box(10, 0, category: "Car", track: "a")], [box(11, 0, category: "Car", track: "a")]],
                 labelled: [[box(10, 0, category: "Car", track: "x")], [box(11, 0, category: "Car", track: "x")]],
                 expected: HOTAMetrics(hota: 1, detA: 1, assA: 1, locA: 1)),
        // One gold track labelled as two: each match's tracks share 1 of 2 frames (Jaccard 1/2), so
        // AssA = 1/2, DetA = 1, HOTA = sqrt(1/2).
        HOTACase(name: "a track split in two: AssA 1/2, HOTA sqrt(1/2)",
                 gold: [[box(10, 0, category: "Car", track: "a")], [box(11, 0, category: "Car", track: "a")]],
                 labelled: [[box(10, 0, category: "Car", track: "x")], [box(11, 0, category: "Car", track: "y")]],
                 expected: HOTAMetrics(hota: 0.5.squareRoot(), detA: 1, assA: 0.5, locA: 1)),
        // TrackEval's empty sides: zeros, LocA 1.
        HOTACase(name: "no detections: HOTA 0", gold: [[box(10, 0, category: "Car", track: "a")]], labelled: [[]],
                 expected: HOTAMetrics(hota: 0, detA: 0, assA: 0, locA: 1)),
        HOTACase(name: "no gold: HOTA 0", gold: [[]], labelled: [[box(10, 0, category: "Car", track: "x")]],
                 expected: HOTAMetrics(hota: 0, detA: 0, assA: 0, locA: 1)),
    ]

    @Test("HOTA as TrackEval", arguments: hotaCases)
    func hota(_ scenario: HOTACase) throws {
        let report = try run(scenario.gold, scenario.labelled, metrics: [.hota])
        let found = try #require(figures(report, "Car").tracking?.hota)
        let want = scenario.expected
        #expect(abs(found.hota - want.hota) < 1e-12 && abs(found.detA - want.detA) < 1e-12 && abs(found.assA - want.assA) < 1e-12
                && abs(found.locA - want.locA) < 1e-12, "\(found)")
        // One class only: Pedestrian has no boxes, so no tracking figures at all.
        #expect(figures(report, "Pedestrian").tracking == nil)
    }

    @Test("HOTA is not defined for the centre-distance criterion")
    func hotaNeedsIoU() throws {
        let report = try run([[box(10, 0, category: "Car", track: "a")]], [[box(10, 0, category: "Car", track: "x")]], metrics: [.hota],
                             match: .centerDistance)
        #expect(figures(report, "Car").tracking != nil && figures(report, "Car").tracking?.hota == nil)
    }
}

@Suite("missing frames policy")
struct MissingFramesPolicyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var policy: String
        /// (TP, FN, FP, frames scored); nil: the run is refused.
        var expected: (Int, Int, Int, Int)?
        var testDescription: String { name }
    }

    // Gold has frames 0 and 1 (a car each); the tasker has frame 0 (found) and frame 9 (no gold).
    static let cases: [Case] = [
        Case(name: "skip (default): only frame 0 scored", policy: "skip", expected: (1, 0, 0, 1)),
        Case(name: "count-as-missed: frame 1's car missed, frame 9's box extra", policy: "count-as-missed", expected: (1, 1, 1, 3)),
        Case(name: "empty, the earlier name, reads as count-as-missed", policy: "empty", expected: (1, 1, 1, 3)),
        Case(name: "error: refused", policy: "error", expected: nil),
    ]

    @Test("skip, count-as-missed, error", arguments: cases)
    func policy(_ scenario: Case) throws {
        let configuration = try QAConfiguration.decode(Array("{\"version\": 1, \"missingFrames\": \"\(scenario.policy)\"}".utf8))
        let gold = labelSet([[box(10, 0, category: "Car")], [box(10, 0, category: "Car")]])
        let labelled = LabelSet(frames: [LabeledFrame(name: "000000", objects: [box(10, 0, category: "Car")]),
                                         LabeledFrame(name: "000009", objects: [box(20, 0, category: "Car")])])
        let evaluate = { try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "t", labels: labelled)], configuration: configuration,
                                                    threads: 1).taskers[0] }
        guard let expected = scenario.expected else {
            #expect(throws: QAInputError.self) { try evaluate() }
            return
        }
        let report = try evaluate()
        #expect(report.overall.truePositives == expected.0 && report.overall.falseNegatives == expected.1
                && report.overall.falsePositives == expected.2 && report.frames.count == expected.3, "\(report.overall)")
    }

    @Test("an unknown policy names the choices")
    func unknownPolicy() {
        #expect(throws: ConfigurationFileError.self) { try QAConfiguration.decode(Array("{\"version\": 1, \"missingFrames\": \"ignore\"}".utf8)) }
    }
}

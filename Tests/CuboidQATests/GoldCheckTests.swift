import CuboidFormats
import CuboidGeometry
import CuboidPointClouds
@testable import CuboidQA
import Foundation
import Testing

/// A sweep of a car-sized object standing on flat ground, as a lidar at the origin sees it: returns on
/// the two faces towards the sensor (every 5 cm) and a ground grid (every 20 cm) around it, the ground
/// at z = -1.7 m.
/// With `endOn`, only the rear face (as a car straight ahead shows itself).
private func sweep(object: Box3D?, endOn: Bool = false) -> PointCloud {
    var x: [Float] = [], y: [Float] = [], z: [Float] = []
    func add(_ p: SIMD3<Double>) { x.append(Float(p.x)); y.append(Float(p.y)); z.append(Float(p.z)) }
    for i in -60...60 { for j in -60...60 { add(SIMD3(12 + Double(i) * 0.2, Double(j) * 0.2, -1.7)) } }
    if let box = object {
        let c = cos(box.yaw), s = sin(box.yaw)
        func world(_ u: Double, _ v: Double, _ h: Double) -> SIMD3<Double> { SIMD3(box.x + u * c - v * s, box.y + u * s + v * c, box.z + h) }
        var h = -box.height / 2 + 0.25  // up to 2 cm under the top
        while h <= box.height / 2 - 0.02 {
            var u = -box.length / 2 + 0.02
            while !endOn && u <= box.length / 2 - 0.02 { add(world(u, -box.width / 2 + 0.02, h)); u += 0.05 }  // the side towards the sensor (2 cm inside)
            var v = -box.width / 2 + 0.02
            while v <= box.width / 2 - 0.02 { add(world(-box.length / 2 + 0.02, v, h)); v += 0.05 }  // the rear
            h += 0.1
        }
    }
    return PointCloud(x: x, y: y, z: z)
}

private let car = Box3D(x: 12, y: 3, z: -1.7 + 0.75, length: 4.4, width: 1.8, height: 1.5, yaw: 0.1)

/// A car straight ahead, its rear towards the sensor.
private let carAhead = Box3D(x: 20, y: 0, z: -1.7 + 0.75, length: 4.4, width: 1.8, height: 1.5, yaw: 0)

private func object(_ box: Box3D) -> LabeledObject { LabeledObject(category: "Car", cuboid: box) }

private func moved(_ box: Box3D, _ dx: Double, _ dy: Double) -> Box3D {
    Box3D(x: box.x + dx, y: box.y + dy, z: box.z, length: box.length, width: box.width, height: box.height, yaw: box.yaw)
}

private func halved(_ box: Box3D) -> Box3D {
    Box3D(x: box.x, y: box.y, z: box.z, length: box.length / 2, width: box.width / 2, height: box.height / 2, yaw: box.yaw)
}

private func finding(_ kind: FindingKind, gold: Box3D?, labelled: Box3D?, range: Double? = nil) -> QAFinding {
    QAFinding(kind: kind, frame: "000000", category: "Car", goldIndex: gold == nil ? nil : 0, labelIndex: labelled == nil ? nil : 0,
              labelledCategory: labelled == nil ? nil : "Car", gold: gold.map(object), labelled: labelled.map(object), range: range, message: "")
}

struct GoldCheckScenario: CustomTestStringConvertible, Sendable {
    var name: String
    var finding: QAFinding
    var sweepObject: Box3D?
    var goldDoubtful: Bool
    /// A factor the verdict must name (on either side).
    var factor: String?
    /// Whether the sweep shows only the object's rear.
    var endOn = false
    var testDescription: String { name }
}

@Suite("gold check: which box the lidar returns favour")
struct GoldCheckTests {
    static let scenarios = [
        GoldCheckScenario(name: "gold moved 1 m sideways, tasker right", finding: finding(.belowThreshold, gold: moved(car, 0, 1), labelled: car),
                          sweepObject: car, goldDoubtful: true, factor: nil),
        GoldCheckScenario(name: "gold moved 1 m along the car, tasker right", finding: finding(.belowThreshold, gold: moved(car, 1, 0.1), labelled: car),
                          sweepObject: car, goldDoubtful: true, factor: nil),
        GoldCheckScenario(name: "gold shrunk to half, tasker right", finding: finding(.belowThreshold, gold: halved(car), labelled: car),
                          sweepObject: car, goldDoubtful: true, factor: nil),
        GoldCheckScenario(name: "gold right, tasker moved 1 m sideways", finding: finding(.belowThreshold, gold: car, labelled: moved(car, 0, 1)),
                          sweepObject: car, goldDoubtful: false, factor: nil),
        GoldCheckScenario(name: "gold right, tasker shrunk to half", finding: finding(.belowThreshold, gold: car, labelled: halved(car)),
                          sweepObject: car, goldDoubtful: false, factor: "gold-fits-better"),
        GoldCheckScenario(name: "missed gold on empty ground", finding: finding(.missed, gold: car, labelled: nil),
                          sweepObject: nil, goldDoubtful: true, factor: "gold-nearly-empty"),
        GoldCheckScenario(name: "missed gold that holds its car", finding: finding(.missed, gold: car, labelled: nil),
                          sweepObject: car, goldDoubtful: false, factor: nil),
        GoldCheckScenario(name: "extra box on a car the gold lacks", finding: finding(.extra, gold: nil, labelled: car),
                          sweepObject: car, goldDoubtful: true, factor: "returns-support-labelled"),
        GoldCheckScenario(name: "extra box on empty ground", finding: finding(.extra, gold: nil, labelled: car),
                          sweepObject: nil, goldDoubtful: false, factor: "labelled-nearly-empty"),
        // Seen end on, a box moved 1 m towards the sensor holds the very returns the right box holds:
        // only the rays crossing its empty front tell them apart.
        GoldCheckScenario(name: "car seen end on, gold moved 1 m towards the sensor, tasker right",
                          finding: finding(.belowThreshold, gold: moved(carAhead, -1, 0), labelled: carAhead),
                          sweepObject: carAhead, goldDoubtful: true, factor: "gold-returns-recessed", endOn: true),
        GoldCheckScenario(name: "car seen end on, gold right, tasker moved 1 m towards the sensor",
                          finding: finding(.belowThreshold, gold: carAhead, labelled: moved(carAhead, -1, 0)),
                          sweepObject: carAhead, goldDoubtful: false, factor: "labelled-returns-recessed", endOn: true),
        GoldCheckScenario(name: "car seen end on, gold and tasker 0.2 m apart: neither recessed",
                          finding: finding(.inaccurate, gold: carAhead, labelled: moved(carAhead, -0.2, 0)),
                          sweepObject: carAhead, goldDoubtful: false, factor: nil, endOn: true),
    ]

    @Test("the verdict of each scenario", arguments: scenarios)
    func verdict(_ scenario: GoldCheckScenario) throws {
        var findings = [scenario.finding]
        GoldCheck.annotate(&findings, cloud: sweep(object: scenario.sweepObject, endOn: scenario.endOn), settings: GoldCheckSettings())
        let check = try #require(findings[0].goldCheck)
        #expect(check.goldDoubtful == scenario.goldDoubtful, "\(check.describe(goldName: "gold", labelledName: "tasker"))")
        if let factor = scenario.factor { #expect((check.goldFactors + check.labelledFactors).contains(factor)) }
    }

    @Test("a box on its object: returns inside, an empty shell, on the ground")
    func evidenceOfARightBox() throws {
        var findings = [finding(.missed, gold: car, labelled: nil)]
        GoldCheck.annotate(&findings, cloud: sweep(object: car), settings: GoldCheckSettings())
        let gold = try #require(findings[0].goldCheck?.gold)
        #expect(gold.inside > 500)
        #expect(gold.shell == 0)
        #expect(abs(try #require(gold.groundGap)) < 0.05)
        #expect(gold.fit == 1)
    }

    @Test("duplicates are not checked (another box matches their gold)")
    func duplicatesSkipped() {
        var findings = [finding(.duplicate, gold: car, labelled: car)]
        GoldCheck.annotate(&findings, cloud: sweep(object: car), settings: GoldCheckSettings())
        #expect(findings[0].goldCheck == nil)
    }

    @Test("findings of doubtful gold are left out of the gate metric unless goldCheck.countInGate")
    func gate() {
        var configuration = QAConfiguration()
        var metrics = DetectionMetrics()
        metrics.truePositives = 8
        metrics.falseNegatives = 2
        var doubtful = finding(.missed, gold: car, labelled: nil)
        doubtful.goldCheck = GoldEvidence(gold: nil, labelled: nil, goldFactors: ["gold-nearly-empty"], labelledFactors: [])
        let tasker = TaskerReport(name: "t", overall: metrics, classes: [], frames: [], findings: [doubtful, finding(.missed, gold: car, labelled: nil)],
                                  confusion: [], attributes: [], skips: QASkips())
        let report = QAReport(isAgreement: false, goldName: "gold", configuration: configuration, frameCount: 1, taskers: [tasker])
        #expect(tasker.value(of: .recall) == 0.8)
        #expect(report.gateValue(tasker) == 2 * 1 * (8.0 / 9) / (1 + 8.0 / 9))  // F1 with one miss left out: precision 1, recall 8/9
        configuration.goldCheck.countInGate = true
        let counted = QAReport(isAgreement: false, goldName: "gold", configuration: configuration, frameCount: 1, taskers: [tasker])
        #expect(counted.gateValue(tasker) == tasker.value(of: .f1))
    }

    @Test("findings costliest first: misses and extras near the ego before far ones and before inaccurate boxes")
    func costOrder() {
        let findings = [finding(.inaccurate, gold: car, labelled: car, range: 5), finding(.missed, gold: car, labelled: nil, range: 40),
                        finding(.extra, gold: nil, labelled: car, range: 8), finding(.missed, gold: car, labelled: nil, range: 12)]
        let ordered = findings.orderedByCost(FindingCost())
        #expect(ordered.map(\.range) == [8, 12, 40, 5])
        #expect(ordered[0].cost == 20.0 / 28)
        #expect(ordered[3].cost == 0.3 * 20 / 25)
    }

    @Test("the gold check's keys round-trip through the configuration file, and a bad value names its key")
    func configuration() throws {
        var configuration = QAConfiguration()
        configuration.goldCheck.fitMargin = 0.4
        configuration.goldCheck.countInGate = true
        configuration.findingCost.halfRange = 30
        let read = try QAConfiguration.decode(configuration.encoded)
        #expect(read == configuration)
        #expect(throws: ConfigurationFileError.invalid(key: "goldCheck.shellMargin", expected: "metres > 0")) {
            try QAConfiguration.decode(Array("{\"goldCheck\": {\"shellMargin\": 0}}".utf8))
        }
        #expect(throws: ConfigurationFileError.self) { try QAConfiguration.decode(Array("{\"goldCheck\": {\"margin\": 1}}".utf8)) }
    }
}

import CuboidDatasets
import CuboidFormats
import CuboidQA
import CuboidTestSupport
import Foundation
import Testing

@Suite("QA on real KITTI labels", .enabled(if: SharedData.isAvailable))
struct RealDataTests {
    @Test("pred_label_2 against label_2: two frames scored, three listed as unlabelled, every miss and extra found with both pictures")
    func kittiPredictions() throws {
        let root = SharedData.path("kitti_object/training")
        let sequence = try SensorSequence.open(root)
        var context = LabelContext()
        context.calibrationFolder = root
        let gold = try LabelStore.read(root + "/label_2", format: .kitti, context: context)
        let predictions = try LabelStore.read(root + "/pred_label_2", format: .kitti, context: context)
        let report = try QualityReview.evaluate(gold: gold, taskers: [TaskerLabels(name: "pred", labels: predictions)],
                                                configuration: QAConfiguration(), sequence: sequence)
        let tasker = report.taskers[0]
        #expect(tasker.skips.framesOnlyInGold == ["000000", "000003", "007347"])
        #expect(tasker.frames.map(\.frame) == ["000001", "000002"])
        let car = try #require(tasker.classes.first { $0.category == "Car" })
        // 000001: one gold car matched (but reversed), one predicted car with no gold; 000002: one match.
        #expect(car.detection.truePositives == 2 && car.detection.falsePositives == 1 && car.detection.falseNegatives == 0)
        #expect(car.averagePrecision != nil)
        let cyclist = try #require(tasker.classes.first { $0.category == "Cyclist" })
        #expect(cyclist.detection.falseNegatives == 1)
        let kinds = tasker.findings.map(\.kind)
        #expect(kinds.filter { $0 == .missed }.count == 1 && kinds.filter { $0 == .extra }.count == 1)
        #expect(tasker.findings.contains { $0.frame == "000001" && $0.message.contains("heading reversed") })
        let missed = try #require(tasker.findings.first { $0.kind == .missed })
        #expect(missed.message.hasPrefix("missed Cyclist at 46.") && (missed.points ?? 0) > 0, "\(missed.message)")

        let folder = NSTemporaryDirectory() + "cuboid-qa-kitti-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try QAReportWriter().write(report, sequence: sequence, to: folder)
        for finding in written.taskers[0].findings {
            #expect(finding.pictures.count == 2, "\(finding.message)")
            for picture in finding.pictures {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + picture))
                #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            }
        }
    }
}

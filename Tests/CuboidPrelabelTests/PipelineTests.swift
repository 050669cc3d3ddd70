import CuboidDatasets
import CuboidFormats
import CuboidIO
import CuboidKernels
import CuboidPrelabel
import CuboidTestSupport
import Foundation
import Testing

private let sequencePath = SharedData.sampleData + "/sequence"

private func temporaryFolder() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-prelabel-\(UUID().uuidString)").path
}

@Suite struct PipelineTests {
    /// On the synthetic sample (3 frames, 32 beams, exact gold): most returns of gold objects are
    /// above the ground the segmentation finds, and the detector finds the cars.
    @Test func sampleSequenceIsPrelabelledAndScores() throws {
        let sequence = try SensorSequence.open(sequencePath)
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = PrelabelOptions()
        options.collectLabels = true
        options.formats = [.openLABEL, .kitti]
        let summary = try PrelabelRunner.run(sequence, output: output, options: options)
        #expect(summary.tracked && summary.frames == 3 && summary.resumedFrames == 0)
        // Its score against the gold: PrelabelScoreTests (cuboid prelabel --score, the QA evaluation).
        // Outputs: OpenLABEL that reads back, KITTI files with the score as the 16th field, the queue, previews.
        let written = try LabelStore.read(output + "/prelabels.openlabel.json", format: .openLABEL)
        #expect(written.objectCount == summary.boxes)
        let kitti = try String(contentsOfFile: output + "/kitti/" + sequence.frames[0].name + ".txt", encoding: .utf8)
        #expect(kitti.split(separator: "\n").allSatisfy { $0.split(separator: " ").count == 16 })
        let queue = try String(contentsOfFile: output + "/review_queue.csv", encoding: .utf8).split(separator: "\n")
        #expect(queue.count == summary.boxes + 1)
        #expect(FileManager.default.fileExists(atPath: output + "/preview/" + sequence.frames[0].name + "-bev.png"))
        #expect(FileManager.default.fileExists(atPath: output + "/preview/" + sequence.frames[0].name + "-image_02.png"))
    }

    /// The same footage with the classes renamed (another taxonomy's names, the same kinds and
    /// rules) gives the same boxes, tracks and scores under the new names: no rule looks at a
    /// class's name.
    @Test func renamedClassesGiveTheSameBoxes() throws {
        let sequence = try SensorSequence.open(sequencePath)
        let names = ["Car": "Auto", "Van": "Transporter", "Truck": "Lastwagen", "Pedestrian": "Fussgaenger", "Cyclist": "Radfahrer"]
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        var renamed = options
        for k in renamed.configuration.classes.indices {
            renamed.configuration.classes[k].name = names[renamed.configuration.classes[k].name]!
            renamed.configuration.classes[k].fasterClass = renamed.configuration.classes[k].fasterClass.map { names[$0]! }
        }
        let first = temporaryFolder(), second = temporaryFolder()
        defer { for f in [first, second] { try? FileManager.default.removeItem(atPath: f) } }
        _ = try PrelabelRunner.run(sequence, output: first, options: options)
        _ = try PrelabelRunner.run(sequence, output: second, options: renamed)
        let original = try LabelStore.read(first + "/prelabels.openlabel.json", format: .openLABEL)
        var translated = try LabelStore.read(second + "/prelabels.openlabel.json", format: .openLABEL)
        let back = Dictionary(uniqueKeysWithValues: names.map { ($1, $0) })
        for f in translated.frames.indices {
            for o in translated.frames[f].objects.indices { translated.frames[f].objects[o].category = back[translated.frames[f].objects[o].category]! }
        }
        #expect(original.objectCount > 0)
        #expect(translated.frames.map(\.objects) == original.frames.map(\.objects))
    }

    /// A run that lost its outputs and part of its cache (as after kill -9) writes the same bytes again.
    @Test func restartedRunIsByteIdentical() throws {
        let sequence = try SensorSequence.open(sequencePath)
        let first = temporaryFolder(), second = temporaryFolder()
        defer { for f in [first, second] { try? FileManager.default.removeItem(atPath: f) } }
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        _ = try PrelabelRunner.run(sequence, output: first, options: options)
        _ = try PrelabelRunner.run(sequence, output: second, options: options)
        try FileManager.default.removeItem(atPath: second + "/cache/" + sequence.frames[2].name + ".detections.json")
        try FileManager.default.removeItem(atPath: second + "/prelabels.openlabel.json")
        let resumed = try PrelabelRunner.run(sequence, output: second, options: options)
        #expect(resumed.resumedFrames == 2)
        #expect(try filesBelow(first) == filesBelow(second))
    }

    @Test func corruptCacheIsDetectedAgain() throws {
        let sequence = try SensorSequence.open(sequencePath)
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        _ = try PrelabelRunner.run(sequence, output: output, options: options)
        let reference = try filesBelow(output)
        try FileBytes.writeAtomically(Array("{\"version\": 1, \"detec".utf8), to: output + "/cache/" + sequence.frames[1].name + ".detections.json")
        let again = try PrelabelRunner.run(sequence, output: output, options: options)
        #expect(again.resumedFrames == 2)
        #expect(try filesBelow(output) == reference)
    }

    @Test(.enabled(if: SharedData.isAvailable)) func kittiObjectFramesStandAlone() throws {
        let sequence = try SensorSequence.open(SharedData.path("kitti_object/training"))
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        options.formats = [.kitti]
        let summary = try PrelabelRunner.run(sequence, output: output, options: options)
        #expect(!summary.tracked)
        // The gold car in front in 000003 (13.2 m ahead) is found at BEV IoU >= 0.5.
        let gold = try sequence.labels(at: 3)!.objects.first { $0.category == "Car" }!.cuboid!
        let found = summary.labels.frames[3].objects.filter { $0.category == "Car" }.map { iou(gold.bev, $0.cuboid!.bev) }.max() ?? 0
        #expect(found >= 0.5)
    }
}

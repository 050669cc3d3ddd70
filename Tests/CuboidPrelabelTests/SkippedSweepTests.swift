import CuboidDatasets
import CuboidFormats
import CuboidIO
import CuboidPrelabel
import CuboidTestSupport
import Foundation
import Testing

@Suite("Pre-labelling through unreadable sweeps")
struct SkippedSweepTests {
    @Test("skip: the frame stays with no labels and no cache, the others are labelled as with an empty sweep there, and the list is written; stop: the error names the file",
          arguments: UnreadableSweep.all)
    func skipLeavesAGap(_ broken: UnreadableSweep) throws {
        let root = try scratchFolder("prelabel-gap")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["broken", "empty"] { try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: root + "/" + name) }
        let sequence = try SensorSequence.open(root + "/broken"), emptied = try SensorSequence.open(root + "/empty")
        let path = try sequence.pointCloudFile(at: 1)
        try Data(broken.bytes).write(to: URL(fileURLWithPath: path))
        try Data().write(to: URL(fileURLWithPath: try emptied.pointCloudFile(at: 1)))
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        options.threads = 1
        #expect { try PrelabelRunner.run(sequence, output: root + "/stop", options: options) } throws: { "\($0)".contains(path) }

        let reference = try PrelabelRunner.run(emptied, output: root + "/reference", options: options)
        options.onError = .skip
        let skipped = try PrelabelRunner.run(sequence, output: root + "/skip", options: options)
        #expect(skipped.skipped.map(\.frame) == [1] && skipped.skipped[0].path == path && skipped.skipped[0].error.contains(path))
        #expect(skipped.frames == 3 && skipped.labels.frames.count == 3)
        #expect(skipped.labels.frames[1].objects.isEmpty)
        #expect(!reference.labels.frames[0].objects.isEmpty)
        for frame in [0, 2] { #expect(skipped.labels.frames[frame].objects == reference.labels.frames[frame].objects, "frame \(frame)") }
        #expect(!FileManager.default.fileExists(atPath: root + "/skip/cache/" + sequence.frames[1].name + ".detections.json"))
        let list = try String(contentsOfFile: root + "/skip/" + SkippedSweeps.fileName, encoding: .utf8)
        #expect(list == String(decoding: SkippedSweeps.csv(skipped.skipped), as: UTF8.self) && list.contains(path))

        // Run again in the same folder: the same bytes (the skipped sweep is read and skipped again).
        let before = try filesBelow(root + "/skip")
        let again = try PrelabelRunner.run(sequence, output: root + "/skip", options: options)
        #expect(again.resumedFrames == 2 && again.skipped == skipped.skipped)
        #expect(try filesBelow(root + "/skip") == before)
    }
}

extension SkippedSweepTests {
    @Test("a frame whose camera image cannot be read: stop names the image; skip lists it and leaves that frame without labels, the others as with a whole image")
    func unreadableImage() throws {
        let root = try scratchFolder("prelabel-image")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: root + "/sequence")
        let whole = try SensorSequence.open(SharedData.sampleData + "/sequence"), sequence = try SensorSequence.open(root + "/sequence")
        let image = try #require(sequence.frames[1].images["image_02"])
        try Data("not a PNG".utf8).write(to: URL(fileURLWithPath: image))
        var options = PrelabelOptions()
        options.collectLabels = true
        options.previews = false
        options.threads = 1
        #expect { try PrelabelRunner.run(sequence, output: root + "/stop", options: options) } throws: { "\($0)".contains(image) }
        let reference = try PrelabelRunner.run(whole, output: root + "/reference", options: options)
        options.onError = .skip
        let skipped = try PrelabelRunner.run(sequence, output: root + "/skip", options: options)
        #expect(skipped.skipped.map(\.frame) == [1] && skipped.skipped[0].path == image, "\(skipped.skipped)")
        #expect(skipped.labels.frames[1].objects.isEmpty && !reference.labels.frames[1].objects.isEmpty)
        for frame in [0, 2] { #expect(skipped.labels.frames[frame].objects == reference.labels.frames[frame].objects, "frame \(frame)") }
    }
}

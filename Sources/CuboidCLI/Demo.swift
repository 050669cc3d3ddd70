import ArgumentParser
import Cuboid
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Cuboid on the bundled SampleData: decode every file, check the synthetic sequence's gold, pre-label it and score the pre-labels, interpolate it and score the filled boxes.",
        discussion: """
            SampleData/sequence is a 3-frame drive made by `cuboid synth` (see Scripts/make-sample-data). \
            The demo opens it as a KITTI raw recording and counts, for every gold cuboid, the lidar \
            returns inside it; each count must equal the cuboid's num_points.
            """)

    @Option(help: "The SampleData folder (default: ./SampleData, else the one in the source checkout).")
    var sampleData: String?

    func run() throws {
        let folder = try locateSampleData()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(folder): not a folder (--sample-data names the SampleData folder)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        var failures = 0
        var decoded = 0
        print("SampleData: \(folder)")
        for name in names {
            let path = folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let lower = name.lowercased()
            guard [".bin", ".pcd", ".ply", ".png", ".jpg", ".jpeg"].contains(where: lower.hasSuffix) else { continue }
            do {
                print(try FileReport.make(path: path, format: nil).text())
                decoded += 1
            } catch {
                failures += 1
                reportError(error, path: path)
            }
        }
        print("decoded \(decoded) files, \(failures) failed")
        let gold = try LabelStore.read(folder + "/sequence/gold.openlabel.json", format: .openLABEL)
        let mismatches = try checkSequence(folder + "/sequence", gold: gold)
        try prelabelSequence(folder + "/sequence", gold: gold)
        try interpolateSequence(gold)
        if failures > 0 || decoded == 0 || mismatches > 0 {
            print("demo: \(failures) files failed to decode, \(mismatches) gold mismatches")
            throw ExitCode(1)
        }
        print("demo: all checks passed")
    }

    /// Opens the sample sequence, prints a line per frame and returns the number of gold cuboids whose
    /// returns inside differ from their `num_points`.
    private func checkSequence(_ path: String, gold: LabelSet) throws -> Int {
        let sequence = try openSequence(path)
        print("sequence: \(path) (\(sequence.layout.rawValue), \(sequence.frames.count) frames, cameras: "
            + "\(try sequence.cameras(at: 0).map(\.name).joined(separator: ", ")))")
        var mismatches = 0, cuboids = 0
        for (index, frame) in sequence.frames.enumerated() {
            let cloud = try sequence.pointCloud(at: index)
            let objects = gold.frames[index].objects
            let inside = cloud.pointCounts(inside: objects)
            for (object, count) in zip(objects, inside) {
                cuboids += 1
                if object.attributes["num_points"]?.number != Double(count) { mismatches += 1 }
            }
            var classes: [String: Int] = [:]
            for object in objects { classes[object.category, default: 0] += 1 }
            let seen = try sequence.labels(at: index)?.objects.count ?? 0
            print("  \(frame.name): \(cloud.count) returns, gold " + classes.keys.sorted().map { "\(classes[$0]!) \($0)" }.joined(separator: ", ")
                + "; \(seen) in image_02")
        }
        print("gold check: \(sequence.frames.count) frames, \(cuboids) cuboids, \(mismatches) mismatches between returns inside and num_points")
        return mismatches
    }

    /// Pre-labels the sample sequence into a temporary folder and prints the score against its gold.
    private func prelabelSequence(_ path: String, gold: LabelSet) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-demo-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let sequence = try openSequence(path)
        var options = PrelabelOptions()
        options.collectLabels = true
        let summary = try PrelabelRunner.run(sequence, output: output, options: options)
        print("prelabel: \(summary.frames) frames, \(summary.tracks) tracks, \(summary.boxes) boxes; "
            + stageTimes(summary.detectionTimings, sweeps: summary.frames))
        let score = try SequenceScoring.score(summary.labels, gold: gold, sequence: sequence, regionCamera: nil, tracked: summary.tracked)
        print("  scored as KITTI scores: gold within 40 m holding at least 10 returns counts (the rest is ignored, neither found "
            + "nor missed, so fewer boxes count than the gold lines above list); BEV IoU 0.7 for Car, 0.5 for Pedestrian and Cyclist")
        for result in score.classes {
            var kept = result
            let threshold = SequenceScoring.benchmarkThresholds[result.name] ?? SequenceScoring.thresholds[0]
            kept.thresholds = result.thresholds.filter { $0.iou == threshold }
            print("  " + SequenceScore.line(kept))
        }
    }

    /// Keeps every other gold frame of the sample drive as keyframes, fills the one between with each
    /// method and prints how close the filled boxes come to the gold.
    private func interpolateSequence(_ gold: LabelSet) throws {
        print("interpolate: keyframes every 2nd frame of the sample drive, filled boxes against gold")
        for method in InterpolationMethod.allCases {
            let accuracy = try InterpolationEvaluation.evaluate(gold: gold, every: 2, options: InterpolationOptions(method: method))
            print(String(format: "  %@: %d boxes, mean BEV IoU %.4f, mean centre error %.3f m", method.rawValue, accuracy.scored,
                         accuracy.meanBEVIoU, accuracy.meanCenterError))
        }
    }

    private func locateSampleData() throws -> String {
        if let sampleData { return sampleData }
        let candidates = [
            FileManager.default.currentDirectoryPath + "/SampleData",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("SampleData").path,
        ]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate) { return candidate }
        throw ValidationError("no SampleData folder found; pass --sample-data DIR")
    }
}

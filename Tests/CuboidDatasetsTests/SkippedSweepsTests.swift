import CuboidDatasets
import CuboidTestSupport
import Foundation
import Testing

/// SampleData/sequence copied to a scratch folder with frame 1's sweep cut to 1001 bytes (not a
/// whole number of 16-byte returns).
private func truncatedCopy() throws -> (root: String, sequence: SensorSequence, broken: String) {
    let root = try scratchFolder("skipped-sweeps")
    try FileManager.default.copyItem(atPath: SharedData.sampleData + "/sequence", toPath: root + "/sequence")
    let sequence = try SensorSequence.open(root + "/sequence")
    let broken = try sequence.pointCloudFile(at: 1)
    try Data(try Data(contentsOf: URL(fileURLWithPath: broken)).prefix(1001)).write(to: URL(fileURLWithPath: broken))
    return (root, sequence, broken)
}

@Suite("Sweeps skipped under --on-error skip")
struct SkippedSweepsTests {
    @Test("stop rethrows the reader's error naming the file; skip records the frame, file and error and goes on", arguments: SweepErrorPolicy.allCases)
    func reading(_ policy: SweepErrorPolicy) throws {
        let (root, sequence, broken) = try truncatedCopy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var skipped: [SkippedSweep] = []
        var counts: [Int?] = []
        for index in 0..<sequence.count {
            do {
                counts.append(try SkippedSweeps.reading(sequence, at: index, policy: policy, skipped: &skipped) { try sequence.pointCloud(at: index).count })
            } catch {
                #expect(policy == .stop && index == 1)
                #expect("\(error)".contains(broken), "\(error)")
                counts.append(nil)
            }
        }
        #expect(counts.map { $0 == nil } == [false, true, false])
        #expect(counts[0]! > 1000 && counts[2]! > 1000)
        switch policy {
        case .stop: #expect(skipped.isEmpty)
        case .skip:
            #expect(skipped.map(\.frame) == [1] && skipped[0].path == broken && skipped[0].name == sequence.frames[1].name)
            #expect(skipped[0].error.contains(broken))
        }
    }

    @Test("the list file: a header, one row a sweep in frame order, fields with commas or quotes quoted; merged lists keep one row a frame")
    func csv() {
        let a = SkippedSweep(frame: 7, name: "000007", path: "/d/000007.bin", error: "/d/000007.bin: 1001 bytes, not a multiple of 16")
        let b = SkippedSweep(frame: 2, name: "000002", path: nil, error: "frame 000002 has no \"point cloud\", none")
        let text = String(decoding: SkippedSweeps.csv([a, b]), as: UTF8.self)
        #expect(text == "frame,name,path,error\n2,000002,,\"frame 000002 has no \"\"point cloud\"\", none\"\n7,000007,/d/000007.bin,\"/d/000007.bin: 1001 bytes, not a multiple of 16\"\n")
        #expect(String(decoding: SkippedSweeps.csv([]), as: UTF8.self) == "frame,name,path,error\n")
        var other = a
        other.error = "another message"
        #expect(SkippedSweeps.merged([a], [other, b]) == [b, a])
        #expect(SkippedSweeps.report([a, b]) == ["2 sweeps skipped (unreadable; left out as gaps):", "  " + b.line, "  " + a.line])
        #expect(SkippedSweeps.report([]).isEmpty)
    }
}

import CuboidDatasets
import CuboidPointClouds
import CuboidTestSupport
import Foundation
import Testing

/// A generic recording of empty-ish sweeps named `names`, with `timestamps` when given.
struct GapScenario: CustomTestStringConvertible, Sendable {
    var name: String
    var frames: [String]
    var timestamps: [Double]?
    /// (frame before the gap, frames missing) per expected gap.
    var gaps: [(after: String, missing: Int?)]
    var testDescription: String { name }

    static let all: [GapScenario] = [
        .init(name: "numbered frames counting up by one", frames: ["000001", "000002", "000003"], timestamps: nil, gaps: []),
        .init(name: "numbered frames with two missing", frames: ["000001", "000002", "000005", "000006"], timestamps: nil, gaps: [("000002", 2)]),
        .init(name: "10 Hz timestamps, one sweep lost", frames: ["a", "b", "c", "d", "e"], timestamps: [0, 0.1, 0.2, 0.4, 0.5], gaps: [("c", 1)]),
        .init(name: "timestamps win over names", frames: ["000001", "000005", "000009"], timestamps: [0, 0.1, 0.2], gaps: []),
        .init(name: "time running back", frames: ["a", "b", "c"], timestamps: [0, 0.1, 0.05], gaps: [("b", 0)]),
        .init(name: "names that are not numbers and no timestamps", frames: ["left", "right", "rear"], timestamps: nil, gaps: []),
    ]
}

@Suite("Where a recording skips")
struct SequenceGapTests {
    @Test(arguments: GapScenario.all)
    func gaps(_ scenario: GapScenario) throws {
        let folder = try scratchFolder("cuboid-gaps")
        try FileManager.default.createDirectory(atPath: folder + "/lidar", withIntermediateDirectories: true)
        for name in scenario.frames {
            try PointCloudCodec.write(PointCloud(x: [1], y: [0], z: [0]), to: folder + "/lidar/\(name).bin", format: .kittiBin)
        }
        if let times = scenario.timestamps {
            try Data(times.map { "\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: folder + "/timestamps.txt"))
        }
        let sequence = try SensorSequence.open(folder)
        #expect(sequence.layout == .generic)
        let found = sequence.gaps()
        #expect(found.map { sequence.frames[$0.after].name } == scenario.gaps.map(\.after))
        #expect(found.map(\.missingFrames) == scenario.gaps.map(\.missing))
    }

    @Test("the real recordings: KITTI tracking 0000 has none, SUSTechPOINTS' every-5th-frame example three, KITTI object's separate scenes none",
          .enabled(if: SharedData.isAvailable))
    func realRecordings() throws {
        #expect(try SensorSequence.open(SharedData.root + "/kitti_tracking/training").gaps().isEmpty)
        let sustech = try SensorSequence.open(SharedData.root + "/sustechpoints")
        #expect(sustech.gaps().map(\.missingFrames) == [14, 4, 4])
        #expect(try SensorSequence.open(SharedData.root + "/kitti_object/training").gaps().isEmpty)
    }
}

import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidPointClouds
import CuboidTestSupport
import Foundation
import Testing

@Suite("KITTI tracking layout")
struct KITTITrackingLayoutTests {
    static let realTraining = SharedData.path("kitti_tracking/training")
    static var hasReal: Bool { FileManager.default.fileExists(atPath: realTraining + "/label_02/0000.txt") }

    @Test("sequence 0000 of ../shared/data: 154 frames, 711 gold boxes and 378 DontCare rows, 15 tracks, poses, camera 2 without images",
          .enabled(if: hasReal))
    func realSequence() throws {
        // Named three ways: the training folder, the folder above it, the sweep folder.
        for path in [Self.realTraining, Paths.parent(Self.realTraining), Self.realTraining + "/velodyne/0000"] {
            #expect(SensorSequence.sequenceFolders(path) == [path])
            let sequence = try SensorSequence.open(path)
            #expect(sequence.layout == .kittiTracking && sequence.name == "0000" && sequence.count == 154)
            #expect(sequence.root == Self.realTraining)
        }
        let sequence = try SensorSequence.open(Self.realTraining)
        #expect(sequence.frames.first?.name == "000000" && sequence.frames.last?.name == "000153")
        #expect(sequence.frames.allSatisfy { $0.egoPose != nil && $0.images.isEmpty })
        #expect(abs(sequence.frames[10].timestamp! - 1.0) < 1e-12)
        let calibration = try #require(try sequence.kittiCalibration(at: 0))
        #expect(calibration.projections[2] != nil && calibration.imuToVelodyne != nil)
        // poses/0000.txt is ORB-SLAM3's camera pose x R0_rect x Tr_velo_to_cam (world = the first
        // camera, y down): re-expressed in the first sweep's lidar frame, frame 0 is the identity and
        // the ego drives ahead along x, on the ground plane.
        let first = sequence.frames[0].egoPose!, last = sequence.frames[153].egoPose!
        #expect(norm(first.translation) < 1e-9 && first.rotation.angle(to: Quaternion.identity) < 1e-9)
        #expect(last.translation.x > 20 && abs(last.translation.z) < 0.1 * last.translation.x)
        // No images: camera 2 gets KITTI's image size, and bounds the labelled region.
        let cameras = try sequence.cameras(at: 0)
        #expect(cameras.map(\.name) == ["image_02"] && cameras[0].intrinsics.width == 1242 && cameras[0].intrinsics.height == 375)
        #expect(sequence.labelledRegionCamera == "image_02")
        let gold = try sequence.labelSet()
        #expect(gold.frames.count == 154)
        let objects = gold.frames.flatMap(\.objects)
        let dontCare = objects.filter { $0.category == "DontCare" }
        #expect(objects.count - dontCare.count == 711 && dontCare.count == 378)
        #expect(Set(objects.compactMap(\.trackID)).count == 15)
        // The sweeps are cropped to camera 2's view: gold cars hold returns.
        let cloud = try sequence.pointCloud(at: 0)
        let cars = gold.frames[0].objects.filter { $0.category != "DontCare" }
        #expect(!cars.isEmpty && cloud.pointCounts(inside: cars).contains { $0 > 50 })
    }

    @Test("a synthetic training folder with two sequences: each opens alone, poses from poses/ or oxts/, gold by frame number")
    func syntheticTwoSequences() throws {
        let root = try scratchFolder("kitti-tracking")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let training = try Self.writeLayout(root)
        #expect(throws: SequenceError.severalSequences(training, names: ["0000", "0001"])) { try SensorSequence.open(training) }
        let expected = [training + "/velodyne/0000", training + "/velodyne/0001"]
        #expect(SensorSequence.sequenceFolders(training) == expected && SensorSequence.sequenceFolders(root) == expected)

        let zero = try SensorSequence.open(expected[0])
        #expect(zero.layout == .kittiTracking && zero.name == "0000" && zero.frames.map(\.name) == ["000000", "000001", "000002"])
        #expect(zero.frames[2].egoPose?.translation == SIMD3(2, 0, 0))
        let labels = try #require(try zero.labels(at: 1))
        #expect(labels.objects.map(\.category) == ["Car", "DontCare"] && labels.objects[0].trackID == "0")
        // Camera (x 2, y 1.6, z 10), bottom centre: 10 m ahead of the lidar, 2 m to its right.
        let car = try #require(labels.objects[0].cuboid)
        #expect(abs(car.center.x - 10) < 1e-9 && abs(car.center.y + 2) < 1e-9)
        #expect(try zero.labels(at: 0)?.objects.isEmpty == true && zero.labels(at: 2)?.objects.isEmpty == true)
        #expect(try zero.cameras(at: 0).map(\.name) == ["image_02"])

        // 0001: OXTS poses (0.0001 degrees of longitude east at 49 degrees north), no label file.
        let one = try SensorSequence.open(expected[1])
        #expect(one.name == "0001" && one.count == 2 && one.frames[0].egoPose?.translation == .zero)
        let metres = cos(49 * Double.pi / 180) * 6_378_137 * Double.pi / 180 * 1e-4
        #expect(abs(norm(one.frames[1].egoPose!.translation) - metres) < 1e-6)
        #expect { try one.labelSet() } throws: { "\($0)" == training + "/label_02/0001.txt: missing (the sequence's gold labels)" }
    }

    @Test("bad input names the file: a short poses file, an OXTS line of the wrong length")
    func badInput() throws {
        let root = try scratchFolder("kitti-tracking-bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let training = try Self.writeLayout(root)
        try Self.write("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 1 0 1 0 0 0 0 1 0\n", to: training + "/poses/0000.txt")
        #expect { try SensorSequence.open(training + "/velodyne/0000") } throws: {
            "\($0)" == training + "/poses/0000.txt: expected a line per frame (3), found 2"
        }
        try Self.write(Self.oxtsLine(longitude: 8.4) + "1 2 3\n", to: training + "/oxts/0001.txt")
        #expect { try SensorSequence.open(training + "/velodyne/0001") } throws: {
            "\($0)" == training + "/oxts/0001.txt: line 2: expected 30 values, found 3"
        }
    }

    func norm(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: Paths.parent(path), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func oxtsLine(longitude: Double) -> String {
        "49.0 \(longitude) 110 0 0 0.5" + String(repeating: " 0", count: 24) + "\n"
    }

    /// `root/training` with sequence 0000 (3 sweeps, poses, a Car and a DontCare row in frame 1) and
    /// 0001 (2 sweeps, OXTS, no label file).
    static func writeLayout(_ root: String) throws -> String {
        let training = root + "/training"
        let cloud = PointCloud(x: [5, 6, 7], y: [0, 1, 0], z: [0, 0, 1])
        for (sequence, frames) in [("0000", 3), ("0001", 2)] {
            try FileManager.default.createDirectory(atPath: training + "/velodyne/" + sequence, withIntermediateDirectories: true)
            for frame in 0..<frames { try PointCloudCodec.write(cloud, to: training + "/velodyne/\(sequence)/" + String(format: "%06d.bin", frame), format: .kittiBin) }
            var calib = ""
            for k in 0..<4 { calib += "P\(k): 7.2e2 0 6.0e2 0 0 7.2e2 1.8e2 0 0 0 1 0\n" }
            calib += "R0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\nTr_imu_to_velo: 1 0 0 0 0 1 0 0 0 0 1 0\n"
            try write(calib, to: training + "/calib/\(sequence).txt")
        }
        try write("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 1 0 1 0 0 0 0 1 0\n1 0 0 2 0 1 0 0 0 0 1 0\n", to: training + "/poses/0000.txt")
        try write(oxtsLine(longitude: 8.4) + oxtsLine(longitude: 8.4001), to: training + "/oxts/0001.txt")
        try write("1 0 Car 0 0 0 100 100 200 200 1.5 1.6 4.0 2.0 1.6 10.0 0.0\n1 -1 DontCare -1 -1 -10 300 100 400 200 -1 -1 -1 -1000 -1000 -1000 -10\n",
                  to: training + "/label_02/0000.txt")
        return training
    }
}

import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import CuboidTestSupport
import Foundation
import Testing

@Suite("Sequences from dataset folders")
struct SensorSequenceTests {
    @Test("KITTI object layout: five frames, the reduced cloud where the full one is absent, per-frame calibration and gold",
          .enabled(if: SharedData.isAvailable))
    func kittiObject() throws {
        let sequence = try SensorSequence.open(SharedData.path("kitti_object"))
        #expect(sequence.layout == .kittiObject && sequence.count == 5)
        #expect(sequence.frames.map(\.name) == ["000000", "000001", "000002", "000003", "007347"])
        #expect(sequence.frames[4].pointClouds["velodyne"]!.hasSuffix("velodyne_reduced/007347.bin"))
        for index in 0..<sequence.count {
            let cameras = try sequence.cameras(at: index)
            #expect(cameras.map(\.name) == ["image_2"])
            let labels = try #require(try sequence.labels(at: index))
            #expect(!labels.objects.isEmpty)
        }
        // Frame 000000's image is 1224 x 370, the others 1242 x 375: sizes come from each frame's image.
        #expect(try sequence.cameras(at: 0)[0].intrinsics.width == 1224 && sequence.cameras(at: 1)[0].intrinsics.width == 1242)
        let cloud = try sequence.pointCloud(at: 1)
        let gold = try sequence.labels(at: 1)!.objects.compactMap(\.cuboid)
        #expect(cloud.points(inside: gold).counts.allSatisfy { $0 > 0 })
    }

    @Test("KITTI raw layout: 20 frames at 10 Hz with camera 2 from the extracted calibration", .enabled(if: SharedData.isAvailable))
    func kittiRaw() throws {
        let sequence = try SensorSequence.open(SharedData.path("kitti_raw/2011_09_26"))
        #expect(sequence.layout == .kittiRaw && sequence.count == 20)
        #expect(sequence.frames[3].timestamp.map { abs($0 - 0.3) < 1e-12 } == true && sequence.frames[0].egoPose == nil)
        let camera = try #require(try sequence.cameras(at: 0).first)
        #expect(camera.name == "image_02" && camera.intrinsics.fx == 721.5377)
        // Lidar points in front of the car land in the image.
        let cloud = try sequence.pointCloud(at: 0)
        var inside = 0
        for k in stride(from: 0, to: cloud.count, by: 10) where cloud.x[k] > 5 {
            if let (pixel, _) = camera.project(SIMD3(Double(cloud.x[k]), Double(cloud.y[k]), Double(cloud.z[k]))),
               pixel.x >= 0, pixel.x < Double(camera.intrinsics.width), pixel.y >= 0, pixel.y < Double(camera.intrinsics.height) {
                inside += 1
            }
        }
        #expect(inside > 1000)
    }

    @Test("SUSTechPOINTS layout: four frames, three cameras (none for 000950), gold boxes that hold points",
          .enabled(if: SharedData.isAvailable))
    func susTechPOINTS() throws {
        let sequence = try SensorSequence.open(SharedData.path("sustechpoints"))
        #expect(sequence.layout == .susTechPOINTS && sequence.count == 4)
        #expect(sequence.frames[0].images.isEmpty && sequence.frames[1].images.keys.sorted() == ["front", "left", "right"])
        let cameras = try sequence.cameras(at: 1)
        #expect(cameras.map(\.name) == ["front", "left", "right"] && cameras[0].intrinsics.width == 2048 && cameras[0].intrinsics.height == 1536)
        // Frame 000950 has no images: the size comes from another frame's.
        #expect(try sequence.cameras(at: 0).count == 3)
        let set = try sequence.labelSet()
        #expect(set.frames.map(\.objects.count) == [19, 21, 23, 24])
        let cloud = try sequence.pointCloud(at: 1)
        let counts = cloud.points(inside: set.frames[1].objects.compactMap(\.cuboid)).counts
        #expect(counts.filter { $0 > 0 }.count >= counts.count - 2)
        // Most objects the front camera sees project into its image.
        let projected = set.frames[1].objects.compactMap { $0.cuboid }.compactMap { projectedBox($0, camera: cameras[0]) }
        #expect(projected.count >= 3)
    }

    @Test("nuScenes info: 69 gold boxes in LIDAR_TOP hold the devkit's own point counts", .enabled(if: SharedData.isAvailable))
    func nuScenesInfo() throws {
        let sequence = try SensorSequence.open(SharedData.path("nuscenes"))
        #expect(sequence.layout == .nuScenesInfo && sequence.count == 1 && sequence.sensorName == "LIDAR_TOP")
        #expect(sequence.frames[0].images.count == 6 && sequence.frames[0].egoPose != nil)
        let frame = try #require(try sequence.labels(at: 0))
        #expect(frame.objects.count == 69)
        let cloud = try sequence.pointCloud(at: 0)
        let counts = cloud.points(inside: frame.objects.map { $0.cuboid! }).counts
        let expected = frame.objects.map { Int($0.attributes["num_lidar_pts"]!.number!) }
        let exact = zip(counts, expected).filter { $0 == $1 }.count
        let found: Int = counts.reduce(0, +), wanted: Int = expected.reduce(0, +)
        print("nuScenes: \(exact) of \(counts.count) boxes hold exactly num_lidar_pts; \(found) points vs \(wanted)")
        #expect(exact >= 60)
        #expect(abs(found - wanted) <= wanted / 50)
        // CAM_FRONT sees cars ahead.
        let front = try #require(try sequence.cameras(at: 0).first { $0.name == "CAM_FRONT" })
        #expect(frame.objects.compactMap { $0.cuboid }.compactMap { projectedBox($0, camera: front) }.count >= 20)
    }

    @Test("generic layout: clouds in any format, timestamps, poses, a camera; bad poses name file and line")
    func generic() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-generic-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/lidar", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/calib/camera", withIntermediateDirectories: true)
        let cloud = PointCloud(x: [1, 2, 3], y: [0, 0, 0], z: [0, 0, 1])
        try PointCloudCodec.write(cloud, to: folder + "/lidar/a.pcd", format: .pcdBinary)
        try PointCloudCodec.write(cloud, to: folder + "/lidar/b.ply", format: .plyASCII)
        try PointCloudCodec.write(cloud, to: folder + "/lidar/c.bin", format: .kittiBin)
        try Data("10.0\n10.1\n10.2\n".utf8).write(to: URL(fileURLWithPath: folder + "/timestamps.txt"))
        try Data("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 1 0 1 0 0 0 0 1 0\n1 0 0 2 0 1 0 0 0 0 1 0\n".utf8).write(to: URL(fileURLWithPath: folder + "/poses.txt"))
        let camera = Camera(name: "front", intrinsics: CameraIntrinsics(fx: 500, fy: 500, cx: 320, cy: 240, width: 640, height: 480),
                            cameraFromSensor: RigidPose(rotation: Quaternion(rotationMatrix: [[0, -1, 0], [0, 0, -1], [1, 0, 0]])))
        try Data(CameraCalibrationFile.encode(camera)).write(to: URL(fileURLWithPath: folder + "/calib/camera/front.json"))
        let sequence = try SensorSequence.open(folder)
        #expect(sequence.layout == .generic && sequence.frames.map(\.name) == ["a", "b", "c"])
        #expect(sequence.frames.map(\.timestamp) == [10.0, 10.1, 10.2] && sequence.frames[2].egoPose?.translation == SIMD3(2, 0, 0))
        for index in 0..<3 { #expect(try sequence.pointCloud(at: index).count == 3) }
        let read = try sequence.cameras(at: 0)
        #expect(read.count == 1 && read[0].intrinsics == camera.intrinsics)
        try Data("1 0 0 0 0 1 0 0 0 0 1 0\n2 0 0 1 0 1 0 0 0 0 1 0\n".utf8).write(to: URL(fileURLWithPath: folder + "/poses.txt"))
        #expect { try SensorSequence.open(folder) } throws: { "\($0)" == folder + "/poses.txt: line 2: the 3 x 3 part is not a rotation" }
        try Data("1 0 0 0 0 1 0 0 0 0 1 0\n".utf8).write(to: URL(fileURLWithPath: folder + "/poses.txt"))
        #expect { try SensorSequence.open(folder) } throws: { "\($0)" == folder + "/poses.txt: expected a line per frame (3), found 1" }
    }

    @Test("OXTS poses: the devkit's Mercator projection, relative to the first record")
    func oxts() throws {
        // 1e-4 degrees of longitude east at 49 degrees north: scale * R * pi / 180 * 1e-4 metres along x.
        let first = OXTSRecord(latitude: 49, longitude: 8.4, altitude: 110, roll: 0, pitch: 0, yaw: 0.5)
        let east = OXTSRecord(latitude: 49, longitude: 8.4001, altitude: 111, roll: 0, pitch: 0, yaw: 0.5)
        let poses = OXTSRecord.poses([first, east])
        #expect(poses[0].translation == .zero)
        let metres = cos(49 * Double.pi / 180) * 6_378_137 * Double.pi / 180 * 1e-4
        // Relative to the first pose, which faces yaw 0.5: the step east is seen rotated by -0.5.
        let step = poses[1].translation
        let expectedX: Double = metres * cos(0.5), expectedY: Double = -metres * sin(0.5)
        #expect(abs(step.x - expectedX) < 1e-6)
        #expect(abs(step.y - expectedY) < 1e-6)
        #expect(abs(step.z - 1) < 1e-9)
        var line = "49.0 8.4 110 0.01 0.02 0.5"
        for _ in 0..<24 { line += " 0" }
        let record = try OXTSRecord.decode(Array(line.utf8))
        #expect(record.roll == 0.01 && record.pitch == 0.02)
        #expect(throws: SequenceFileError.wrongValueCount(line: 1, expected: 30, found: 6)) { try OXTSRecord.decode(Array("1 2 3 4 5 6".utf8)) }
        #expect(try SequenceFiles.timestamps(Array("2011-09-26 13:02:25.964389445\n".utf8), count: 1)[0] == 1_317_042_145.964389445)
    }
}

@Suite("File names that are not UTF-8")
struct UndecodableNameTests {
    /// A cloud whose name is not UTF-8 cannot be opened through a `String` path: it is left out and
    /// reported by its escaped name, and every other frame opens and reads.
    @Test("a frame with a non-UTF-8 name is skipped and reported, the others read", arguments: ["kitti-object", "generic"])
    func undecodableFrameName(layout: String) throws {
        let root = try scratchFolder("names")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + (layout == "kitti-object" ? "/velodyne" : "/lidar")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cloud = PointCloud(x: [1, 2], y: [0, 0], z: [0, 1])
        try PointCloudCodec.write(cloud, to: folder + "/000000.bin", format: .kittiBin)
        try PointCloudCodec.write(cloud, to: folder + "/000002.bin", format: .kittiBin)
        let bad = Array(folder.utf8) + [UInt8(ascii: "/"), 0xFF] + Array("000001.bin".utf8) + [0]
        let descriptor = bad.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        #expect(descriptor >= 0)
        let encoded = PointCloudCodec.encode(cloud, as: .kittiBin)
        _ = encoded.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)

        let sequence = try SensorSequence.open(root)
        #expect(sequence.frames.map(\.name) == ["000000", "000002"])
        #expect(sequence.skippedFiles == [folder + "/\\xFF000001.bin"])
        for index in sequence.frames.indices { #expect(try sequence.pointCloud(at: index).count == 2) }
    }
}

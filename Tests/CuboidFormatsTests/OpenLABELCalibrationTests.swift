@testable import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

/// A KITTI calibration with a rotated, offset Velodyne, a non-identity `R0_rect` and projections whose
/// fourth columns hold the cameras' baselines (as KITTI's P1-P3 do). `shift` moves the principal point
/// and the Velodyne so two calibrations differ everywhere.
private func calibration(shift: Double) -> KITTICalibration {
    let axis = SIMD3(0.1, 0.2, 1.0)
    let r = Quaternion(axis: axis / (axis * axis).sum().squareRoot(), angle: 0.01 + shift / 100).rotationMatrix
    let rectification = [r[0][0], r[0][1], r[0][2], r[1][0], r[1][1], r[1][2], r[2][0], r[2][1], r[2][2]]
    // Velodyne (x forward, y left, z up) into the camera (x right, y down, z forward), then offsets.
    let velodyne: [Double] = [0, -1, 0, -0.004 - shift, 0, 0, -1, -0.076, 1, 0, 0, -0.27 + shift]
    func p(_ fx: Double, _ column: [Double]) -> [Double] {
        [fx, 0, 604 + 10 * shift, column[0], 0, fx, 180.5, column[1], 0, 0, 1, column[2]]
    }
    return KITTICalibration(projections: [0: p(707, [0, 0, 0]), 2: p(707, [45.76, -0.35, 0.0049]), 3: p(707, [-334.1, 2.33, 0.0033])],
                            rectification: rectification, velodyneToCamera: velodyne)
}

/// A way the frames of a file carry their KITTI calibration.
struct CalibrationScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let shifts: [Double]
    var testDescription: String { name }
    static let all = [
        CalibrationScenario(name: "one calibration for every frame (KITTI tracking)", shifts: [0, 0, 0]),
        CalibrationScenario(name: "frames from two drives (KITTI object)", shifts: [0, 0.3, 0.3, 0]),
    ]
}

@Suite("OpenLABEL carries calibration")
struct OpenLABELCalibrationTests {
    /// Written as camera streams (`P` verbatim) and the rectified frame's coordinate system, with
    /// frame-level streams and transforms where a frame's calibration differs; read back, each
    /// frame's calibration projects every point as the original does, and KITTI export without a
    /// calibration gives the labels the original calibration gives.
    @Test(arguments: CalibrationScenario.all)
    func kittiCalibrationRoundTrip(_ scenario: CalibrationScenario) throws {
        var set = LabelSet(sensorName: "velodyne")
        for (index, shift) in scenario.shifts.enumerated() {
            var frame = LabeledFrame(name: String(format: "%06d", index), objects: [
                LabeledObject(trackID: "3", category: "Car", cuboid: Box3D(x: 12 + Double(index), y: 2, z: -0.8, length: 4, width: 1.7, height: 1.5, yaw: 0.4)),
            ])
            frame.kittiCalibration = calibration(shift: shift)
            set.frames.append(frame)
        }
        let document = OpenLABELFile.encode(set)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])["openlabel"] as! [String: Any]
        let streams = root["streams"] as! [String: [String: Any]]
        #expect(Set(streams.keys) == ["velodyne", "image_0", "image_2", "image_3"])
        let systems = root["coordinate_systems"] as! [String: [String: Any]]
        #expect(systems["image_2"]?["parent"] as? String == "velodyne")
        #expect(Set(systems["velodyne"]?["children"] as! [String]) == ["image_0", "image_2", "image_3"])
        let frames = root["frames"] as! [String: [String: Any]]
        let own = frames.values.filter { ($0["frame_properties"] as! [String: Any])["streams"] != nil }.count
        #expect(own == scenario.shifts.filter { $0 != scenario.shifts[0] }.count)

        let back = try OpenLABELFile.decode(document)
        for (frame, shift) in zip(back.frames, scenario.shifts) {
            let read = try #require(frame.kittiCalibration)
            let original = calibration(shift: shift)
            #expect(read.projections.keys.sorted() == [0, 2, 3])
            for index in [0, 2, 3] {
                for point in [SIMD3(10.0, 3, -1), SIMD3(25.0, -6, 0.5), SIMD3(4.0, 0.2, 1)] {
                    let a = try original.camera(index, width: 1242, height: 375).project(point)!
                    let b = try read.camera(index, width: 1242, height: 375).project(point)!
                    #expect(distance(SIMD3(a.pixel.x, a.pixel.y, a.depth), SIMD3(b.pixel.x, b.pixel.y, b.depth)) < 1e-9, "P\(index) at \(point)")
                }
            }
        }
        // KITTI export from the file alone equals export with the calibrations given.
        let folder = NSTemporaryDirectory() + "cuboid-calib-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let size = LabelContext(imageSize: (1242, 375))
        try LabelStore.write(back, to: folder + "/own", format: .kitti, context: size)
        for (index, shift) in scenario.shifts.enumerated() {
            let name = String(format: "%06d", index)
            try LabelStore.write(LabelSet(sensorName: "velodyne", frames: [set.frames[index]]), to: folder + "/given", format: .kitti,
                                 context: LabelContext(calibration: calibration(shift: shift), imageSize: (1242, 375)))
            let own = try FileBytes.read(folder + "/own/\(name).txt"), given = try FileBytes.read(folder + "/given/\(name).txt")
            #expect(own == given, "frame \(name)")
        }
        // KITTI tracking without a calibration uses the frames' own too.
        try LabelStore.write(back, to: folder + "/0000.txt", format: .kittiTracking, context: size)
        #expect(try KITTITrackingLabelFile.read(folder + "/0000.txt").map(\.trackID) == Array(repeating: 3, count: scenario.shifts.count))
    }

    @Test("KITTI export without any calibration still names what is missing")
    func kittiWithoutCalibration() throws {
        let set = LabelSet(frames: [LabeledFrame(name: "000000", objects: [LabeledObject(category: "Car", cuboid: Box3D(x: 5, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))])])
        let folder = NSTemporaryDirectory() + "cuboid-nocalib-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: LabelFileError.self) { try LabelStore.write(set, to: folder, format: .kitti) }
        #expect(throws: LabelFileError.self) { try LabelStore.write(set, to: folder + ".txt", format: .kittiTracking) }
    }

    /// KITTI track ids: a number is kept, a name made of the class and a number (VCD's `Car3`) gives
    /// that number, anything else the smallest id no track has; a taken id is not given twice.
    @Test func kittiTrackingIDs() throws {
        let box = Box3D(x: 10, y: 0, z: -1, length: 4, width: 2, height: 1.5, yaw: 0)
        let tracks: [(String, String)] = [("Car3", "Car"), ("7", "Van"), ("pedestrian12", "Pedestrian"), ("lead", "Car"), ("Van7", "Van"), ("Car03", "Car")]
        let set = LabelSet(sensorName: "velodyne", frames: [LabeledFrame(name: "000000", objects: tracks.map { LabeledObject(trackID: $0.0, category: $0.1, cuboid: box) }),
                                                            LabeledFrame(name: "000001", objects: tracks.map { LabeledObject(trackID: $0.0, category: $0.1, cuboid: box) })])
        let path = NSTemporaryDirectory() + "cuboid-ids-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LabelStore.write(set, to: path, format: .kittiTracking, context: LabelContext(calibration: calibration(shift: 0), imageSize: (1242, 375)))
        let ids = try KITTITrackingLabelFile.read(path).map(\.trackID)
        // Car3 -> 3, 7 -> 7, pedestrian12 -> 12, lead -> 0, Van7 -> 7 is taken -> 1, Car03 is not "Car" + a number's digits -> 2.
        #expect(ids == [3, 7, 12, 0, 1, 2, 3, 7, 12, 0, 1, 2])
    }

    /// Object-level (static) `object_data`: an object with a static cuboid is in every frame it lives
    /// in (its frame intervals, or all frames without any), one frame holds them in a file without
    /// frames, and static data completes what a frame gives.
    @Test func staticObjectData() throws {
        let objects = #"""
            "objects": {
              "0": {"name": "parked", "type": "Car", "frame_intervals": [{"frame_start": 1, "frame_end": 2}],
                    "object_data": {"cuboid": [{"name": "box", "coordinate_system": "lidar", "val": [10, 2, -1, 0, 0, 0.5, 4, 2, 1.5]}]}},
              "1": {"name": "walker", "type": "Pedestrian",
                    "object_data": {"text": [{"name": "colour", "val": "red"}]}}
            }
            """#
        let coordinateSystems = #""coordinate_systems": {"lidar": {"type": "sensor_cs", "parent": "", "children": []}}"#
        let walker = #"{"object_data": {"cuboid": [{"name": "box", "coordinate_system": "lidar", "val": [5, 0, -1, 0, 0, 0, 0.6, 0.6, 1.8]}]}}"#
        let withFrames = #"{"openlabel": {"metadata": {"schema_version": "1.0.0"}, \#(coordinateSystems), \#(objects), "frames": {"0": {"objects": {"1": \#(walker)}}, "1": {"objects": {"1": \#(walker)}}, "2": {"objects": {}}, "3": {"objects": {}}}}}"#
        let set = try OpenLABELFile.decode(bytes(withFrames))
        #expect(set.sensorName == "lidar")
        #expect(set.frames.map { $0.objects.filter { $0.category == "Car" }.count } == [0, 1, 1, 0])
        let parked = try #require(set.frames[1].objects.first { $0.category == "Car" }?.cuboid)
        #expect(parked.x == 10 && parked.length == 4 && abs(parked.yaw - 0.5) < 1e-12)
        // The walker's static colour completes its frame data.
        #expect(set.frames[0].objects.first { $0.category == "Pedestrian" }?.attributes["colour"] == .text("red"))

        let withoutFrames = #"{"openlabel": {"metadata": {"schema_version": "1.0.0"}, \#(coordinateSystems), \#(objects)}}"#
        let single = try OpenLABELFile.decode(bytes(withoutFrames))
        #expect(single.frames.count == 1 && single.frames[0].objects.map(\.category) == ["Car"])
    }

    @Test("a camera without width_px and height_px reads with size 0")
    func cameraWithoutSize() throws {
        let text = #"{"openlabel": {"metadata": {"schema_version": "1.0.0"}, "coordinate_systems": {"lidar": {"type": "sensor_cs", "parent": "", "children": ["cam"]}, "cam": {"type": "sensor_cs", "parent": "lidar", "children": []}}, "streams": {"lidar": {"type": "lidar"}, "cam": {"type": "camera", "stream_properties": {"intrinsics_pinhole": {"camera_matrix_3x4": [700, 0, 600, 0, 0, 700, 180, 0, 0, 0, 1, 0]}}}}}}"#
        let set = try OpenLABELFile.decode(bytes(text))
        #expect(set.cameras.count == 1 && set.cameras[0].intrinsics.width == 0 && set.cameras[0].intrinsics.fx == 700)
    }

    /// The real KITTI object frames (two drives, so two calibrations) through OpenLABEL and back to
    /// KITTI with no calibration given: byte for byte the source labels (their 15 fields).
    @Test("real KITTI object labels: KITTI -> OpenLABEL -> KITTI with the file's own calibration", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func realKITTIObjectCalibration() throws {
        let root = SharedData.path("kitti_object/training")
        let set = try LabelStore.read(root + "/label_2", format: .kitti, context: LabelContext(calibrationFolder: root))
        let back = try OpenLABELFile.decode(OpenLABELFile.encode(set))
        #expect(Set(back.frames.compactMap(\.kittiCalibration).map { $0.projections[2]! }).count == 2)
        let folder = NSTemporaryDirectory() + "cuboid-kitti-own-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try LabelStore.write(back, to: folder, format: .kitti)
        for frame in set.frames {
            let source = String(decoding: SharedData.bytes("kitti_object/training/label_2/\(frame.name).txt"), as: UTF8.self)
                .split(separator: "\n").map { $0.split(separator: " ").prefix(15).joined(separator: " ") }
            let written = String(decoding: try FileBytes.read(folder + "/\(frame.name).txt"), as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(written == source, "frame \(frame.name)")
        }
    }

    /// VCD's KITTI tracking file gives its cuboids in `CAM_LEFT`, whose camera matrix is P2: that is
    /// the calibration KITTI tracking export uses without --calib, and the track ids are label_02's.
    @Test("VCD's KITTI tracking file exports to KITTI tracking with its own calibration", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func vcdOwnCalibration() throws {
        var set = try OpenLABELFile.read(SharedData.path("openlabel/vcd/openlabel100_kitti_tracking_0000.json"))
        for f in set.frames.indices { set.frames[f].objects.removeAll { $0.category == "Egocar" } }
        let p2 = try #require(set.frames[0].kittiCalibration?.projections[2])
        #expect(p2 == [721.5377, 0.0, 609.5593, 44.85728, 0.0, 721.5377, 172.854, 0.2163791, 0.0, 0.0, 1.0, 0.002745884])
        let path = NSTemporaryDirectory() + "cuboid-vcd-own-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LabelStore.write(set, to: path, format: .kittiTracking, context: LabelContext(decimals: 6))
        let written = try KITTITrackingLabelFile.read(path).filter { !$0.object.isDontCare }
        let gold = try KITTITrackingLabelFile.read(SharedData.path("kitti_tracking/training/label_02/0000.txt")).filter { !$0.object.isDontCare }
        var byKey: [String: KITTIObjectLabel] = [:]
        for label in gold { byKey["\(label.frame) \(label.trackID)"] = label.object }
        #expect(written.count == gold.count && written.allSatisfy { byKey["\($0.frame) \($0.trackID)"]?.type == $0.object.type })
        // Within VCD's two decimals of the gold (the file truncates; see OpenLABELPoseTests).
        let worst = written.map { label in
            let d = byKey["\(label.frame) \(label.trackID)"]!.location - label.object.location
            return max(abs(d.x), abs(d.y), abs(d.z))
        }.max() ?? .infinity
        #expect(worst < 0.02, "max location difference \(worst) m")
    }

    /// The KITTI tracking sequence through OpenLABEL and back to KITTI tracking without a
    /// calibration: every row as the source prints it, track ids included.
    @Test("real KITTI tracking labels: KITTI tracking -> OpenLABEL -> KITTI tracking with the file's own calibration", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func realKITTITrackingCalibration() throws {
        let calibration = try KITTICalibration.read(SharedData.path("kitti_tracking/training/calib/0000.txt"))
        let set = try LabelStore.read(SharedData.path("kitti_tracking/training/label_02/0000.txt"), format: .kittiTracking, context: LabelContext(calibration: calibration))
        let back = try OpenLABELFile.decode(OpenLABELFile.encode(set))
        let path = NSTemporaryDirectory() + "cuboid-tracking-own-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LabelStore.write(back, to: path, format: .kittiTracking, context: LabelContext(decimals: 6))
        let written = try KITTITrackingLabelFile.read(path)
        let gold = try KITTITrackingLabelFile.read(SharedData.path("kitti_tracking/training/label_02/0000.txt"))
        #expect(written.count == gold.count)
        var worst = 0.0
        for (a, b) in zip(written, gold) {
            #expect(a.frame == b.frame && a.trackID == b.trackID && a.object.type == b.object.type)
            if !a.object.isDontCare { worst = max(worst, ((a.object.location - b.object.location) * (a.object.location - b.object.location)).sum().squareRoot()) }
        }
        #expect(worst < 1e-5, "max location difference \(worst) m")
    }
}

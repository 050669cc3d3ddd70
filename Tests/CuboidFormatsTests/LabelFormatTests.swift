@testable import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidTestSupport
import Foundation
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

let sustechFrames: [String] = SharedData.isAvailable
    ? SharedData.files(under: "sustechpoints/label", suffixes: [".json"]).map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "") }
    : []

/// KITTI label files with their calibration: gold for every frame, and the detector results.
let kittiLabelFiles: [String] = SharedData.isAvailable
    ? SharedData.files(under: "kitti_object/training/label_2", suffixes: [".txt"]).map { "label_2/" + ($0 as NSString).lastPathComponent }
        + SharedData.files(under: "kitti_object/training/pred_label_2", suffixes: [".txt"]).map { "pred_label_2/" + ($0 as NSString).lastPathComponent }
    : []

@Suite("Label formats: JSON, OpenLABEL, SUSTechPOINTS, KITTI tracking")
struct LabelFormatTests {
    @Test("JSON numbers print as JavaScript prints them and read back bit for bit",
          arguments: [(0.0, "0"), (-0.0, "0"), (4.0, "4"), (4.5, "4.5"), (-0.5, "-0.5"), (1e-6, "0.000001"), (1e-7, "1e-7"),
                      (1.2345678901234568e20, "123456789012345680000"), (1e21, "1e+21"), (1.4025025217488531, "1.4025025217488531"),
                      (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1 + 0.2, "0.30000000000000004"),
                      (-2.5e-8, "-2.5e-8"), (100, "100")])
    func javaScriptNumbers(value: Double, expected: String) throws {
        #expect(JSONWriter.number(value) == expected)
        let back = try parseJSON(bytes(expected))
        #expect(back.number == value)
    }

    @Test("JSON numbers of random doubles of every magnitude read back bit for bit, in decimal exactly from 1e-6 up to below 1e21")
    func javaScriptNumbersOfEveryMagnitude() throws {
        var random = SplitMix64(seed: 27)
        for _ in 0..<20_000 {
            let value = Double(bitPattern: random.next())
            guard value.isFinite, value != 0 else { continue }
            let text = JSONWriter.number(value)
            #expect(try parseJSON(bytes(text)).number == value, "\(value) -> \(text)")
            #expect(text.contains("e") == !(abs(value) >= 1e-6 && abs(value) < 1e21), "\(value) -> \(text)")
            let mantissa = text.split(separator: "e")[0]
            #expect(!text.contains("e+0") && !text.contains("e-0") && !(mantissa.contains(".") && mantissa.hasSuffix("0")), "\(text)")
        }
    }

    @Test("JSON parser: escapes, surrogate pairs, lines, and errors with line and column")
    func jsonParser() throws {
        let node = try parseJSON(bytes("{\n  \"a\": [1, 2.5e3, -0],\n  \"b\": \"x\\u00e9\\ud83d\\ude00\\n\",\n  \"c\": {\"d\": null, \"e\": true}\n}"))
        #expect(node["a"]?.elements?.map(\.number) == [1, 2500, 0])
        #expect(node["b"]?.string == "xé😀\n")
        #expect(node["b"]?.line == 3 && node["c"]?["e"]?.bool == true && node["c"]?["d"]?.isNull == true)
        #expect(JSONOutput.object([("b", .string("xé😀\n\u{1}"))]).rendered(indent: 0) == "{\"b\":\"xé😀\\n\\u0001\"}")
        let failures: [(String, Int, Int)] = [("{\n \"a\": [1, 2,\n 3 x]\n}", 3, 4), ("[1e]", 1, 4), ("[01]", 1, 3), ("\"abc", 1, 5),
                                             ("[1] x", 1, 5), ("{\"a\" 1}", 1, 6), ("[\"\\ud800\"]", 1, 9), ("[nul]", 1, 2), ("", 1, 1),
                                             ("[1e999]", 1, 7), ("\"a\tb\"", 1, 3)]
        for (source, line, column) in failures {
            #expect(throws: JSONSyntaxError.self, "\(source)") { try parseJSON(bytes(source)) }
            do { _ = try parseJSON(bytes(source)) } catch {
                #expect(error.line == line && error.column == column, "\(source): \(error)")
            }
        }
        #expect(throws: JSONSyntaxError.self) { try parseJSON(bytes(String(repeating: "[", count: 100_000))) }
    }

    @Test("real KITTI labels: KITTI -> OpenLABEL -> KITTI prints back byte for byte", .enabled(if: SharedData.isAvailable),
          arguments: kittiLabelFiles)
    func kittiThroughOpenLABEL(file: String) throws {
        let root = "kitti_object/training/"
        let frame = (file as NSString).lastPathComponent.replacingOccurrences(of: ".txt", with: "")
        let original = SharedData.bytes(root + file)
        let calibration = try KITTICalibration.read(SharedData.path(root + "calib/\(frame).txt"))
        let labels = try KITTILabelFile.decode(original)
        let set = LabelSet(frames: [LabeledFrame(name: frame, objects: labels.map { LabeledObject(kitti: $0, calibration: calibration) })])
        let document = OpenLABELFile.encode(set)
        let back = try OpenLABELFile.decode(document)
        #expect(back.frames.count == 1 && back.frames[0].name == frame && back.objectCount == labels.count)
        let rebuilt = try back.frames[0].objects.map { try KITTIObjectLabel($0, calibration: calibration) }
        // Gold files print two decimals, the results files four.
        #expect(text(KITTILabelFile.encode(rebuilt, decimals: file.hasPrefix("pred") ? 4 : 2)) == text(original))
    }

    @Test("real SUSTechPOINTS labels: SUSTechPOINTS -> OpenLABEL -> SUSTechPOINTS is exact", .enabled(if: SharedData.isAvailable),
          arguments: sustechFrames)
    func sustechThroughOpenLABEL(frame: String) throws {
        let original = SharedData.bytes("sustechpoints/label/\(frame).json")
        let objects = try SUSTechPOINTSLabelFile.decode(original)
        #expect(objects.count > 10 && objects.contains { $0.roll != 0 })
        // The file itself prints back byte for byte (the tool's own number printing).
        #expect(text(SUSTechPOINTSLabelFile.encode(objects)) == text(original))
        let set = LabelSet(frames: [LabeledFrame(name: frame, objects: objects)])
        let back = try OpenLABELFile.decode(OpenLABELFile.encode(set))
        #expect(back.frames[0].objects.map(\.labelOnly) == objects)
        #expect(text(SUSTechPOINTSLabelFile.encode(back.frames[0].objects)) == text(original))
    }

    @Test("the whole SUSTechPOINTS sequence through one OpenLABEL file keeps every frame's objects in order",
          .enabled(if: SharedData.isAvailable))
    func sustechSequenceThroughOpenLABEL() throws {
        let set = try LabelStore.read(SharedData.path("sustechpoints/label"), format: .susTechPOINTS)
        #expect(set.frames.count == 4)
        let back = try OpenLABELFile.decode(OpenLABELFile.encode(set))
        for (frame, original) in zip(back.frames, set.frames) {
            #expect(frame.name == original.name)
            #expect(text(SUSTechPOINTSLabelFile.encode(frame.objects)) == text(SharedData.bytes("sustechpoints/label/\(frame.name).json")))
        }
        // Tracks span frames: obj_id 4 is one OpenLABEL object.
        let objects = try parseJSON(OpenLABELFile.encode(set))["openlabel"]?["objects"]?.members ?? []
        #expect(objects.filter { $0.value["name"]?.string == "4" }.count == 1)
    }

    @Test("OpenLABEL: tracks, poses, timestamps, cameras, attributes and 9-value Euler cuboids")
    func openLABELContents() throws {
        let camera = Camera(name: "front", intrinsics: CameraIntrinsics(fx: 700, fy: 710, cx: 640, cy: 360, width: 1280, height: 720),
                            cameraFromSensor: RigidPose(rotation: Quaternion(rotationMatrix: [[0, -1, 0], [0, 0, -1], [1, 0, 0]]), translation: SIMD3(0.1, -0.2, 0.3)))
        let car = LabeledObject(trackID: "7", category: "Car", cuboid: Box3D(x: 10, y: 2, z: 0.8, length: 4.5, width: 1.9, height: 1.6, yaw: 3.1),
                                roll: 0.02, pitch: -0.01, boxes: ["front": Box2D(minX: 100, minY: 50, maxX: 300, maxY: 200)],
                                attributes: ["occluded": .number(1), "moving": .flag(true), "note": .text("parked \"badly\"")])
        var later = car
        later.cuboid!.x = 12
        let frames = [LabeledFrame(name: "a", timestamp: 1.5, egoPose: RigidPose(yaw: 0.3, translation: SIMD3(5, 6, 7)), objects: [car]),
                      LabeledFrame(name: "b", timestamp: 1.6, egoPose: RigidPose(yaw: 0.31, translation: SIMD3(6, 6, 7)),
                                   objects: [later, LabeledObject(category: "Pedestrian", cuboid: Box3D(x: 5, y: 1, z: 0.9, length: 0.6, width: 0.6, height: 1.8, yaw: 0), score: 0.75)])]
        let set = LabelSet(sensorName: "velodyne", cameras: [camera], frames: frames)
        let document = OpenLABELFile.encode(set)
        let back = try OpenLABELFile.decode(document)
        #expect(back.sensorName == "velodyne" && back.frames.count == 2)
        #expect(back.frames[0].objects[0].labelOnly == car && back.frames[1].objects[0].labelOnly == later)
        // The object without a track id gets the smallest integer uid no track id holds.
        #expect(back.frames[1].objects[1].score == 0.75 && back.frames[1].objects[1].trackID == "0")
        #expect(back.frames.map(\.timestamp) == [1.5, 1.6] && back.frames.map(\.name) == ["a", "b"])
        for (a, b) in zip(back.frames, frames) {
            #expect(abs(a.egoPose!.translation.x - b.egoPose!.translation.x) < 1e-12)
            #expect(abs(a.egoPose!.rotation.yaw - b.egoPose!.rotation.yaw) < 1e-12)
        }
        let k = try #require(back.cameras.first)
        #expect(k.intrinsics == camera.intrinsics)
        let moved = k.cameraFromSensor.apply(to: SIMD3(1, 2, 3)) - camera.cameraFromSensor.apply(to: SIMD3(1, 2, 3))
        #expect((moved * moved).sum() < 1e-24)
        // One object per track: the car is one object over frames 0-1.
        #expect(try parseJSON(document)["openlabel"]?["objects"]?.members?.count == 2)
        // A 9-value cuboid is Euler XYZ; another tool's quaternion without our attribute reads by conversion.
        let euler = bytes(#"{"openlabel": {"metadata": {"schema_version": "1.0.0"}, "objects": {"0": {"name": "x", "type": "Car"}, "1": {"name": "y", "type": "Van"}},"#
            + #""frames": {"3": {"objects": {"0": {"object_data": {"cuboid": [{"name": "c", "val": [1, 2, 3, 0, 0, 0.5, 4, 2, 1.5]}]}},"#
            + #""1": {"object_data": {"cuboid": [{"name": "c", "val": [1, 2, 3, 0, 0, 0.24740395925452294, 0.9689124217106447, 4, 2, 1.5]}]}}}}}}}"#)
        let read = try OpenLABELFile.decode(euler)
        #expect(read.frames[0].objects[0].cuboid == Box3D(x: 1, y: 2, z: 3, length: 4, width: 2, height: 1.5, yaw: 0.5))
        #expect(abs(read.frames[0].objects[1].cuboid!.yaw - 0.5) < 1e-12)
    }

    @Test("OpenLABEL and SUSTechPOINTS: malformed files name the line (the byte in one-line files) and what was expected",
          arguments: [
            (#"{"openlabel": {"metadata": {}}}"#, LabelFileError.missingFieldAt(byte: 27, field: "schema_version")),
            ("{\"openlabel\": {\"metadata\": {\"schema_version\": \"2.0\"}}}", .invalidFieldAt(byte: 27, field: "schema_version", expected: "1.x, found 2.0")),
            ("{\"openlabel\": {\n\"metadata\": {\"schema_version\": \"1.0.0\"},\n\"objects\": {\"0\": {\"name\": \"a\", \"type\": \"Car\"}},\n\"frames\": {\"0\": {\"objects\": {\"0\": {\"object_data\": {\"cuboid\": [\n{\"name\": \"c\", \"val\": [1, 2, 3]}]}}}}}}}",
             .invalidField(line: 5, field: "val", expected: "an array of 10 or 9 numbers")),
            ("{\"openlabel\": {\n\"metadata\": {\"schema_version\": \"1.0.0\"},\n\"frames\": {\"0\": {\"objects\": {\"4\": {}}}}}}",
             .invalidField(line: 3, field: "objects", expected: "object 4 declared in openlabel.objects")),
            ("{\"openlabel\": {\"metadata\": {\"schema_version\": \"1.0.0\"},\n\"objects\": {\"0\": {\"name\": \"a\", \"type\": \"Car\"}},\n\"frames\": {\"0\": {\"objects\": {\"0\": {\"object_data\": {\"cuboid\": [{\"name\": \"c\", \"val\": [1, 2, 3, 0, 0, 0, 3, 4, 2, 1.5]}]}}}}}}}",
             .invalidField(line: 3, field: "cuboid val", expected: "a unit quaternion")),
            ("[{\"psr\": {\"position\": {\"x\": 1, \"y\": 2, \"z\": 3},\n \"scale\": {\"x\": 1, \"y\": \"wide\", \"z\": 3}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}}, \"obj_type\": \"Car\", \"obj_id\": \"1\"}]",
             .invalidField(line: 2, field: "y", expected: "a number")),
            ("[{\"psr\": {\"position\": {\"x\": 1, \"y\": 2, \"z\": 3}, \"scale\": {\"x\": 1, \"y\": 2, \"z\": 3}, \"rotation\": {\"x\": 0, \"y\": 0, \"z\": 0}},\n \"obj_id\": \"1\"}]",
             .missingField(line: 1, field: "obj_type")),
            ("[{\"psr\": {\"position\": {\"x\": NaN}}}]", .invalidFieldAt(byte: 28, field: "x", expected: "a number")),
            ("[{\"psr\": {\"position\": {\"x\": Nan}}}]", .syntax(line: 1, column: 29, expected: "a JSON value")),
          ])
    func malformed(source: String, expected: LabelFileError) {
        #expect(throws: expected) {
            if source.hasPrefix("[") { _ = try SUSTechPOINTSLabelFile.decode(bytes(source)) } else { _ = try OpenLABELFile.decode(bytes(source)) }
        }
    }

    @Test("file errors name the file")
    func fileErrorsNameTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-bad-\(getpid()).json").path
        try Data("[{\"psr\": 1}]".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try SUSTechPOINTSLabelFile.read(path)
            Issue.record("no error")
        } catch {
            #expect("\(error)" == "\(path): byte 9: missing \"position\"")
        }
    }

    @Test("KITTI tracking labels: read, write, malformed lines")
    func kittiTracking() throws {
        let source = """
        0 -1 DontCare -1 -1 -10.000000 219.310000 188.490000 245.500000 218.560000 -1000.000000 -1000.000000 -1000.000000 -10.000000 -1.000000 -1.000000 -1.000000
        0 0 Van 0 0 -1.793451 296.744956 161.752147 455.226042 292.372804 2.000000 1.823255 4.433886 -4.552284 1.858523 13.410495 -2.115488
        1 0 Van 0 0 -1.796862 294.898777 156.024256 452.199718 284.621269 2.000000 1.823255 4.433886 -4.650955 1.766774 13.581085 -2.121565

        """
        let labels = try KITTITrackingLabelFile.decode(bytes(source))
        #expect(labels.map(\.frame) == [0, 0, 1] && labels.map(\.trackID) == [-1, 0, 0])
        #expect(labels[1].object.type == "Van" && labels[1].object.dimensions == SIMD3(2, 1.823255, 4.433886))
        #expect(text(KITTITrackingLabelFile.encode(labels)) == source)
        #expect(throws: KITTILabelError.wrongTrackingFieldCount(line: 2, found: 16)) {
            try KITTITrackingLabelFile.decode(bytes("0 0 Car 0 0 0 1 1 2 2 1 1 1 0 0 5 0\n0 0 Car 0 0 0 1 1 2 2 1 1 1 0 0 5\n"))
        }
        #expect(throws: KITTILabelError.invalidNumber(line: 1, field: "track_id", text: "x")) {
            try KITTITrackingLabelFile.decode(bytes("0 x Car 0 0 0 1 1 2 2 1 1 1 0 0 5 0\n"))
        }
        #expect(throws: KITTILabelError.invalidNumber(line: 1, field: "z", text: "nan")) {
            try KITTITrackingLabelFile.decode(bytes("0 1 Car 0 0 0 1 1 2 2 1 1 1 0 0 nan 0\n"))
        }
        #expect(throws: KITTILabelError.unknownClass(line: 1, name: "Bus")) {
            try KITTITrackingLabelFile.decode(bytes("0 1 Bus 0 0 0 1 1 2 2 1 1 1 0 0 5 0\n"))
        }
    }
}

extension LabeledObject {
    /// The object without what OpenLABEL reading adds beyond the label (its name, which Cuboid's
    /// writer sets to the track id, and the file's own layout kept for writing back).
    var labelOnly: LabeledObject {
        var object = self
        object.name = nil
        object.openLABEL = nil
        return object
    }
}

@testable import CuboidFormats
import CuboidGeometry
import CuboidTestSupport
import Foundation
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Three frames: a tracked car present in 0 and 2 (a gap), a tracked pedestrian in 0-1, an untracked sign.
private func sampleSet() -> LabelSet {
    let camera = "front"
    func object(_ track: String?, _ category: String, _ x: Double, score: Double? = nil) -> LabeledObject {
        LabeledObject(trackID: track, category: category,
                      cuboid: Box3D(x: x, y: 1.5, z: 0.9, length: 4.2, width: 1.8, height: 1.5, yaw: 0.25),
                      boxes: [camera: Box2D(minX: 100 + x, minY: 50.5, maxX: 180.25 + x, maxY: 120)], score: score,
                      attributes: ["occluded": .number(1)])
    }
    return LabelSet(cameras: [Camera(name: camera, intrinsics: CameraIntrinsics(fx: 700, fy: 700, cx: 640, cy: 360, width: 1280, height: 720),
                                     cameraFromSensor: .identity)],
                    frames: [LabeledFrame(name: "f0", objects: [object("7", "car", 10), object("3", "pedestrian", 5), object(nil, "sign", 20)]),
                             LabeledFrame(name: "f1", objects: [object("3", "pedestrian", 5.5)]),
                             LabeledFrame(name: "f2", objects: [object("7", "car", 12)])])
}

@Suite("Interchange formats: CVAT, COCO, MOT, Datumaro, nuScenes results")
struct InterchangeFormatTests {
    @Test("CVAT for images XML: every box in its image, track ids as a declared attribute, back again")
    func cvat() throws {
        let set = sampleSet()
        let xml = String(decoding: try CVATFile.encode(set), as: UTF8.self)
        #expect(!xml.contains("<track") && !xml.contains("<original_size>") && xml.contains("<mode>annotation</mode>"))
        #expect(xml.contains("<image id=\"0\" name=\"f0.png\" width=\"1280\" height=\"720\">\n    <box label=\"car\" source=\"manual\""))
        #expect(xml.contains("<attribute name=\"track_id\">7</attribute>"))
        // track_id is declared as a whole number from 3 to 7 for the labels that carry it, not for the sign.
        #expect(xml.contains("<name>track_id</name>\n              <mutable>true</mutable>\n              <input_type>number</input_type>\n              <default_value>3</default_value>\n              <values>3\n7\n1</values>"))
        #expect(xml.components(separatedBy: "<name>track_id</name>").count - 1 == 2)
        let back = try CVATFile.decode(Array(xml.utf8), camera: "front")
        #expect(back.frames.map(\.name) == ["f0", "f1", "f2"])
        #expect(back.frames.map(\.objects.count) == [3, 1, 1])
        let car = try #require(back.frames[2].objects.first)
        #expect(car.category == "car" && car.trackID == "7" && car.boxes["front"] == set.frames[2].objects[0].boxes["front"] && car.attributes["occluded"] == .number(1))
        #expect(back.frames[0].objects[2].trackID == nil)
        #expect(throws: LabelFileError.self) { try CVATFile.decode(bytes("<annotations>\n<image id=\"0\" name=\"a.png\">\n<box label=\"x\" xtl=\"1\" ytl=\"1\" xbr=\"0\" ybr=\"2\"/></image></annotations>")) }
        do {
            _ = try CVATFile.decode(bytes("<annotations>\n<image id=\"0\" name=\"a.png\">\n<box label=\"x\" xtl=\"one\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></image></annotations>"))
        } catch {
            #expect(error == .invalidField(line: 3, field: "xtl", expected: "a finite number, found \"one\""))
        }
        // A file cut short is a syntax error on its last line.
        #expect { try CVATFile.decode(bytes("<annotations>\n<image id=\"0\" name=\"a.png\">\n<box label=\"x")) } throws: {
            // libxml2 recovers what it can: the cut box is reported by line, as a syntax error or its missing fields.
            ($0 as? LabelFileError)?.description.hasPrefix("line 3") == true
        }
    }

    @Test("COCO: gold and results share image and category ids; xywh boxes read back")
    func coco() throws {
        let set = sampleSet()
        let gold = try COCOFile.encode(set)
        let back = try COCOFile.decode(gold)
        #expect(back.frames.map(\.name) == ["f0", "f1", "f2"] && back.objectCount == 5)
        #expect(back.frames[0].objects[0].boxes["image"] == set.frames[0].objects[0].boxes["front"])
        var results = set
        results.frames[1].objects[0].score = 0.5
        let rows = try parseJSON(try COCOFile.encodeResults(results, gold: set)).elements ?? []
        #expect(rows.count == 5 && rows[3]["image_id"]?.number == 2 && rows[3]["score"]?.number == 0.5 && rows[3]["category_id"]?.number == 4)
        #expect(throws: LabelFileError.unmappedClass(name: "sign", format: "the COCO class list")) { try COCOFile.encode(set, classes: ["car", "pedestrian"]) }
        #expect(throws: LabelFileError.invalidField(line: 1, field: "image_id", expected: "an id from images")) {
            try COCOFile.decode(bytes(#"{"images": [], "categories": [], "annotations": [{"image_id": 3}]}"#))
        }
    }

    @Test("MOT CSV: 1-based frames, stable ids, and malformed rows with their line")
    func mot() throws {
        let text = String(decoding: try MOTFile.encode(sampleSet()), as: UTF8.self)
        // The untracked sign gets the first id above every numeric track id.
        #expect(text.hasPrefix("1,7,110,50.5,80.25,69.5,1,-1,-1,-1\n1,3,105,50.5,80.25,69.5,1,-1,-1,-1\n1,8,120,"))
        let back = try MOTFile.decode(Array(text.utf8))
        #expect(back.frames.count == 3 && back.frames[2].objects.first?.trackID == "7")
        #expect(throws: LabelFileError.wrongFieldCount(line: 2, expected: "at least 6", found: 3)) { try MOTFile.decode(bytes("1,1,1,1,1,1\n1,2,3\n")) }
        #expect(throws: LabelFileError.invalidField(line: 1, field: "left", expected: "a finite number, found \"nan\"")) { try MOTFile.decode(bytes("1,1,nan,1,1,1\n")) }
        #expect(throws: LabelFileError.invalidField(line: 1, field: "frame", expected: "a frame number in 1...1000000")) { try MOTFile.decode(bytes("0,1,1,1,1,1\n")) }
    }

    @Test("Datumaro point cloud JSON and nuScenes results: cuboids, tracks, scores and poses back again")
    func datumaroAndNuScenes() throws {
        var set = sampleSet()
        set.frames[0].objects[0].roll = 0.01
        let back = try DatumaroFile.decode(DatumaroFile.encode(set))
        #expect(back.frames[0].objects[0].cuboid == set.frames[0].objects[0].cuboid && back.frames[0].objects[0].roll == 0.01)
        #expect(back.frames[0].objects[0].trackID == "7" && back.frames[0].objects[2].trackID == nil)
        // nuScenes: through a pose to the global frame and back.
        var detections = LabelSet(frames: [LabeledFrame(name: "token", egoPose: RigidPose(yaw: 0.5, translation: SIMD3(100, 200, 1)),
                                                        objects: [LabeledObject(category: "car", cuboid: Box3D(x: 10, y: 2, z: 0.5, length: 4.5, width: 1.9, height: 1.6, yaw: 0.3), score: 0.8)])])
        let global = try NuScenesResultsFile.decode(NuScenesResultsFile.encode(detections))
        let box = try #require(global.frames[0].objects[0].cuboid)
        let expected = RigidPose(yaw: 0.5, translation: SIMD3(100, 200, 1)).apply(to: SIMD3(10, 2, 0.5))
        #expect(abs(box.x - expected.x) < 1e-9 && abs(box.y - expected.y) < 1e-9 && abs(box.yaw - 0.8) < 1e-12)
        #expect(box.length == 4.5 && box.width == 1.9 && global.frames[0].objects[0].score == 0.8)
        detections.frames[0].objects[0].category = "Tram"
        #expect(throws: LabelFileError.unmappedClass(name: "Tram", format: "nuScenes detection")) { try NuScenesResultsFile.encode(detections) }
    }

    @Test("nuScenes detection names: the class without case, else as nuScenes counts KITTI's classes; none for Tram, Misc, DontCare",
          arguments: [("Car", "car"), ("TRUCK", "truck"), ("pedestrian", "pedestrian"), ("Van", "car"), ("Cyclist", "bicycle"),
                      ("Person_sitting", "pedestrian"), ("Rider", "bicycle"), ("Tram", nil), ("Misc", nil), ("DontCare", nil)] as [(String, String?)])
    func nuScenesNames(_ category: String, _ expected: String?) throws {
        let set = LabelSet(frames: [LabeledFrame(name: "token", objects: [
            LabeledObject(category: category, cuboid: Box3D(x: 10, y: 2, z: 0.5, length: 4.5, width: 1.9, height: 1.6, yaw: 0.3), score: 0.8)])])
        if let expected {
            #expect(try NuScenesResultsFile.decode(NuScenesResultsFile.encode(set)).frames[0].objects[0].category == expected)
        } else {
            #expect(throws: LabelFileError.unmappedClass(name: category, format: "nuScenes detection")) { try NuScenesResultsFile.encode(set) }
        }
    }
}

@testable import CuboidFormats
import CuboidGeometry
import CuboidKernels
import CuboidTestSupport
import Foundation
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A KITTI-like camera 2: 1242 x 375, lidar x forward / y left / z up seen as camera z / -x / -y.
private let camera2: Camera = {
    let rotation = RigidPose(matrix: [0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0])
    return Camera(name: "image_2", intrinsics: CameraIntrinsics(fx: 721.5, fy: 721.5, cx: 609.6, cy: 172.9, width: 1242, height: 375),
                  cameraFromSensor: rotation)
}()

/// One MOT17 scenario: a class as Cuboid names it, the MOT17 id written, and the name read back.
struct MOT17ClassScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let written: Int
    let readBack: String
    var testDescription: String { "\(name) -> \(written) -> \(readBack)" }
}

/// One in-view scenario: a cuboid and what KITTI's camera 2 makes of it.
struct InViewScenario: CustomTestStringConvertible, Sendable {
    let name: String
    let object: LabeledObject
    /// nil: left out; else the truncation expected of a projected cuboid (a range, for the edge case);
    /// objects the rule keeps as they are must come back unchanged.
    let truncation: ClosedRange<Double>?
    var testDescription: String { name }
}

@Suite("Exports as their tools read them: MOT15 / MOT17, COCO datasets and results, KITTI in view")
struct ExportTests {
    static let mot17Scenarios = [
        MOT17ClassScenario(name: "Pedestrian", written: 1, readBack: "Pedestrian"),
        MOT17ClassScenario(name: "cyclist", written: 2, readBack: "Cyclist"),
        MOT17ClassScenario(name: "Car", written: 3, readBack: "Car"),
        MOT17ClassScenario(name: "Van", written: 3, readBack: "Car"),
        MOT17ClassScenario(name: "Truck", written: 3, readBack: "Car"),
        MOT17ClassScenario(name: "Person_sitting", written: 7, readBack: "Person_sitting"),
        MOT17ClassScenario(name: "DontCare", written: 8, readBack: "DontCare"),
        MOT17ClassScenario(name: "motorbike", written: 5, readBack: "motorbike"),
        MOT17ClassScenario(name: "reflection", written: 12, readBack: "reflection"),
    ]

    @Test("MOT17: each class is written with its MOT17 id in the 9-column ground-truth layout and read back", arguments: mot17Scenarios)
    func mot17Class(scenario: MOT17ClassScenario) throws {
        let object = LabeledObject(trackID: "4", category: scenario.name, boxes: ["cam": Box2D(x: 10, y: 20, width: 30, height: 40)])
        let set = LabelSet(frames: [LabeledFrame(name: "0", objects: [object])])
        let line = text(try MOTFile.encode(set, variant: .mot17))
        // DontCare (MOT17's distractor) is flagged 0, ignored by TrackEval; visibility unknown is -1.
        #expect(line == "1,4,10,20,30,40,\(scenario.written == 8 ? 0 : 1),\(scenario.written),-1\n")
        let back = try MOTFile.decode(bytes(line))
        let read = try #require(back.frames.first?.objects.first)
        #expect(read.category == scenario.readBack && read.trackID == "4" && read.score == nil)
        #expect(read.boxes["image"] == object.boxes["cam"])
        // Written again, the same line (flag and visibility kept as attributes).
        #expect(text(try MOTFile.encode(back, variant: .mot17)) == line)
    }

    @Test("MOT17: a class MOT17 has no id for is refused by name; MOT15 keeps its 10 columns; a bad class id names its line")
    func mot17Refusals() throws {
        let set = LabelSet(frames: [LabeledFrame(name: "0", objects: [LabeledObject(category: "Tram", boxes: ["cam": Box2D(x: 0, y: 0, width: 1, height: 1)], score: 0.5)])])
        #expect(throws: LabelFileError.unmappedClass(name: "Tram", format: "MOT17 (rename it with --class-map or leave it out with --drop-class)")) {
            try MOTFile.encode(set, variant: .mot17)
        }
        #expect(text(try MOTFile.encode(set)) == "1,1,0,0,1,1,0.5,-1,-1,-1\n")
        #expect(throws: LabelFileError.invalidField(line: 2, field: "class", expected: "a MOT17 class id 1...13, found 14")) {
            try MOTFile.decode(bytes("1,1,0,0,1,1,1,1,1\n2,1,0,0,1,1,1,14,1\n"))
        }
        // A scored box in the MOT17 layout writes its score in the flag column.
        var car = set
        car.frames[0].objects[0].category = "Car"
        #expect(text(try MOTFile.encode(car, variant: .mot17)) == "1,1,0,0,1,1,0.5,3,-1\n")
    }

    @Test("Format detection: MOTChallenge's gt.txt is MOT, a KITTI tracking .txt stays KITTI tracking",
          arguments: [("1,15,219.31,188.49,26.19,30.07,0,8,-1\n", LabelFormat.mot),
                      ("0 -1 DontCare -1 -1 -10 219.31 188.49 245.50 218.55 -1000 -1000 -1000 -10 -1 -1 -1\n", LabelFormat.kittiTracking)])
    func detectText(line: String, format: LabelFormat) throws {
        let folder = NSTemporaryDirectory() + "cuboid-detect-\(getpid())-\(format.rawValue)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(line.utf8).write(to: URL(fileURLWithPath: folder + "/gt.txt"))
        #expect(LabelFormat.detect(folder + "/gt.txt") == format)
    }

    @Test("COCO dataset: image sizes from the provider, DontCare as one crowd region per category, read back as one region")
    func cocoDataset() throws {
        let region = Box2D(minX: 500, minY: 150, maxX: 600, maxY: 200)
        let set = LabelSet(frames: [
            LabeledFrame(name: "000001", objects: [
                LabeledObject(category: "Car", boxes: ["image_2": Box2D(minX: 1, minY: 2, maxX: 11, maxY: 22)]),
                LabeledObject(category: "DontCare", boxes: ["image_2": region]),
                LabeledObject(category: "Cyclist", boxes: ["image_2": Box2D(minX: 5, minY: 5, maxX: 10, maxY: 20)]),
            ]),
            LabeledFrame(name: "000000", objects: []),
        ])
        // Without a size: refused, naming the image and how to give it.
        #expect { try COCOFile.encode(set) } throws: { ($0 as? LabelFileError)?.description.contains("000001.png") == true }
        let encoded = try COCOFile.encode(set, imageSize: { frame, _ in frame == "000000" ? (1224, 370) : (1242, 375) })
        let root = try parseJSON(encoded)
        let images = root["images"]?.elements ?? []
        #expect(images.map { $0["width"]?.number } == [1242, 1224] && images.map { $0["height"]?.number } == [375, 370])
        #expect((root["categories"]?.elements ?? []).map { $0["name"]?.string } == ["Car", "Cyclist"])
        let annotations = root["annotations"]?.elements ?? []
        let crowd = annotations.filter { $0["iscrowd"]?.number == 1 }
        #expect(annotations.count == 4 && crowd.count == 2 && Set(crowd.map { $0["category_id"]?.number }) == [1, 6])
        #expect(crowd.allSatisfy { $0["bbox"]?.elements?.map(\.number) == [500, 150, 100, 50] && $0["area"]?.number == 5000 })
        let back = try COCOFile.decode(encoded)
        #expect(back.frames[0].objects.map(\.category).sorted() == ["Car", "Cyclist", "DontCare"])
        #expect(back.frames[0].objects.first { $0.category == "DontCare" }?.boxes["image"] == region)
        // Results leave the region out (it is no detection) and use the dataset's ids.
        var results = set
        for k in results.frames[0].objects.indices where results.frames[0].objects[k].category != "DontCare" { results.frames[0].objects[k].score = 0.9 }
        let rows = try parseJSON(try COCOFile.encodeResults(results, gold: set)).elements ?? []
        #expect(rows.map { $0["category_id"]?.number } == [1, 6] && rows.allSatisfy { $0["image_id"]?.number == 1 })
        // Written apart (prelabel's results, no reference), KITTI classes keep their ids: cyclist is 6 in both.
        let alone = LabelSet(frames: [LabeledFrame(name: "000001", objects: [LabeledObject(category: "cyclist", boxes: ["image_2": region], score: 0.4)])])
        let apart = try parseJSON(try COCOFile.encodeResults(alone, gold: alone)).elements ?? []
        #expect(apart.map { $0["category_id"]?.number } == [6])
        // Other classes follow KITTI's eight, in order of first use.
        let other = LabelSet(frames: [LabeledFrame(name: "a", objects: [LabeledObject(category: "sign", boxes: ["c": region]), LabeledObject(category: "Car", boxes: ["c": region])])])
        let categories = try parseJSON(try COCOFile.encode(other, imageSize: { _, _ in (10, 10) }))["categories"]?.elements ?? []
        #expect(categories.map { $0["id"]?.number } == [1, 9] && categories.map { $0["name"]?.string } == ["Car", "sign"])
    }

    static let inViewScenarios: [InViewScenario] = [
        InViewScenario(name: "a car 20 m ahead is kept whole", object: LabeledObject(category: "Car", cuboid: Box3D(x: 20, y: 0, z: 0, length: 4, width: 1.8, height: 1.5, yaw: 0)),
                       truncation: 0...0),
        InViewScenario(name: "a car 20 m behind is left out", object: LabeledObject(category: "Car", cuboid: Box3D(x: -20, y: 0, z: 0, length: 4, width: 1.8, height: 1.5, yaw: 0)),
                       truncation: nil),
        InViewScenario(name: "a car beside the sensor, outside the field of view, is left out",
                       object: LabeledObject(category: "Car", cuboid: Box3D(x: 2, y: 10, z: 0, length: 4, width: 1.8, height: 1.5, yaw: 0)), truncation: nil),
        InViewScenario(name: "a car across the image's left edge is kept, truncated",
                       object: LabeledObject(category: "Car", cuboid: Box3D(x: 10, y: 8.45, z: 0, length: 4, width: 1.8, height: 1.5, yaw: 0)), truncation: 0.05...0.95),
        InViewScenario(name: "a region without a cuboid is kept as it is",
                       object: LabeledObject(category: "DontCare", boxes: ["image_2": Box2D(minX: 0, minY: 0, maxX: 10, maxY: 10)]), truncation: 0...1),
        InViewScenario(name: "an object with its own image_2 box is kept as it is, even behind",
                       object: LabeledObject(category: "Car", cuboid: Box3D(x: -20, y: 0, z: 0, length: 4, width: 1.8, height: 1.5, yaw: 0),
                                             boxes: ["image_2": Box2D(minX: 0, minY: 0, maxX: 10, maxY: 10)]), truncation: 0...1),
    ]

    @Test("KITTI in view: kept when the projection into camera 2 overlaps the image, truncation 1 - clipped / whole area", arguments: inViewScenarios)
    func kittiInView(scenario: InViewScenario) throws {
        let result = KITTIInView.select([scenario.object], camera: camera2)
        guard let expected = scenario.truncation else {
            #expect(result.kept.isEmpty && result.leftOut == 1)
            return
        }
        let kept = try #require(result.kept.first)
        #expect(result.leftOut == 0)
        guard scenario.object.boxes.isEmpty, let cuboid = scenario.object.cuboid else {
            #expect(kept == scenario.object)
            return
        }
        let truncation = try #require(kept.attributes["truncated"]?.number)
        #expect(expected.contains(truncation))
        let box = try #require(kept.boxes["image_2"])
        #expect(box.minX >= 0 && box.minY >= 0 && box.maxX <= 1242 && box.maxY <= 375)
        // Independently: the corners (all in front here) projected by the pinhole, their bounds clipped.
        let pixels = cuboid.corners.compactMap { camera2.intrinsics.project(camera2.cameraFromSensor.apply(to: $0)) }
        #expect(pixels.count == 8)
        let whole = Box2D(minX: pixels.map(\.x).min()!, minY: pixels.map(\.y).min()!, maxX: pixels.map(\.x).max()!, maxY: pixels.map(\.y).max()!)
        let clipped = whole.intersection(Box2D(minX: 0, minY: 0, maxX: 1242, maxY: 375))
        #expect(abs(box.minX - clipped.minX) < 1e-9 && abs(box.maxX - clipped.maxX) < 1e-9 && abs(box.maxY - clipped.maxY) < 1e-9)
        #expect(abs(truncation - (1 - clipped.area / whole.area)) < 1e-12)
    }

    @Test("KITTI from the labels' own camera: KITTICalibration(camera:) gives the camera back as camera 2")
    func calibrationFromCamera() throws {
        let calibration = KITTICalibration(camera: camera2)
        let back = try calibration.camera(2, width: 1242, height: 375)
        #expect(back.intrinsics == camera2.intrinsics)
        let point = SIMD3(12.0, -3.0, 0.5)
        let difference = back.cameraFromSensor.apply(to: point) - camera2.cameraFromSensor.apply(to: point)
        #expect((difference * difference).sum() < 1e-24)
        // A cuboid written through it and read back lands where it was.
        let box = Box3D(x: 15, y: 2, z: -0.5, length: 4, width: 1.8, height: 1.5, yaw: 0.3)
        let label = KITTIObjectLabel(type: "Car", box: box, calibration: calibration, boundingBox: Box2D(minX: 0, minY: 0, maxX: 1, maxY: 1))
        let again = label.box(calibration: calibration)
        #expect(abs(again.x - box.x) < 1e-9 && abs(again.y - box.y) < 1e-9 && abs(again.z - box.z) < 1e-9 && abs(again.yaw - box.yaw) < 1e-9)
    }
}

@testable import CuboidFormats
import CuboidGeometry
import CuboidTestSupport
import Foundation
import Testing

/// Four frames: car track 7 in 0, 1 and 3 (a gap at 2; frame 1 CVAT's interpolation), pedestrian track
/// 3 in 0-1, an untracked sign in 0; scores, flags and text attributes; a tilted cuboid.
private func sampleSet() -> LabelSet {
    func object(_ track: String?, _ category: String, _ x: Double, keyframe: Bool = true) -> LabeledObject {
        var object = LabeledObject(trackID: track, category: category,
                                   cuboid: Box3D(x: x, y: 1.5, z: 0.9, length: 4.2, width: 1.8, height: 1.5, yaw: 0.25 + x / 100),
                                   roll: 0.01, pitch: -0.02,
                                   boxes: ["front": Box2D(minX: 100 + x, minY: 50.5, maxX: 180.25 + x, maxY: 120)], score: 0.875,
                                   attributes: ["moving": .flag(x > 6), "source": .text("lidar & camera"), "num_points": .number(40 + x.rounded())])
        if !keyframe { object.attributes["keyframe"] = .flag(false) }
        return object
    }
    return LabelSet(cameras: [Camera(name: "front", intrinsics: CameraIntrinsics(fx: 700, fy: 700, cx: 640, cy: 360, width: 1280, height: 720),
                                     cameraFromSensor: .identity)],
                    frames: [LabeledFrame(name: "f0", objects: [object("7", "car", 10), object("3", "pedestrian", 5), object(nil, "sign", 20)]),
                             LabeledFrame(name: "f1", objects: [object("3", "pedestrian", 5.5), object("7", "car", 11, keyframe: false)]),
                             LabeledFrame(name: "f2"),
                             LabeledFrame(name: "f3", objects: [object("7", "car", 12)])])
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite("CVAT exports: CVAT for video, Kitti Raw, Sly Point Cloud")
struct CVATExportTests {
    @Test("CVAT for video: every object in a track, outside boxes at gaps and ends, the frame size, declared attributes; back again")
    func cvatVideo() throws {
        let set = sampleSet()
        let xml = text(try CVATFile.encode(set, layout: .video))
        #expect(xml.contains("<mode>interpolation</mode>") && !xml.contains("<image "))
        #expect(xml.contains("<original_size>\n        <width>1280</width>\n        <height>720</height>\n      </original_size>"))
        // Track ids kept (7, 3); the untracked sign gets the next one above them.
        #expect(xml.contains("<track id=\"7\" label=\"car\" source=\"auto\">") && xml.contains("<track id=\"3\" label=\"pedestrian\"")
                && xml.contains("<track id=\"8\" label=\"sign\""))
        // Car: f0, f1 (not a keyframe), outside at the gap f2, f3 (the last frame: no outside after it).
        #expect(xml.contains("<box frame=\"1\" keyframe=\"0\" outside=\"0\"") && xml.contains("<box frame=\"2\" keyframe=\"1\" outside=\"1\""))
        #expect(xml.components(separatedBy: "outside=\"1\"").count - 1 == 3)  // car f2, pedestrian f2, sign f1
        // Flags are checkboxes, whole numbers numbers with their range, text and scores text; the `&` escaped.
        #expect(xml.contains("<name>moving</name>\n              <mutable>true</mutable>\n              <input_type>checkbox</input_type>"))
        #expect(xml.contains("<name>num_points</name>\n              <mutable>true</mutable>\n              <input_type>number</input_type>\n              <default_value>45</default_value>\n              <values>45\n60\n1</values>"))
        #expect(xml.contains("<name>score</name>\n              <mutable>true</mutable>\n              <input_type>text</input_type>"))
        #expect(xml.contains("<attribute name=\"source\">lidar &amp; camera</attribute>"))
        let back = try CVATFile.decode(Array(xml.utf8), camera: "front")
        #expect(back.frames.map(\.objects.count) == [3, 2, 0, 1])
        let car = try #require(back.frames[1].objects.first { $0.trackID == "7" })
        #expect(car.boxes["front"] == set.frames[1].objects[1].boxes["front"] && car.score == 0.875 && car.attributes["keyframe"] == .flag(false))
        #expect(car.attributes["moving"] == .flag(true) && car.attributes["num_points"] == .number(51) && car.attributes["source"] == .text("lidar & camera"))
    }

    @Test("CVAT for video without a frame size is refused, naming the option that gives one")
    func cvatVideoNeedsSize() throws {
        var set = sampleSet()
        set.cameras = []
        #expect { try CVATFile.encode(set, layout: .video) } throws: { ($0 as? LabelFileError)?.description.contains("--image-size") == true }
        let xml = text(try CVATFile.encode(set, layout: .video, imageSize: (640, 480)))
        #expect(xml.contains("<width>640</width>\n        <height>480</height>"))
    }

    enum TrackIDScenario: String, CaseIterable, CustomTestStringConvertible {
        case distinctNumbers, repeatedNumber, negativeNumber, names
        var testDescription: String { rawValue }
        var input: [String?] {
            switch self {
            case .distinctNumbers: ["7", nil, "3", nil]
            case .repeatedNumber: ["7", "7", nil]
            case .negativeNumber: ["-1", "2"]
            case .names: ["car-1", nil]
            }
        }
        var expected: [Int] {
            switch self {
            case .distinctNumbers: [7, 8, 3, 9]
            case .repeatedNumber: [0, 1, 2]
            case .negativeNumber: [0, 1]
            case .names: [0, 1]
            }
        }
    }

    @Test("CVAT track ids: the objects' own when distinct whole numbers, else numbered in order", arguments: TrackIDScenario.allCases)
    func trackIDs(_ scenario: TrackIDScenario) {
        #expect(CVATFile.trackIDs(scenario.input) == scenario.expected)
    }

    @Test("Kitti Raw: one tracklet per track with its gap filled out of the image, a new one when the size changes; back again")
    func kittiRaw() throws {
        var set = sampleSet()
        // The pedestrian grows in frame 1: a second tracklet with the same track id.
        set.frames[1].objects[0].cuboid!.length = 0.9
        let (tracklets, frameList) = KittiRawFile.encode(set)
        let xml = text(tracklets)
        #expect(xml.contains("<boost_serialization signature=\"serialization::archive\" version=\"9\">\n<tracklets class_id=\"0\" tracking_level=\"0\" version=\"0\">\n\t<count>4</count>"))
        // Datumaro's order: h, w, l are the sizes along x, y, z.
        #expect(xml.contains("<objectType>car</objectType>\n\t\t<h>4.2</h>\n\t\t<w>1.8</w>\n\t\t<l>1.5</l>\n\t\t<first_frame>0</first_frame>"))
        #expect(xml.components(separatedBy: "<truncation>2</truncation>").count - 1 == 1)  // the car's frame 2
        #expect(xml.contains("<state>1</state>"))
        #expect(text(frameList) == "0 f0\n1 f1\n2 f2\n3 f3\n")
        let back = try KittiRawFile.decode(tracklets: tracklets, frameList: frameList)
        #expect(back.frames.map(\.name) == ["f0", "f1", "f2", "f3"] && back.frames.map(\.objects.count) == [3, 2, 0, 1])
        for (original, read) in zip(set.frames, back.frames) {
            for object in original.objects {
                let match = try #require(read.objects.first { $0.category == object.category && $0.cuboid?.center == object.cuboid?.center })
                #expect(match.cuboid == object.cuboid && match.roll == object.roll && match.pitch == object.pitch && match.score == object.score)
                #expect(match.trackID == (object.trackID ?? match.trackID) && match.attributes["moving"] == object.attributes["moving"])
                #expect(match.attributes["keyframe"] == object.attributes["keyframe"] && match.attributes["num_points"] == object.attributes["num_points"])
            }
        }
        // The untracked sign takes datumaro's number, its tracklet's position (3rd).
        #expect(back.frames[0].objects.first { $0.category == "sign" }?.trackID == "3")
        #expect(throws: LabelFileError.self) { try KittiRawFile.decode(tracklets: Array(xml.replacingOccurrences(of: "<tx>10</tx>", with: "<tx>ten</tx>").utf8)) }
    }

    @Test("Sly Point Cloud: meta, key map and one annotation file per frame, the same bytes each time; back again")
    func slyPointCloud() throws {
        let set = sampleSet()
        let files = SlyPointCloudFile.encode(set)
        #expect(files.map(\.path) == ["meta.json", "key_id_map.json", "ds0/ann/f0.pcd.json", "ds0/ann/f1.pcd.json", "ds0/ann/f2.pcd.json", "ds0/ann/f3.pcd.json"])
        #expect(SlyPointCloudFile.encode(set).map(\.bytes) == files.map(\.bytes))
        let meta = try parseJSON(files[0].bytes)
        #expect(meta["classes"]?.elements?.compactMap { $0["title"]?.string } == ["car", "pedestrian", "sign"])
        let tags = Dictionary(uniqueKeysWithValues: (meta["tags"]?.elements ?? []).map { ($0["name"]!.string!, $0["value_type"]!.string!) })
        #expect(tags == ["score": "any_number", "keyframe": "any_string", "moving": "any_string", "num_points": "any_number", "source": "any_string"])
        let keyMap = try SlyPointCloudFile.decodeKeyMap(files[1].bytes)
        #expect(keyMap.objects.values.sorted() == [3, 7, 8] && keyMap.frames.values.sorted() == [0, 1, 2, 3])
        var back = LabelSet()
        for file in files.dropFirst(2) {
            back.frames.append(try SlyPointCloudFile.decodeFrame(file.bytes, name: (file.path as NSString).lastPathComponent, keyMap: keyMap).frame)
        }
        #expect(back.frames.map(\.name) == ["f0", "f1", "f2", "f3"])
        for (original, read) in zip(set.frames, back.frames) {
            #expect(read.objects.count == original.objects.count)
            for (a, b) in zip(original.objects, read.objects) {
                #expect(a.cuboid == b.cuboid && a.roll == b.roll && a.pitch == b.pitch && a.score == b.score && a.category == b.category)
                #expect(b.trackID == a.trackID ?? "8" && b.attributes["moving"] == a.attributes["moving"] && b.attributes["source"] == a.attributes["source"])
            }
        }
        #expect(throws: LabelFileError.self) {
            try SlyPointCloudFile.decodeFrame(files[2].bytes, name: "f0.pcd.json", keyMap: (objects: [:], frames: keyMap.frames))
        }
    }

    @Test("Sly Point Cloud: writing into an earlier export removes its annotation files of other frames")
    func slyPointCloudRewrite() throws {
        let folder = try scratchFolder("sly-rewrite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var set = sampleSet()
        try SlyPointCloudFile.write(set, to: folder)
        set.frames.removeFirst(2)
        try "notes".write(toFile: folder + "/ds0/ann/readme.txt", atomically: true, encoding: .utf8)
        try SlyPointCloudFile.write(set, to: folder)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder + "/ds0/ann")) == ["f2.pcd.json", "f3.pcd.json", "readme.txt"])
        let back = try SlyPointCloudFile.read(folder)
        #expect(back.frames.map(\.name) == ["f2", "f3"] && back.objectCount == 1)
    }

    @Test("Damaged Kitti Raw, Sly Point Cloud and CVAT video files: every cut one refused with a LabelFileError, overwritten ones refused or read with no extra box, none trapping")
    func damagedFiles() throws {
        let set = sampleSet()
        let (tracklets, frameList) = KittiRawFile.encode(set)
        let sly = SlyPointCloudFile.encode(set)
        let keyMap = try SlyPointCloudFile.decodeKeyMap(sly[1].bytes)
        let video = try CVATFile.encode(set, layout: .video)
        var truncated: [(String, [UInt8])] = [], overwritten: [(String, [UInt8])] = []
        for (name, bytes) in [("kitti-raw", tracklets), ("sly", sly[2].bytes), ("cvat-video", video)] {
            truncated += stride(from: 0, to: bytes.count - 1, by: 11).map { (name, Array(bytes[0..<$0])) }
            overwritten += Corruption.randomOverwrites(bytes, copies: 200, count: 3, seed: 25).map { (name, $0) }
        }
        func count(_ name: String, _ bytes: [UInt8]) throws(LabelFileError) -> Int {
            switch name {
            case "kitti-raw": return try KittiRawFile.decode(tracklets: bytes, frameList: frameList).objectCount
            case "sly": return try SlyPointCloudFile.decodeFrame(bytes, name: "f0.pcd.json", keyMap: keyMap).frame.objects.count
            default: return try CVATFile.decode(bytes, camera: "front").objectCount
            }
        }
        // A file cut short is never taken for a whole one.
        let accepted = truncated.filter { (try? count($0.0, $0.1)) != nil }
        #expect(accepted.isEmpty, "\(accepted.count) of \(truncated.count) cut files read, e.g. \(accepted.first.map { "\($0.0) of \($0.1.count) bytes" } ?? "")")
        // Overwritten bytes change values or break the file, but no more boxes come back than were written.
        #expect(overwritten.allSatisfy { (try? count($0.0, $0.1)).map { $0 <= set.objectCount } ?? true })
    }

    static let trackingLabels = "kitti_tracking/training/label_02/0000.txt"

    @Test("KITTI tracking 0000 through every CVAT format and back: 711 boxes, 15 tracks, the same numbers",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.path(trackingLabels))),
          arguments: [LabelFormat.cvat, .cvatVideo, .kittiRaw, .slyPointCloud])
    func kittiTracking(_ format: LabelFormat) throws {
        var context = LabelContext(calibration: try KITTICalibration.read(SharedData.path("kitti_tracking/training/calib/0000.txt")), imageSize: (1242, 375))
        context.droppedClasses = ["DontCare"]
        let gold = try LabelStore.read(SharedData.path(Self.trackingLabels), format: .kittiTracking, context: context)
        #expect(gold.objectCount == 711)
        let folder = try scratchFolder("cvat-export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let is2D = format == .cvat || format == .cvatVideo
        let path = folder + (is2D ? "/out.xml" : "/out")
        try LabelStore.write(gold, to: path, format: format, context: context)
        #expect(LabelFormat.detect(path) == format)
        if format == .kittiRaw { #expect(LabelFormat.detect(path + "/" + KittiRawFile.annotationFile) == .kittiRaw) }
        let back = try LabelStore.read(path, format: format)
        #expect(back.frames.count == 154 && back.objectCount == 711)
        func key(_ object: LabeledObject) -> String { "\(object.category) \(is2D ? "\(object.boxes.values.first!)" : "\(object.cuboid!)")" }
        var tracks: [String: Set<String>] = [:]
        for (a, b) in zip(gold.frames, back.frames) {
            // Every box comes back with the same numbers (2D boxes of the one camera, or cuboids and their tilt).
            #expect(Set(a.objects.map(key)) == Set(b.objects.map(key)))
            if !is2D { #expect(Set(a.objects.map { [$0.roll, $0.pitch] }) == Set(b.objects.map { [$0.roll, $0.pitch] })) }
            for object in b.objects { tracks[object.trackID ?? "none", default: []].insert(object.category) }
        }
        #expect(tracks.count == 15 && tracks.values.allSatisfy { $0.count == 1 })
    }
}

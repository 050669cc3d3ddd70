@testable import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

/// `SampleData/openlabel/identity.openlabel.json`: uuid object uids, frames 3, 7 and 100, a nameless
/// pedestrian whose cuboid is in the camera `CAM_FRONT` (absent from frame 7), cuboid-level
/// attributes (`score`, `timestamp`, `source`), object-level static data and `ontology_uid`, a `vec`
/// velocity, stream uris, metadata, ontologies, contexts, actions, events and relations (also in frame 7).
let identityFixture = SharedData.sampleData + "/openlabel/identity.openlabel.json"
let carUID = "6f1c2a9e-0b7d-4f7e-9a51-3c2d8e4b1a10", pedestrianUID = "b2e4d6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b"

/// The places where `given` and `written` differ, `written` holding at least everything `given`
/// holds: members missing or different, numbers compared to `tolerance`. `skipping` names members
/// not compared (frame intervals, which describe the frames and are written anew).
func structuralDifferences(_ given: JSONNode, _ written: JSONNode, path: String = "", tolerance: Double = 1e-9,
                           skipping: Set<String> = []) -> [String] {
    switch (given.value, written.value) {
    case (.object(let a), .object(let b)):
        return a.flatMap { member -> [String] in
            if skipping.contains(member.key) { return [] }
            guard let other = b.first(where: { $0.key == member.key }) else { return [path + "/" + member.key + " missing"] }
            return structuralDifferences(member.value, other.value, path: path + "/" + member.key, tolerance: tolerance, skipping: skipping)
        }
    case (.array(let a), .array(let b)):
        guard a.count == b.count else { return [path + ": \(a.count) elements, written \(b.count)"] }
        return zip(a, b).enumerated().flatMap { k, pair in
            structuralDifferences(pair.0, pair.1, path: path + "[\(k)]", tolerance: tolerance, skipping: skipping)
        }
    case (.number(let a), .number(let b)):
        return abs(a - b) <= tolerance ? [] : [path + ": \(a) written \(b)"]
    case (.string(let a), .string(let b)): return a == b ? [] : [path + ": \(a) written \(b)"]
    case (.bool(let a), .bool(let b)): return a == b ? [] : [path + ": \(a) written \(b)"]
    case (.null, .null): return []
    default: return [path + ": another type"]
    }
}

@Suite("OpenLABEL identity: uids, frame numbers, names, coordinate systems and unknown data survive a round trip")
struct OpenLABELIdentityTests {
    @Test("decode then encode gives back every member of the file (frame intervals written anew)")
    func roundTripKeepsEverything() throws {
        let given = try FileBytes.read(identityFixture)
        let set = try OpenLABELFile.decode(given)
        let written = OpenLABELFile.encode(set)
        let differences = structuralDifferences(try parseJSON(given), try parseJSON(written), skipping: ["frame_intervals"])
        #expect(differences == [])
        // And back in: the same labels, objects keyed by uid.
        let again = try OpenLABELFile.decode(written)
        #expect(again.frames.map(\.number) == [3, 7, 100])
        // (The camera's pose is written as Cuboid holds it, inverted twice: its cuboid moves by 2e-16 m.)
        for (a, b) in zip(again.frames.flatMap(\.objects), set.frames.flatMap(\.objects)) {
            var moved = a.labelOnly
            let d = a.cuboid!.center - b.cuboid!.center
            #expect((d * d).sum() < 1e-24)
            moved.cuboid!.center = b.cuboid!.center
            #expect(moved == b.labelOnly)
        }
        #expect(Set(again.frames[0].objects.compactMap(\.trackID)) == [carUID, pedestrianUID, "c3d5e7f9-2b4d-4f6a-9b8c-0d1e2f3a4b5c"])
    }

    @Test("objects with empty names are one object each, keyed by uid, not one per frame")
    func emptyNamesStayOneObject() throws {
        let set = try OpenLABELFile.read(identityFixture)
        let nameless = set.frames.flatMap(\.objects).filter { $0.name == "" }
        #expect(nameless.count == 5 && Set(nameless.compactMap(\.trackID)).count == 2)
        let objects = try parseJSON(OpenLABELFile.encode(set))["openlabel"]?["objects"]?.members ?? []
        #expect(objects.count == 3 && objects.filter { $0.value["name"]?.string == "" }.count == 2)
    }

    @Test("a camera-frame cuboid is written in the camera: its values as given while unchanged, converted once moved")
    func cameraCuboid() throws {
        var set = try OpenLABELFile.read(identityFixture)
        let k = try #require(set.frames[0].objects.firstIndex { $0.trackID == pedestrianUID })
        #expect(set.frames[0].objects[k].openLABEL?.coordinateSystem == "CAM_FRONT")
        // The camera looks along the lidar's x: its z = 8.03 m ahead lands 1.5 + 8.03 m along x.
        #expect(abs(set.frames[0].objects[k].cuboid!.x - 9.53) < 1e-9)
        func pedestrianCuboid(_ document: [UInt8]) throws -> JSONNode {
            try #require(parseJSON(document)["openlabel"]?["frames"]?["3"]?["objects"]?[pedestrianUID]?["object_data"]?["cuboid"]?.elements?.first)
        }
        let unchanged = try pedestrianCuboid(OpenLABELFile.encode(set))
        #expect(unchanged["coordinate_system"]?.string == "CAM_FRONT" && unchanged["name"]?.string == "ped")
        #expect(try unchanged.numbers("val", count: 10) == [1.0, 0.5, 8.03, 0, 0, 0, 1, 0.6, 1.7, 0.5])
        // Moved 1 m along the lidar's x (the camera's z): still in the camera, 1 m further.
        set.frames[0].objects[k].cuboid!.x += 1
        let moved = try pedestrianCuboid(OpenLABELFile.encode(set))
        #expect(moved["coordinate_system"]?.string == "CAM_FRONT")
        #expect(abs(try moved.numbers("val", count: 10)[2] - 9.03) < 1e-9)
        let back = try OpenLABELFile.decode(OpenLABELFile.encode(set)).frames[0].objects.first { $0.trackID == pedestrianUID }!
        let a = back.cuboid!, b = set.frames[0].objects[k].cuboid!
        #expect(abs(a.x - b.x) < 1e-9 && abs(a.y - b.y) < 1e-9 && abs(a.z - b.z) < 1e-9 && abs(a.length - b.length) < 1e-9 && abs(a.height - b.height) < 1e-9)
    }

    /// Frames added between numbered ones (`interpolate --sequence`) take the numbers after the frame
    /// before them; with no room, the numbered frames after them move up and are counted.
    @Test("added frames are numbered after the frame before them", arguments: [
        (given: [3, nil, nil, 7], numbered: [3, 4, 5, 7], renumbered: 0),
        (given: [3, nil, nil, nil, 5, 9], numbered: [3, 4, 5, 6, 7, 9], renumbered: 1),
        (given: [nil, 10, nil], numbered: [0, 10, 11], renumbered: 0),
        (given: [nil, nil], numbered: [nil, nil], renumbered: 0),
    ] as [(given: [Int?], numbered: [Int?], renumbered: Int)])
    func addedFrameNumbers(given: [Int?], numbered: [Int?], renumbered: Int) {
        var set = LabelSet(frames: given.enumerated().map { LabeledFrame(name: "f\($0.offset)", number: $0.element) })
        #expect(set.numberAddedFrames() == renumbered)
        #expect(set.frames.map(\.number) == numbered)
    }

    @Test("fresh uids avoid every track id; a streamed track id already handed out is renamed and reported")
    func freshUIDs() throws {
        let frames = [LabeledFrame(name: "a", objects: [LabeledObject(category: "Car", cuboid: Box3D(x: 1, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))]),
                      LabeledFrame(name: "b", objects: [LabeledObject(trackID: "0", category: "Car", cuboid: Box3D(x: 2, y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))])]
        // The whole set: the untracked object avoids "0".
        let whole = try OpenLABELFile.decode(OpenLABELFile.encode(LabelSet(frames: frames)))
        #expect(whole.frames.map { $0.objects[0].trackID } == ["1", "0"])
        // Streamed without knowing the ids ahead: "0" is taken by then, so track 0 gets "1", reported.
        var encoder = OpenLABELStreamEncoder(sensor: "lidar", cameras: [])
        var text = ""
        for frame in frames { text += encoder.append(frame) }
        var document = ""
        try encoder.write(emit: { document += $0 }, frames: { document += text })
        let streamed = try OpenLABELFile.decode(Array(document.utf8))
        #expect(streamed.frames.map { $0.objects[0].trackID } == ["0", "1"])
        #expect(encoder.notes == ["openlabel: 1 objects given a new uid (their uid was given to another object)"])
    }

    @Test("converting to a format without OpenLABEL's identity says per kind what is not kept", arguments: [
        (format: LabelFormat.kittiTracking, lines: [
            "not kept in kitti-tracking: 8 object uids", "not kept in kitti-tracking: 3 object names", "not kept in kitti-tracking: 3 frame numbers",
            "not kept in kitti-tracking: 8 cuboid names", "not kept in kitti-tracking: 2 cuboid coordinate systems (written in LIDAR)",
            "not kept in kitti-tracking: 6 cuboid-level attributes", "not kept in kitti-tracking: 3 other object data (vec, points, polygons...)",
            "not kept in kitti-tracking: 5 frame data (contexts, relations, events, properties in frames)",
            "not kept in kitti-tracking: 1 object-level data (static data, ontology uids...)",
            "not kept in kitti-tracking: 6 document sections (metadata, ontologies, contexts, actions, events, relations)",
            "not kept in kitti-tracking: 1 coordinate systems", "not kept in kitti-tracking: 2 streams (uris, descriptions, properties)",
        ]),
        (format: LabelFormat.openLABEL, lines: []),
    ])
    func lossesPerKind(format: LabelFormat, lines: [String]) throws {
        let set = try OpenLABELFile.read(identityFixture)
        #expect(identityLosses(set, writingAs: format) == lines)
    }
}

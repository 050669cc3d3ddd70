import CuboidTestSupport
import Foundation
import Testing

/// The places where `given` and `written` differ, `written` holding at least everything `given`
/// holds (JSON as `JSONSerialization` reads it; numbers to 1e-9; members named in `skipping` not compared).
private func differences(_ given: Any, _ written: Any, path: String = "", skipping: Set<String> = []) -> [String] {
    switch (given, written) {
    case (let a as [String: Any], let b as [String: Any]):
        return a.keys.sorted().flatMap { key -> [String] in
            if skipping.contains(key) { return [] }
            guard let other = b[key] else { return [path + "/" + key + " missing"] }
            return differences(a[key]!, other, path: path + "/" + key, skipping: skipping)
        }
    case (let a as [Any], let b as [Any]):
        guard a.count == b.count else { return [path + ": \(a.count) elements, written \(b.count)"] }
        return zip(a, b).enumerated().flatMap { differences($1.0, $1.1, path: path + "[\($0)]", skipping: skipping) }
    case (let a as NSNumber, let b as NSNumber):
        return abs(a.doubleValue - b.doubleValue) <= 1e-9 ? [] : [path + ": \(a) written \(b)"]
    case (let a as String, let b as String): return a == b ? [] : [path + ": \(a) written \(b)"]
    case (is NSNull, is NSNull): return []
    default: return [path + ": another type"]
    }
}

private func json(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
}

private func openLABEL(_ document: [String: Any]) -> [String: Any] { document["openlabel"] as! [String: Any] }

@Suite("OpenLABEL identity through the cuboid binary", .serialized)
struct IdentityRoundTripTests {
    /// uuid uids, frames 3, 7 and 100, a camera-frame cuboid, cuboid- and object-level attributes,
    /// metadata, contexts, relations, actions, events (see the Formats tests).
    let fixture = SharedData.sampleData + "/openlabel/identity.openlabel.json"

    @Test("convert (openlabel -> openlabel) and interpolate give back every member of the file", arguments: ["convert", "interpolate"])
    func roundTrip(command: String) throws {
        let root = try scratchFolder("identity")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out.openlabel.json"
        let arguments = command == "convert"
            ? ["labels", "convert", fixture, out, "--from", "openlabel"]
            : ["interpolate", fixture, "--out", out]
        let result = try runCuboid(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        // Nothing was lost, so nothing is reported lost.
        #expect(!result.stderr.contains("not kept") && !result.stderr.contains("openlabel: "), "\(result.stderr)")
        let given = try json(fixture), written = try json(out)
        // Interpolation adds one text attribute per box (`interpolation`): compared apart.
        var found = differences(given, written, skipping: ["frame_intervals"])
        if command == "interpolate" {
            let texts = found.filter { $0.hasSuffix("/object_data/text: 1 elements, written 2") }
            #expect(texts.count == 3)
            found.removeAll { texts.contains($0) }
        }
        #expect(found == [])
        let document = openLABEL(written)
        #expect((document["frames"] as! [String: Any]).keys.sorted() == ["100", "3", "7"])
        let objects = document["objects"] as! [String: Any]
        #expect(objects.count == 3 && objects.keys.allSatisfy { $0.count == 36 })
        // The nameless pedestrian, absent from frame 7, is filled there by interpolation in its camera.
        let frame7 = (document["frames"] as! [String: Any])["7"] as! [String: Any]
        let pedestrian = (frame7["objects"] as! [String: Any])["b2e4d6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b"] as? [String: Any]
        if command == "interpolate" {
            let cuboid = ((pedestrian?["object_data"] as? [String: Any])?["cuboid"] as? [[String: Any]])?.first
            #expect(cuboid?["coordinate_system"] as? String == "CAM_FRONT" && cuboid?["name"] as? String == "ped")
        } else {
            #expect(pedestrian == nil)
        }
    }

    @Test("converting to nuScenes results (no uids, names, frame numbers or sections) says per kind what is not kept")
    func lossesReported() throws {
        let root = try scratchFolder("identity")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try runCuboid(["labels", "convert", fixture, root + "/results.json", "--from", "openlabel", "--to", "nuscenes",
                                    "--class-map", "Car=car,Pedestrian=pedestrian"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("not kept in nuscenes") }
        #expect(lines.count == 12, "\(lines)")
        #expect(lines.contains { $0.hasSuffix(": 8 object uids") } && lines.contains { $0.hasSuffix(": 3 frame numbers") })
        #expect(lines.contains { $0.hasSuffix(": 2 cuboid coordinate systems (written in LIDAR)") })
        #expect(lines.contains { $0.hasSuffix(": 6 document sections (metadata, ontologies, contexts, actions, events, relations)") })
    }

    @Test("interpolate --sequence numbers the sweeps it adds after the keyframe before them: keyframes 10 and 12 give 10, 11, 12")
    func addedFramesNumbered() throws {
        let root = try scratchFolder("identity")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sequence = SharedData.sampleData + "/sequence"
        var gold = try json(sequence + "/gold.openlabel.json")
        var document = openLABEL(gold)
        var frames = document["frames"] as! [String: Any]
        frames = ["10": frames["0"]!, "12": frames["2"]!]
        document["frames"] = frames
        document.removeValue(forKey: "frame_intervals")
        gold["openlabel"] = document
        try JSONSerialization.data(withJSONObject: gold).write(to: URL(fileURLWithPath: root + "/keys.json"))
        let result = try runCuboid(["interpolate", root + "/keys.json", "--sequence", sequence, "--out", root + "/filled.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let written = openLABEL(try json(root + "/filled.json"))
        let numbers = (written["frames"] as! [String: Any]).keys.compactMap { Int($0) }.sorted()
        #expect(numbers == [10, 11, 12])
        let middle = (written["frames"] as! [String: Any])["11"] as! [String: Any]
        #expect((middle["frame_properties"] as? [String: Any])?["name"] as? String == "0000000001")
    }

    @Test("prelabel --detections OPENLABEL keeps the file's frame numbers, frame data, metadata and sections, and says the detection uids are not kept")
    func prelabelWithDetections() throws {
        let root = try scratchFolder("identity")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sequence = SharedData.sampleData + "/sequence"
        // The sample's gold as detections, renumbered 10-12, with metadata, a context and frame data.
        var gold = try json(sequence + "/gold.openlabel.json")
        var document = openLABEL(gold)
        let frames = document["frames"] as! [String: Any]
        var renumbered: [String: Any] = [:]
        for (key, frame) in frames {
            var frame = frame as! [String: Any]
            if key == "1" { frame["contexts"] = ["0": [String: Any]()] }
            renumbered[String(Int(key)! + 10)] = frame
        }
        document["frames"] = renumbered
        document.removeValue(forKey: "frame_intervals")
        document["metadata"] = ["schema_version": "1.0.0", "annotator": "detector-v3", "comment": "external detections"]
        document["contexts"] = ["0": ["name": "weather", "type": "Weather"]]
        gold["openlabel"] = document
        try JSONSerialization.data(withJSONObject: gold).write(to: URL(fileURLWithPath: root + "/detections.json"))
        let result = try runCuboid(["prelabel", sequence, "--out", root + "/out", "--detections", root + "/detections.json",
                                    "--detections-mode", "replace", "--no-previews"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("detection object uids not kept (pre-label objects are the tracker's)"), "\(result.stderr)")
        let written = openLABEL(try json(root + "/out/prelabels.openlabel.json"))
        let writtenFrames = written["frames"] as! [String: Any]
        #expect(writtenFrames.keys.compactMap { Int($0) }.sorted() == [10, 11, 12])
        #expect(((writtenFrames["11"] as? [String: Any])?["contexts"] as? [String: Any])?["0"] != nil)
        #expect((written["metadata"] as? [String: Any])?["comment"] as? String == "external detections")
        #expect(((written["contexts"] as? [String: Any])?["0"] as? [String: Any])?["name"] as? String == "weather")
    }
}

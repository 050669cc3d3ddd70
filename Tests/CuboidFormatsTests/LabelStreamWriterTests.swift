import CuboidFormats
import CuboidGeometry
import CuboidIO
import CuboidTestSupport
import Foundation
import Testing

@Suite("Label stream writer")
struct LabelStreamWriterTests {
    /// Objects with gaps, two classes under one track id, an id written two ways ("7" and "007"), a
    /// huge id, the same id twice in one frame and untracked boxes: every object's frame intervals in
    /// the OpenLABEL file equal the frames its uid appears in, and the file reads back to the same labels.
    @Test func openLABELObjectsMatchTheirFrames() throws {
        var set = LabelSet(sensorName: "lidar")
        let box = Box3D(x: 1, y: 2, z: 0, length: 4, width: 2, height: 1.5, yaw: 0.3)
        let plan: [[(String?, String)]] = [
            [("7", "Car"), ("007", "Car"), ("12345678901", "Car")],
            [("7", "Car"), ("7", "Van"), (nil, "Misc")],
            [("7", "Van"), ("x-1", "Pedestrian")],
            [("7", "Car"), ("7", "Car"), (nil, "Misc")],
            [],
            [("7", "Car"), ("x-1", "Pedestrian"), ("007", "Car")],
        ]
        for (k, objects) in plan.enumerated() {
            set.frames.append(LabeledFrame(name: String(format: "%06d", k), timestamp: Double(k) / 10,
                                           objects: objects.map { LabeledObject(trackID: $0.0, category: $0.1, cuboid: box, score: 0.5) }))
        }
        let bytes = OpenLABELFile.encode(set)
        let root = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        let openlabel = root["openlabel"] as! [String: Any]
        let objects = openlabel["objects"] as! [String: [String: Any]]
        let frames = openlabel["frames"] as! [String: [String: Any]]
        var seen: [String: [Int]] = [:]
        for (index, frame) in frames {
            for uid in (frame["objects"] as! [String: Any]).keys { seen[uid, default: []].append(Int(index)!) }
        }
        #expect(Set(objects.keys) == Set(seen.keys))
        for (uid, object) in objects {
            let intervals = (object["frame_intervals"] as! [[String: Int]]).flatMap { Array($0["frame_start"]!...$0["frame_end"]!) }
            #expect(intervals == seen[uid]!.sorted(), "object \(uid)")
        }
        // "7"/Car is one object over frames 0, 1, 3 and 5 (two intervals); its twin in frame 3 is another.
        let sevenCar = objects.filter { $0.value["name"] as? String == "7" && $0.value["type"] as? String == "Car" }
        #expect(sevenCar.count == 2)
        #expect(sevenCar.contains { ($0.value["frame_intervals"] as! [[String: Int]]).count == 3 })
        let back = try OpenLABELFile.decode(bytes)
        #expect(back.frames.map { $0.objects.map(\.category) } == set.frames.map { $0.objects.map(\.category) })
        #expect(back.frames.map { $0.objects.map(\.trackID) }.flatMap { $0 }.compactMap { $0 }.contains("007"))
    }

    /// An OpenLABEL file streamed through scratch and temporary files (300 frames, past their buffers)
    /// has the bytes of the in-memory encoding.
    @Test func streamedFileEqualsEncoding() throws {
        let folder = NSTemporaryDirectory() + "cuboid-stream-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var set = LabelSet(sensorName: "lidar")
        var generator = SeededGenerator(seed: 9)
        for k in 0..<300 {
            let objects = (0..<Int(generator.next() % 6)).map { n in
                LabeledObject(trackID: String((k / 40) * 10 + n), category: n % 2 == 0 ? "Car" : "Pedestrian",
                              cuboid: Box3D(x: generator.normal() * 10, y: generator.normal() * 10, z: -1, length: 4, width: 1.8, height: 1.5, yaw: generator.normal()),
                              score: 0.9)
            }
            set.frames.append(LabeledFrame(name: String(format: "%06d", k), timestamp: Double(k) / 10, objects: objects))
        }
        let writer = try LabelStreamWriter(path: folder + "/streamed.json", format: .openLABEL, sensorName: set.sensorName)
        for frame in set.frames { try writer.append(frame) }
        #expect(!FileManager.default.fileExists(atPath: folder + "/streamed.json"))
        try writer.finish()
        let bytes = try FileBytes.read(folder + "/streamed.json")
        #expect(bytes.count > 300_000)
        #expect(bytes == OpenLABELFile.encode(set))
        #expect(try OpenLABELFile.decode(bytes).frames.count == 300)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["streamed.json"])
    }
}

@testable import CuboidFormats
import CuboidGeometry
import CuboidTestSupport
import Foundation
import Testing

/// How the sensor moves in a Segments.ai scenario.
enum SegmentsAIScenario: String, CaseIterable, CustomTestStringConvertible {
    /// No ego poses: positions are the point cloud's own frame.
    case sensorFrame = "no ego poses"
    /// The sensor drives and turns (yaw only): boxes in the first sweep's frame.
    case movingSensor = "moving sensor"
    /// The sensor also pitches and rolls: boxes carry a rotation quaternion.
    case tiltedSensor = "tilted sensor"
    /// One frame: a single-frame label (no `frames`, no track ids).
    case singleFrame = "one frame"

    var testDescription: String { rawValue }

    /// World-from-sensor poses of the frames, when the scenario has them.
    func pose(_ frame: Int) -> RigidPose? {
        let t = Double(frame)
        switch self {
        case .sensorFrame, .singleFrame: return nil
        case .movingSensor: return RigidPose(yaw: 0.3 + 0.05 * t, translation: SIMD3(100 + 6 * t, -40 + 0.5 * t, 2))
        case .tiltedSensor:
            let tilt = Quaternion(axis: SIMD3(0, 1, 0), angle: 0.02 * (t + 1)) * Quaternion(axis: SIMD3(1, 0, 0), angle: -0.01 * t)
            return RigidPose(rotation: Quaternion(yaw: 0.3 + 0.05 * t) * tilt, translation: SIMD3(100 + 6 * t, -40 + 0.5 * t, 2 + 0.1 * t))
        }
    }

    /// Three frames (one for ``singleFrame``): car track 7 in every frame, pedestrian track 3 in the
    /// first two, an untracked sign in the first; scores, flags, numbers and text attributes.
    var set: LabelSet {
        func object(_ track: String?, _ category: String, _ x: Double, keyframe: Bool = true) -> LabeledObject {
            var object = LabeledObject(trackID: track, category: category,
                                       cuboid: Box3D(x: x, y: 1.5, z: -0.9, length: 4.2, width: 1.8, height: 1.5, yaw: 0.25 + x / 100),
                                       score: 0.875, attributes: ["moving": .flag(x > 6), "source": .text("lidar"), "num_points": .number(40 + x.rounded())])
            if !keyframe { object.attributes["keyframe"] = .flag(false) }
            return object
        }
        let frames = [
            [object("7", "Car", 10), object("3", "Pedestrian", 5), object(nil, "Sign", 20)],
            [object("3", "Pedestrian", 5.5), object("7", "Car", 11, keyframe: false)],
            [object("7", "Car", -12)],
        ]
        let count = self == .singleFrame ? 1 : 3
        return LabelSet(frames: (0..<count).map { f in
            LabeledFrame(name: String(format: "%010d", f), timestamp: 1_600_000_000.25 + 0.1 * Double(f), egoPose: pose(f), objects: frames[f])
        })
    }
}

private func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

private func json(_ files: [(name: String, bytes: [UInt8])], _ name: String) throws -> JSONNode {
    try parseJSON(try #require(files.first { $0.name == name }).bytes)
}

@Suite("Segments.ai point cloud cuboid labels")
struct SegmentsAITests {
    @Test("Segments.ai: written in the first sweep's frame through the ego poses, read back to each sensor frame", arguments: SegmentsAIScenario.allCases)
    func roundTrip(_ scenario: SegmentsAIScenario) throws {
        let set = scenario.set
        let files = SegmentsAIFile.encode(set)
        #expect(files.map(\.name) == ["label.json", "task_attributes.json", "frames.json"])
        #expect(SegmentsAIFile.encode(set).map(\.bytes) == files.map(\.bytes))
        let label = try json(files, "label.json"), sample = try json(files, "frames.json")
        #expect(label["format_version"]?.string == "0.2")
        let frames = scenario == .singleFrame ? [label] : try #require(label["frames"]?.elements)
        #expect(frames.count == set.frames.count && (label["frames"] == nil) == (scenario == .singleFrame))
        let first = set.frames[0].egoPose
        for (f, frame) in set.frames.enumerated() {
            let annotations = try #require(frames[f]["annotations"]?.elements)
            #expect(annotations.count == frame.objects.count)
            // The ego pose written: pose₀⁻¹ · pose_k, exactly the identity for the first frame.
            let ego = first.map { f == 0 ? RigidPose.identity : $0.inverse.composed(with: frame.egoPose!) }
            let egoNode = try #require(sample["frames"]?.elements?[f])
            #expect(egoNode["name"]?.string == frame.name && (egoNode["ego_pose"] == nil) == (ego == nil))
            if let ego, let position = egoNode["ego_pose"]?["position"] {
                #expect(position["x"]?.number == ego.translation.x && position["z"]?.number == ego.translation.z)
            }
            for (object, node) in zip(frame.objects, annotations) {
                let expected = ego.map { object.transformed(by: $0) } ?? object
                let position = try #require(node["position"]), size = try #require(node["dimensions"])
                let centre = SIMD3(position["x"]!.number!, position["y"]!.number!, position["z"]!.number!)
                #expect(distance(centre, expected.cuboid!.center) < 1e-12)
                #expect(size["x"]?.number == 4.2 && size["y"]?.number == 1.8 && size["z"]?.number == 1.5)
                // Tilted only where the sensor pitches or rolls; the yaw is the length axis's heading.
                #expect((node["rotation"] != nil) == (scenario == .tiltedSensor && f > 0))
                let axis = expected.orientation.rotate(SIMD3(1, 0, 0))
                #expect(abs(remainder(node["yaw"]!.number! - atan2(axis.y, axis.x), 2 * .pi)) < 1e-12)
                #expect((node["track_id"] == nil) == (scenario == .singleFrame))
                if scenario != .singleFrame {
                    #expect(node["is_keyframe"]?.bool == (object.attributes["keyframe"] != .flag(false)))
                    #expect(node["track_id"]?.number == node["id"]?.number)
                }
                #expect(node["attributes"]?["score"]?.number == 0.875 && node["attributes"]?["moving"]?.bool == object.attributes["moving"].map { $0 == .flag(true) })
            }
        }
        // Back to each frame's sensor frame, every field kept.
        let back = try SegmentsAIFile.decode(label: files[0].bytes, taskAttributes: files[1].bytes, frames: files[2].bytes)
        #expect(back.frames.map(\.name) == set.frames.map(\.name))
        for (a, b) in zip(set.frames, back.frames) {
            #expect(abs(b.timestamp! - a.timestamp!) < 1e-6)
            #expect(b.objects.count == a.objects.count)
            for (x, y) in zip(a.objects, b.objects) {
                let (p, q) = (x.cuboid!, y.cuboid!)
                #expect(distance(p.center, q.center) < 1e-9 && p.size == q.size && abs(remainder(p.yaw - q.yaw, 2 * .pi)) < 1e-9)
                #expect(abs(y.roll) < 1e-9 && abs(y.pitch) < 1e-9)
                #expect(y.category == x.category && y.score == x.score && y.attributes == x.attributes)
                #expect(y.trackID == (x.trackID ?? "8"))
            }
        }
    }

    @Test("Segments.ai categories: ids 1, 2, ... in order of first appearance, each declaring its attributes with their input types")
    func categories() throws {
        let task = try json(SegmentsAIFile.encode(SegmentsAIScenario.sensorFrame.set), "task_attributes.json")
        let categories = try #require(task["categories"]?.elements)
        #expect(categories.map { $0["name"]?.string } == ["Car", "Pedestrian", "Sign"] && categories.map { $0["id"]?.number } == [1, 2, 3])
        let types = (categories[0]["attributes"]?.elements ?? []).map { "\($0["name"]!.string!)=\($0["input_type"]!.string!)" }
        #expect(types == ["score=number", "moving=checkbox", "num_points=number", "source=text"])
    }

    enum TrackIDs: String, CaseIterable, CustomTestStringConvertible {
        case ownNumbers = "own whole numbers kept", zeroBased = "a 0 among them: all shifted by 1", names = "names: 1, 2, ..."
        var testDescription: String { rawValue }
        var input: [String] { switch self { case .ownNumbers: ["7", "3"]; case .zeroBased: ["0", "3"]; case .names: ["car-a", "ped-b"] } }
        var expected: [Double] { switch self { case .ownNumbers: [7, 3]; case .zeroBased: [1, 4]; case .names: [1, 2] } }
    }

    @Test("Segments.ai track ids", arguments: TrackIDs.allCases)
    func trackIDs(_ scenario: TrackIDs) throws {
        let frame = LabeledFrame(name: "a", objects: scenario.input.enumerated().map {
            LabeledObject(trackID: $0.element, category: "Car", cuboid: Box3D(x: Double($0.offset), y: 0, z: 0, length: 4, width: 2, height: 1.5, yaw: 0))
        })
        let label = try json(SegmentsAIFile.encode(LabelSet(frames: [frame, frame])), "label.json")
        #expect(label["frames"]?.elements?[1]["annotations"]?.elements?.map { $0["track_id"]?.number } == scenario.expected)
    }

    @Test("Segments.ai folder: detected, read through LabelStore; every cut label refused with a LabelFileError")
    func folder() throws {
        let folder = try scratchFolder("segments-ai")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let set = SegmentsAIScenario.movingSensor.set
        try LabelStore.write(set, to: folder + "/out", format: .segmentsAI)
        #expect(LabelFormat.detect(folder + "/out") == .segmentsAI)
        #expect(LabelFormat.detect(folder + "/out/label.json") == .segmentsAI)
        #expect(try LabelStore.read(folder + "/out/label.json", format: .segmentsAI).frames.map(\.name) == set.frames.map(\.name))
        let back = try LabelStore.read(folder + "/out", format: .segmentsAI)
        #expect(back.objectCount == set.objectCount && back.frames[2].egoPose != nil)
        let bytes = SegmentsAIFile.encode(set)[0].bytes
        let accepted = stride(from: 0, to: bytes.count - 1, by: 7).filter { (try? SegmentsAIFile.decode(label: Array(bytes[0..<$0]))) != nil }
        #expect(accepted.isEmpty, "\(accepted.count) cut labels read")
        #expect(throws: LabelFileError.self) {
            try SegmentsAIFile.decode(label: Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"x\": 4.2", with: "\"x\": -4.2").utf8))
        }
    }
}

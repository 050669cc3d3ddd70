import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid prelabel into review tools: Segments.ai, SUSTechPOINTS, and --camera on a rig of several cameras", .serialized)
struct ReviewToolCommandTests {
    /// The object count `labels convert` reports for a label folder read in `format`.
    private func objectCount(_ path: String, format: String, root: String) throws -> Int? {
        let result = try runCuboid(["labels", "convert", path, root + "/" + UUID().uuidString + ".json", "--from", format, "--to", "openlabel"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stderr.firstMatch(of: /frames, (\d+) objects/).flatMap { Int($0.output.1) }
    }

    @Test("prelabel SampleData/sequence --to segments-ai: a sequence label with every box, its categories and the frames' ego poses")
    func prelabelSegmentsAI() throws {
        let root = try scratchFolder("segments-ai-command")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        let run = try runCuboid(["prelabel", SharedData.sampleData + "/sequence", "--out", out, "--to", "openlabel,segments-ai", "--no-previews"])
        #expect(run.status == 0, "\(run.stderr)")
        let boxes = try #require(run.stdout.firstMatch(of: /(\d+) boxes/).flatMap { Int($0.output.1) })
        #expect(boxes > 0)
        for name in ["label.json", "task_attributes.json", "frames.json"] { #expect(FileManager.default.fileExists(atPath: out + "/segments_ai/" + name)) }
        let label = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/segments_ai/label.json"))) as? [String: Any])
        let frames = try #require(label["frames"] as? [[String: Any]])
        #expect(frames.count == 3 && frames.reduce(0) { $0 + (($1["annotations"] as? [Any])?.count ?? 0) } == boxes)
        let samples = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/segments_ai/frames.json"))) as? [String: Any])
        #expect((samples["frames"] as? [[String: Any]])?.allSatisfy { $0["ego_pose"] != nil } == true)
        // Read back through labels convert: every box.
        #expect(try objectCount(out + "/segments_ai", format: "segments-ai", root: root) == boxes)
    }

    @Test("prelabel on nuScenes' six cameras: kitti, cvat and mot need --camera; with it KITTI's boxes are that camera's",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.path("nuscenes"))))
    func prelabelCameraOnRig() throws {
        let root = try scratchFolder("camera-rig-command")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sequence = SharedData.path("nuscenes")
        let refused = try runCuboid(["prelabel", sequence, "--out", root + "/refused", "--to", "kitti", "--no-previews"])
        #expect(refused.status == 1 && refused.stderr.contains("KITTI output needs a KITTI calibration") && refused.stderr.contains("--camera"), "\(refused.stderr)")
        let out = root + "/out"
        let run = try runCuboid(["prelabel", sequence, "--out", out, "--to", "kitti,kitti-tracking,cvat,mot,segments-ai", "--camera", "CAM_FRONT", "--no-previews"])
        #expect(run.status == 0, "\(run.stderr)")
        // KITTI tracking holds the same boxes as the KITTI object file: one line each.
        let tracking = try String(contentsOfFile: out + "/kitti_tracking.txt", encoding: .utf8).split(separator: "\n")
        // The KITTI file's 2D boxes (fields 5-8) are CVAT's CAM_FRONT boxes, to the 2 decimals KITTI writes.
        let kittiFolder = out + "/kitti"
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: kittiFolder).first { $0.hasSuffix(".txt") })
        let rows = try String(contentsOfFile: kittiFolder + "/" + file, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
        let cvat = try String(contentsOfFile: out + "/cvat.xml", encoding: .utf8)
        let boxes = cvat.matches(of: /xtl="([-\d.e]+)" ytl="([-\d.e]+)" xbr="([-\d.e]+)" ybr="([-\d.e]+)"/).map { [Double($0.output.1)!, Double($0.output.2)!, Double($0.output.3)!, Double($0.output.4)!] }
        #expect(!rows.isEmpty && rows.count == boxes.count && tracking.count == rows.count)
        for row in rows {
            let box = Array(row[3..<7])
            #expect(boxes.contains { zip($0, box).allSatisfy { abs($0 - $1) <= 0.005 + 1e-9 } }, "\(box)")
        }
    }

    @Test("prelabel SUSTechPOINTS --to sustechpoints: the folder is a scene's label/ that cuboid inspect reads back with every box",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.path("sustechpoints/lidar"))))
    func prelabelSUSTechPOINTS() throws {
        let root = try scratchFolder("sustechpoints-command")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try runCuboid(["prelabel", SharedData.path("sustechpoints"), "--out", root + "/out", "--to", "sustechpoints", "--no-previews"])
        #expect(run.status == 0, "\(run.stderr)")
        let boxes = try #require(run.stdout.firstMatch(of: /(\d+) boxes/).flatMap { Int($0.output.1) })
        // One FRAME.json per lidar/FRAME.pcd.
        let lidar = try FileManager.default.contentsOfDirectory(atPath: SharedData.path("sustechpoints/lidar")).filter { $0.hasSuffix(".pcd") }
        let written = try FileManager.default.contentsOfDirectory(atPath: root + "/out/sustechpoints")
        #expect(Set(written) == Set(lidar.map { String($0.dropLast(4)) + ".json" }))
        // A scene as SUSTechPOINTS lays it out (data/SCENE/lidar, calib, camera linked to the real ones; label/ our output).
        let scene = root + "/data/scene"
        try FileManager.default.createDirectory(atPath: scene, withIntermediateDirectories: true)
        for name in ["lidar", "calib", "camera"] {
            try FileManager.default.createSymbolicLink(atPath: scene + "/" + name, withDestinationPath: SharedData.path("sustechpoints/" + name))
        }
        try FileManager.default.copyItem(atPath: root + "/out/sustechpoints", toPath: scene + "/label")
        let inspect = try runCuboid(["inspect", scene])
        #expect(inspect.status == 0 && inspect.stdout.contains("layout: sustechpoints") && inspect.stdout.contains("gold: \(boxes) objects"), "\(inspect.stdout)")
    }
}

import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid synth", .serialized)
struct SynthCommandTests {
    @Test("synth writes a KITTI raw recording that inspect and labels check read; a second run gives the same bytes")
    func synthEndToEnd() throws {
        let scene = try temporaryFile("small.json", """
            {"name": "small", "seed": 11, "lidar": {"beams": 16, "azimuth_step": 1.0},
             "camera": {"width": 160, "height": 64, "focal_length": 90, "principal_point": [80, 30]}}
            """)
        let folder = (scene as NSString).deletingLastPathComponent
        let first = try runCuboid(["synth", folder + "/a", "--frames", "2", "--scene", scene, "--threads", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("wrote 2 frames"))
        // Piped standard error: no progress line.
        #expect(first.stderr.isEmpty)
        let second = try runCuboid(["synth", folder + "/b", "--frames", "2", "--scene", scene, "--threads", "2"])
        #expect(second.status == 0)
        for file in ["velodyne_points/data/0000000001.bin", "image_02/data/0000000001.png", "oxts/data/0000000001.txt",
                     "label_02/0000.txt", "gold.openlabel.json", "calib_cam_to_cam.txt", "scene.json"] {
            #expect(FileManager.default.contents(atPath: folder + "/a/" + file) == FileManager.default.contents(atPath: folder + "/b/" + file), "\(file)")
        }
        let inspect = try runCuboid(["inspect", "--json", folder + "/a/velodyne_points/data/0000000000.bin", folder + "/a/image_02/data/0000000000.png"])
        #expect(inspect.status == 0)
        let objects = try jsonObjects(inspect.stdout)
        #expect(objects[0]["format"] as? String == "kitti-bin" && (objects[0]["points"] as? Int ?? 0) > 1000)
        #expect(objects[1]["width"] as? Int == 160 && objects[1]["height"] as? Int == 64)
        // The gold passes the label checks (no impossible sizes, flips or gaps).
        let check = try runCuboid(["labels", "check", "--labels", folder + "/a/gold.openlabel.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test("a malformed scene exits 1 naming the file and line; nothing is written")
    func badScene() throws {
        let scene = try temporaryFile("bad.json", "{\n  \"lidar\": {\"beams\": 3, \"azimuth_stp\": 0.2}\n}\n")
        let folder = (scene as NSString).deletingLastPathComponent
        let result = try runCuboid(["synth", folder + "/out", "--scene", scene])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.json: line 2: unknown key \"azimuth_stp\""), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    }
}

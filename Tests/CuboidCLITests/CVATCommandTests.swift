import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid prelabel and labels convert with CVAT's formats", .serialized)
struct CVATCommandTests {
    /// The sample sequence seen by a rig of two cameras: its files linked, and image_03 showing image_02's pictures.
    private func twoCameraSequence(in root: String) throws -> String {
        let source = SharedData.sampleData + "/sequence", sequence = root + "/rig"
        try FileManager.default.createDirectory(atPath: sequence, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.createSymbolicLink(atPath: sequence + "/" + name, withDestinationPath: source + "/" + name)
        }
        try FileManager.default.createSymbolicLink(atPath: sequence + "/image_03", withDestinationPath: source + "/image_02")
        return sequence
    }

    /// The object count `labels convert` reports for a file read in `format`.
    private func objectCount(_ path: String, format: String, root: String) throws -> Int? {
        let result = try runCuboid(["labels", "convert", path, root + "/" + UUID().uuidString + ".json", "--from", format, "--to", "openlabel"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stderr.firstMatch(of: /frames, (\d+) objects/).flatMap { Int($0.output.1) }
    }

    @Test("prelabel on two cameras: cvat without --camera is refused before anything is written; with it every CVAT format holds every box")
    func prelabelCamera() throws {
        let root = try scratchFolder("cvat-command")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sequence = try twoCameraSequence(in: root)
        let refused = try runCuboid(["prelabel", sequence, "--out", root + "/refused", "--to", "openlabel,cvat-video", "--no-previews"])
        #expect(refused.status == 1 && refused.stderr.contains("cvat-video holds the boxes of one camera") && refused.stderr.contains("--camera"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/refused/prelabels.openlabel.json"))
        let unknown = try runCuboid(["prelabel", sequence, "--out", root + "/unknown", "--to", "cvat", "--camera", "image_09", "--no-previews"])
        #expect(unknown.status == 1 && unknown.stderr.contains("image_09 is not a camera of this sequence (cameras: image_02, image_03)"), "\(unknown.stderr)")

        let out = root + "/out"
        let run = try runCuboid(["prelabel", sequence, "--out", out, "--to", "openlabel,cvat,cvat-video,kitti-raw,sly-pointcloud", "--camera", "image_03", "--no-previews"])
        #expect(run.status == 0, "\(run.stderr)")
        let boxes = try #require(run.stdout.firstMatch(of: /(\d+) boxes/).flatMap { Int($0.output.1) })
        #expect(boxes > 0)
        // Every cuboid in both 3D formats; the XML files hold image_03's boxes with the camera's size.
        #expect(try objectCount(out + "/kitti_raw", format: "kitti-raw", root: root) == boxes)
        #expect(try objectCount(out + "/sly_pointcloud", format: "sly-pointcloud", root: root) == boxes)
        let video = try String(contentsOfFile: out + "/cvat_video.xml", encoding: .utf8)
        // The frame size is image_03's, S_rect_03 of the calibration.
        let calibration = try String(contentsOfFile: SharedData.sampleData + "/sequence/calib_cam_to_cam.txt", encoding: .utf8)
        let size = try #require(calibration.firstMatch(of: /S_rect_03: (\d+)\.0 (\d+)\.0/)?.output)
        #expect(video.contains("<original_size>\n        <width>\(size.1)</width>\n        <height>\(size.2)</height>"))
        let images = try objectCount(out + "/cvat.xml", format: "cvat", root: root)
        let tracks = try objectCount(out + "/cvat_video.xml", format: "cvat-video", root: root)
        #expect(images != nil && images == tracks)
        #expect(FileManager.default.fileExists(atPath: out + "/sly_pointcloud/ds0/ann/0000000000.pcd.json"))
        #expect(try String(contentsOfFile: out + "/kitti_raw/frame_list.txt", encoding: .utf8).hasPrefix("0 0000000000\n"))
    }
}

import CuboidTestSupport
import Foundation
import Testing

/// Runs the built `cuboid` binary and captures its output.
/// - Parameter directory: The working directory (default: the project root).
func runCuboid(_ arguments: [String], in directory: String = SharedData.projectRoot) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = BuiltProducts.cuboid
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A new empty folder under the temporary directory, for one test's outputs.
func jsonObjects(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
}

@Suite("cuboid command line", .serialized)
struct CLITests {
    @Test("inspect --json describes SampleData clouds and images")
    func inspectSampleData() throws {
        let files = ["sequence/velodyne_points/data/0000000000.bin", "sweep.pcd", "sweep.ply", "frame.png", "frame.jpg"].map { SharedData.sampleData + "/" + $0 }
        let result = try runCuboid(["inspect", "--json"] + files)
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try jsonObjects(result.stdout)
        #expect(objects.count == 5)
        let clouds = objects.filter { $0["kind"] as? String == "pointcloud" }
        #expect(clouds.count == 3)
        #expect(Set(clouds.map { $0["points"] as! Int }).count == 1)
        #expect(clouds.map { $0["format"] as! String } == ["kitti-bin", "pcd-binary-compressed", "ply-binary-le"])
        for image in objects.filter({ $0["kind"] as? String == "image" }) {
            #expect(image["width"] as? Int == 621 && image["height"] as? Int == 188 && image["channels"] as? Int == 3)
        }
    }

    @Test("inspect on real data reports counts and NaNs", .enabled(if: SharedData.isAvailable, "needs ../shared/data"))
    func inspectReal() throws {
        let result = try runCuboid(["inspect", "--json", SharedData.path("pcd/pcl/table_scene_mug_stereo_textured.pcd"), SharedData.path("nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin")])
        #expect(result.status == 0)
        let objects = try jsonObjects(result.stdout)
        #expect(objects[0]["points"] as? Int == 307_200 && objects[0]["nan_points"] as? Int == 97_920 && objects[0]["height"] as? Int == 480)
        #expect(objects[1]["points"] as? Int == 34_688 && objects[1]["format"] as? String == "nuscenes-bin")
        let text = try runCuboid(["inspect", SharedData.path("kitti_object/training/image_2/000000.png")])
        #expect(text.stdout.contains("size: 1224 x 370"))
    }

    @Test("a corrupt input exits 1 and names the file and offset; other inputs still print")
    func corruptInput() throws {
        let folder = NSTemporaryDirectory() + "cuboid-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sweep = try Data(contentsOf: URL(fileURLWithPath: SharedData.sampleData + "/sequence/velodyne_points/data/0000000000.bin"))
        try sweep.prefix(sweep.count - 3).write(to: URL(fileURLWithPath: folder + "/cut.bin"))
        let result = try runCuboid(["inspect", "--json", folder + "/cut.bin", SharedData.sampleData + "/frame.png"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(folder)/cut.bin: binary sweep: \(sweep.count - 3) bytes is not a whole number of 16-byte points: a partial point starts at byte \(sweep.count - 16)"))
        let objects = try jsonObjects(result.stdout)
        #expect(objects.map { $0["kind"] as! String } == ["error", "image"])
        let missing = try runCuboid(["inspect", folder + "/nothing.pcd"])
        #expect(missing.status == 1 && missing.stderr.contains("nothing.pcd: cannot open file: No such file or directory"))
    }

    @Test("convert through every format and back gives the same cloud")
    func convertChain() throws {
        let folder = NSTemporaryDirectory() + "cuboid-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var previous = SharedData.sampleData + "/sweep.pcd"
        for (index, format) in ["pcd-ascii", "ply-binary-be", "ply-ascii", "nuscenes-bin", "pcd-binary", "kitti-bin"].enumerated() {
            let next = "\(folder)/step\(index).out"
            let source = previous.hasSuffix("step3.out") ? ["--from", "nuscenes-bin"] : []
            let result = try runCuboid(["convert", previous, next, "--to", format] + source)
            #expect(result.status == 0, "\(format): \(result.stderr)")
            previous = next
        }
        let final = try Data(contentsOf: URL(fileURLWithPath: previous))
        let original = try Data(contentsOf: URL(fileURLWithPath: SharedData.sampleData + "/sequence/velodyne_points/data/0000000000.bin"))
        #expect(final == original)
        // Format by extension, with a warning for what the target cannot hold.
        let toBin = try runCuboid(["convert", SharedData.sampleData + "/sweep.ply", folder + "/x.pcd.bin"])
        #expect(toBin.status == 0 && toBin.stderr.contains("no 'ring' attribute: written as 0"))
        let bad = try runCuboid(["convert", SharedData.sampleData + "/sweep.ply", folder + "/x.unknown"])
        #expect(bad.status != 0 && bad.stderr.contains("use --to"))
        let image = try runCuboid(["convert", SharedData.sampleData + "/frame.png", folder + "/f.jpg", "--quality", "80"])
        #expect(image.status == 0)
        #expect(FileManager.default.contents(atPath: folder + "/f.jpg")?.prefix(3) == Data([0xFF, 0xD8, 0xFF]))
    }

    @Test("demo runs on SampleData")
    func demo() throws {
        let result = try runCuboid(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("decoded 4 files, 0 failed"))
        #expect(result.stdout.contains("gold check: 3 frames"))
        #expect(result.stdout.contains("0 mismatches"))
        // The scoring rules are stated, each class at KITTI's threshold, a class without gold says so.
        #expect(result.stdout.contains("gold within 40 m holding at least 10 returns"))
        #expect(result.stdout.contains("Car: 46 gold; IoU 0.7 recall"))
        #expect(!result.stdout.contains("Car: 46 gold; IoU 0.5"))
        #expect(result.stdout.contains("Pedestrian: 23 gold; IoU 0.5 recall"))
        #expect(result.stdout.contains("Cyclist: 0 gold; IoU 0.5 no gold"))
        #expect(result.stdout.hasSuffix("demo: all checks passed\n"))
    }
}

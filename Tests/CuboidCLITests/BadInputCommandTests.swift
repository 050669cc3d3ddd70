import CuboidTestSupport
import Foundation
import Testing

/// Issue 24, end to end: oversized or endless inputs are refused before they are read, bad data is
/// refused with the file and the reason, and messages stay short whatever the input holds. Every
/// case runs in a ``Sandbox``, which checks that nothing outside the output folder changed.
@Suite("cuboid refuses bad input with evidence", .serialized)
struct BadInputCommandTests {
    /// A 5 GiB sparse `.bin` (335 million points) is refused from its size by inspect and convert:
    /// exit 1, the file named, the size and the budget stated.
    @Test("a 5 GiB sparse .bin is refused unread", arguments: ["inspect", "convert"])
    func hugeSparseSweep(command: String) throws {
        let box = try Sandbox("big-\(command)")
        defer { box.remove() }
        let path = box.inputs + "/big.bin"
        try sparseFile(path, size: 5 << 30)
        let result = try box.run(command == "inspect" ? ["inspect", path] : ["convert", path, box.out + ".pcd"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(path): binary sweep: 5368709120 bytes hold 335544320 16-byte points, above the limit of 200000000 points\n")
        #expect(!FileManager.default.fileExists(atPath: box.out + ".pcd"))
    }

    /// `/dev/zero` never ends: refused without reading, even when told it is a KITTI sweep.
    @Test func endlessDevice() throws {
        let box = try Sandbox("dev-zero")
        defer { box.remove() }
        let result = try box.run(["inspect", "--from", "kitti-bin", "/dev/zero"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: /dev/zero: cannot read file: a character device"), "\(result.stderr)")
    }

    /// A 0-byte `.png` or `.jpg` is an image that was never written, not an unknown point cloud.
    @Test("an empty image file gets an image error", arguments: ["frame.png", "frame.jpg"])
    func emptyImage(name: String) throws {
        let box = try Sandbox("empty-image")
        defer { box.remove() }
        let path = box.inputs + "/" + name
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let inspected = try box.run(["inspect", path])
        #expect(inspected.status == 1)
        #expect(inspected.stderr == "error: \(path): empty file (0 bytes), expected a PNG or JPEG image\n")
        let converted = try box.run(["convert", path, box.out + ".bin"])
        #expect(converted.status == 1)
        #expect(converted.stderr == "error: \(path): empty file (0 bytes), expected a PNG or JPEG image\n")
    }

    /// An all-zero R0_rect once put a truck 70 m from where it was; now the file, line and key are named.
    @Test func singularRectification() throws {
        let box = try Sandbox("singular-calibration")
        defer { box.remove() }
        let folder = box.inputs
        let calib = folder + "/calib.txt"
        let text = """
            P0: 707.0493 0 604.0814 0 0 707.0493 180.5066 0 0 0 1 0
            P1: 707.0493 0 604.0814 -379.7842 0 707.0493 180.5066 0 0 0 1 0
            P2: 707.0493 0 604.0814 45.75831 0 707.0493 180.5066 -0.3454157 0 0 1 0.004981016
            P3: 707.0493 0 604.0814 -334.1081 0 707.0493 180.5066 2.33066 0 0 1 0.003201153
            R0_rect: 0 0 0 0 0 0 0 0 0
            Tr_velo_to_cam: 0.006927964 -0.9999722 -0.002757829 -0.02457729 -0.001162982 0.002749836 -0.9999955 -0.06127237 0.9999753 0.006931141 -0.001143899 -0.3321029

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: calib))
        try FileManager.default.createDirectory(atPath: folder + "/label_2", withIntermediateDirectories: true)
        try Data("Truck 0.00 0 -1.57 599.41 156.40 629.75 189.25 2.85 2.63 12.34 0.47 1.49 69.44 -1.56\n".utf8)
            .write(to: URL(fileURLWithPath: folder + "/label_2/000000.txt"))
        let result = try box.run(["labels", "convert", folder + "/label_2", box.out + ".json", "--from", "kitti", "--calib", calib])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(calib): line 5, R0_rect: the 3 x 3 rotation part is not a rotation"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: box.out + ".json"))
    }

    /// A PCD whose FIELDS line is 6 MB gives a message under 1 KB that still names file and line.
    @Test func hugeHeaderLineMessage() throws {
        let box = try Sandbox("wide-header")
        defer { box.remove() }
        let path = box.inputs + "/wide.pcd"
        let fields = (0..<700_000).map { "f\($0)" }.joined(separator: " ")
        try Data("# .PCD v0.7\nVERSION 0.7\nFIELDS \(fields)\nSIZE 4\nTYPE F\nCOUNT 1\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(fields.utf8.count > 5_000_000)
        let result = try box.run(["inspect", path])
        #expect(result.status == 1)
        #expect(result.stderr.utf8.count < 1024, "\(result.stderr.utf8.count) bytes")
        #expect(result.stderr.hasPrefix("error: \(path): PCD: line 3: ") && result.stderr.contains("bytes)"), "\(result.stderr.prefix(400))")
    }

    /// A full disk names the file being written in every format, the streamed OpenLABEL file included
    /// (its scratch file used to make the error name the folder), and leaves nothing behind.
    @Test("a full disk names the output file", .enabled(if: SmallFileSystem.canMount && SharedData.isAvailable),
          arguments: ["out.openlabel.json", "out.cvat.xml", "out.coco.json"])
    func fullDiskNamesTheFile(name: String) throws {
        let box = try Sandbox("full-disk")
        defer { box.remove() }
        let disk = try SmallFileSystem(at: box.out, kibibytes: 32)
        defer { disk.unmount() }
        let tracking = SharedData.path("kitti_tracking/training")
        let format = name.hasPrefix("out.openlabel") ? "openlabel" : name.hasPrefix("out.cvat") ? "cvat" : "coco"
        let result = try box.run(["labels", "convert", tracking + "/label_02/0000.txt", box.out + "/" + name, "--from", "kitti-tracking",
                                  "--to", format, "--calib", tracking + "/calib/0000.txt", "--image-size", "1242x375"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(box.out)/\(name): cannot write file: No space left on device"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.out).isEmpty)
    }
}

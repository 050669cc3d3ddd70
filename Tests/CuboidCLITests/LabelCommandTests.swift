import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid labels and cuboid project, end to end")
struct LabelCommandTests {
    let kitti = SharedData.path("kitti_object/training")

    @Test("labels convert: KITTI -> OpenLABEL -> KITTI reproduces the label folder byte for byte", .enabled(if: SharedData.isAvailable))
    func kittiRoundTrip() throws {
        let folder = NSTemporaryDirectory() + "cuboid-labels-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let openLABEL = folder + "/labels.json"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let there = try runCuboid(["labels", "convert", kitti + "/label_2", openLABEL, "--from", "kitti", "--dataset", kitti])
        #expect(there.status == 0 && there.stderr.contains("5 frames, 22 objects"))
        let back = try runCuboid(["labels", "convert", openLABEL, folder + "/kitti", "--from", "openlabel", "--to", "kitti", "--dataset", kitti])
        #expect(back.status == 0)
        for frame in ["000000", "000001", "000002", "000003", "007347"] {
            #expect(FileManager.default.contents(atPath: folder + "/kitti/\(frame).txt") == FileManager.default.contents(atPath: kitti + "/label_2/\(frame).txt"))
        }
        // Without a calibration KITTI cannot be placed in the lidar frame: a clear error, exit 1.
        let missing = try runCuboid(["labels", "convert", kitti + "/label_2", folder + "/x.json", "--from", "kitti"])
        #expect(missing.status == 1 && missing.stderr.contains("--calib FILE or --dataset DIR"))
        // Converting to KITTI never drops objects silently: a class KITTI lacks, or a box the camera
        // cannot see, is an error that names it.
        let sus = SharedData.path("sustechpoints/label/000965.json")
        let unseen = try runCuboid(["labels", "convert", sus, folder + "/k", "--from", "sustechpoints", "--to", "kitti", "--calib", kitti + "/calib/000001.txt", "--image-size", "1242x375"])
        #expect(unseen.status == 1 && unseen.stderr.contains("Car 4 does not project into image_2"))
        let unmapped = try runCuboid(["labels", "convert", sus, folder + "/k", "--from", "sustechpoints", "--to", "kitti", "--calib", kitti + "/calib/000001.txt", "--drop-class", "Car"])
        #expect(unmapped.status == 1 && unmapped.stderr.contains("KITTI has no class \"Rider\""))
    }

    @Test("labels convert names the file and line of a malformed label", .enabled(if: SharedData.isAvailable))
    func malformed() throws {
        let bad = try temporaryFile("bad-label.txt", "Car 0.00 0 -1.57 599.41 156.40 629.75 189.25 2.85 2.63 12.34 0.47 1.49 69.44 -1.56\nCar 0.00 0 x 1 2 3 4 1 1 1 0 0 5 0\n")
        let result = try runCuboid(["labels", "convert", bad, bad + ".json", "--from", "kitti", "--calib", kitti + "/calib/000001.txt"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(bad): line 2, alpha: expected a finite number, found \"x\"\n")
        #expect(!FileManager.default.fileExists(atPath: bad + ".json"))
    }

    @Test("labels check: findings on SUSTechPOINTS with exit 2, none on KITTI gold with exit 0", .enabled(if: SharedData.isAvailable))
    func check() throws {
        let sus = try runCuboid(["labels", "check", "--sequence", SharedData.path("sustechpoints")])
        #expect(sus.status == 2)
        #expect(sus.stdout.contains("yaw-flip frame 000975 Pedestrian track 56") && sus.stdout.contains("track-gap frame 000965 Car track 13"))
        let clean = try runCuboid(["labels", "check", "--sequence", kitti, "--json"])
        #expect(clean.status == 0 && clean.stdout.isEmpty)
    }

    @Test("project prints each cuboid's 2D box near the label's own", .enabled(if: SharedData.isAvailable))
    func project() throws {
        let result = try runCuboid(["project", kitti + "/label_2/000001.txt", "--calib", kitti + "/calib/000001.txt",
                                    "--image", kitti + "/image_2/000001.png", "--json"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)  // Truck, Car, Cyclist; the DontCare regions have no cuboid.
        #expect(lines[0].hasPrefix("{\"frame\": \"000001\", \"object\": 0, \"class\": \"Truck\", \"box\": [599.6"))
    }
}

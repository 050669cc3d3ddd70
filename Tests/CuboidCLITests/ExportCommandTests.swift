import CuboidTestSupport
import Foundation
import Testing

@Suite("cuboid labels convert: MOT17, COCO datasets and KITTI in view, end to end")
struct ExportCommandTests {
    let kitti = SharedData.path("kitti_object/training")
    let tracking = SharedData.path("kitti_tracking/training")

    private func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "cuboid-exports-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("KITTI tracking -> MOT17: 9 columns, every row's MOT17 class, and back with the same boxes", .enabled(if: SharedData.isAvailable))
    func mot17() throws {
        let out = try folder("mot17")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let gt = out + "/gt.txt"
        let run = try runCuboid(["labels", "convert", tracking + "/label_02/0000.txt", gt, "--from", "kitti-tracking", "--to", "mot",
                                 "--mot-variant", "mot17", "--calib", tracking + "/calib/0000.txt"])
        #expect(run.status == 0)
        let rows = try String(contentsOfFile: gt, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
        let source = try String(contentsOfFile: tracking + "/label_02/0000.txt", encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(rows.count == source.count && rows.allSatisfy { $0.count == 9 })
        let ids = ["Pedestrian": "1", "Cyclist": "2", "Car": "3", "Van": "3", "DontCare": "8"]
        #expect(rows.map { String($0[7]) }.sorted() == source.map { ids[String($0[2])] ?? "?" }.sorted())
        // Boxes are KITTI's own pixels: left, top, right - left, bottom - top.
        let first = try #require(source.first), row = try #require(rows.first)
        #expect(abs(Double(row[2])! - Double(first[6])!) < 1e-9 && abs(Double(row[4])! - (Double(first[8])! - Double(first[6])!)) < 1e-9)
        let back = try runCuboid(["labels", "convert", gt, out + "/back.txt", "--from", "mot", "--to", "mot", "--mot-variant", "mot17"])
        #expect(back.status == 0)
        #expect(try String(contentsOfFile: out + "/back.txt", encoding: .utf8) == String(contentsOfFile: gt, encoding: .utf8))
    }

    @Test("KITTI -> COCO dataset: sizes from the images with --dataset, DontCare as crowd regions; refused without a size", .enabled(if: SharedData.isAvailable))
    func cocoDataset() throws {
        let out = try folder("coco")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let missing = try runCuboid(["labels", "convert", kitti + "/label_2", out + "/none.json", "--from", "kitti", "--to", "coco", "--calib", kitti + "/calib/000001.txt"])
        #expect(missing.status == 1 && missing.stderr.contains("COCO images need their size") && !FileManager.default.fileExists(atPath: out + "/none.json"))
        let run = try runCuboid(["labels", "convert", kitti + "/label_2", out + "/gold.json", "--from", "kitti", "--to", "coco", "--dataset", kitti])
        #expect(run.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/gold.json"))) as? [String: Any])
        let images = try #require(root["images"] as? [[String: Any]])
        // KITTI's quirk: frames 000000 and 007347 are 1224 x 370, the others 1242 x 375.
        let sizes = Dictionary(uniqueKeysWithValues: images.map { ($0["file_name"] as! String, "\($0["width"]!)x\($0["height"]!)") })
        #expect(sizes == ["000000.png": "1224x370", "000001.png": "1242x375", "000002.png": "1242x375", "000003.png": "1242x375", "007347.png": "1224x370"])
        let categories = try #require(root["categories"] as? [[String: Any]]).map { $0["name"] as! String }
        #expect(!categories.contains("DontCare"))
        let annotations = try #require(root["annotations"] as? [[String: Any]])
        let crowd = annotations.filter { ($0["iscrowd"] as? Int) == 1 }.count
        var regions = 0, objects = 0
        for frame in ["000000", "000001", "000002", "000003", "007347"] {
            for line in try String(contentsOfFile: kitti + "/label_2/\(frame).txt", encoding: .utf8).split(separator: "\n") {
                if line.hasPrefix("DontCare") { regions += 1 } else { objects += 1 }
            }
        }
        #expect(regions > 0 && crowd == regions * categories.count && annotations.count - crowd == objects)
    }

    @Test("360-degree gold -> KITTI: refused without --kitti-in-view, cut to camera 2's view with it (the labels' own camera as calibration)")
    func kittiInView() throws {
        let out = try folder("inview")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let gold = SharedData.projectRoot + "/SampleData/sequence/gold.openlabel.json"
        let refused = try runCuboid(["labels", "convert", gold, out + "/all", "--from", "openlabel", "--to", "kitti"])
        #expect(refused.status == 1 && refused.stderr.contains("2D box in image_2"))
        let run = try runCuboid(["labels", "convert", gold, out + "/kitti", "--from", "openlabel", "--to", "kitti", "--kitti-in-view"])
        #expect(run.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gold))) as? [String: Any])
        let openLABEL = try #require(document["openlabel"] as? [String: Any])
        let frames = try #require(openLABEL["frames"] as? [String: [String: Any]])
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/kitti").sorted()
        #expect(files.count == frames.count)
        for file in files {
            let rows = try String(contentsOfFile: out + "/kitti/" + file, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
            let total = ((frames[String(Int(file.dropLast(4))!)]?["objects"] as? [String: Any]) ?? [:]).count
            // Some objects are seen, not all (the gold is 360 degrees); each seen box lies in the 621 x 188 image
            // of the file's own camera stream, truncation in [0, 1] and 0 for boxes clear of the edges.
            #expect(!rows.isEmpty && rows.count < total, "\(file): \(rows.count) of \(total)")
            for row in rows {
                let (truncation, left, top, right, bottom) = (row[0], row[3], row[4], row[5], row[6])
                #expect((0...1).contains(truncation) && left >= 0 && top >= 0 && right <= 621 && bottom <= 188 && right > left)
                if left > 0 && top > 0 && right < 621 && bottom < 188 { #expect(truncation == 0) }
            }
        }
    }
}

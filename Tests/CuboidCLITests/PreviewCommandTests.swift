import CuboidTestSupport
import Foundation
import Testing

/// A PNG's [width, height] from its IHDR chunk (bytes 16-23, big-endian).
func pngSize(_ path: String) throws -> [Int] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(bytes.count > 24 && bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] && bytes[12..<16] == Array("IHDR".utf8)[...], "\(path)")
    func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return [be32(16), be32(20)]
}

@Suite("cuboid prelabel pictures", .serialized)
struct PreviewCommandTests {
    @Test("every review-queue row names a position and preview files that exist; previews and the contact sheet have their sizes")
    func reviewQueuePointsAtPictures() throws {
        let out = try scratchFolder("previews")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let sequence = SharedData.sampleData + "/sequence"
        let result = try runCuboid(["prelabel", sequence, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: out + "/review_queue.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "rank,frame,track,category,score,doubt,reasons,x,y,z,preview,camera_preview")
        #expect(lines.count > 1)
        var cameraPreviews = 0
        for line in lines.dropFirst() {
            // The reasons are the one quoted field; after it: an empty field, then x, y, z, preview, camera_preview.
            let tail = line.split(separator: "\"", omittingEmptySubsequences: false).last!.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(tail.count == 6, "\(line)")
            guard tail.count == 6 else { continue }
            let position = tail[1...3].compactMap(Double.init)
            #expect(position.count == 3 && position.allSatisfy { abs($0) < 200 }, "\(line)")
            let frame = line.split(separator: ",")[1]
            #expect(tail[4] == "preview/\(frame)-bev.png")
            #expect(FileManager.default.fileExists(atPath: out + "/" + tail[4]), "\(tail[4])")
            if !tail[5].isEmpty {
                cameraPreviews += 1
                #expect(tail[5] == "preview/\(frame)-image_02.png")
                #expect(FileManager.default.fileExists(atPath: out + "/" + tail[5]), "\(tail[5])")
            }
        }
        #expect(cameraPreviews > 0)
        // Bird's-eye views: 100 m at 8 px/m. Camera previews: the camera's frame size.
        let frames = try FileManager.default.contentsOfDirectory(atPath: sequence + "/image_02/data").filter { $0.hasSuffix(".png") }.sorted()
        #expect(frames.count == 3)
        for file in frames {
            let frame = String(file.dropLast(4))
            #expect(try pngSize(out + "/preview/\(frame)-bev.png") == [800, 800])
            let camera = try pngSize(sequence + "/image_02/data/" + file)
            #expect(try pngSize(out + "/preview/\(frame)-image_02.png") == camera)
        }
        // The contact sheet: 3 tiles of 200 px in one row, 4 px apart, a 26 px title line and a 22 px name under each tile.
        #expect(try pngSize(out + "/preview/contact_sheet.png") == [4 + 3 * 204, 26 + 200 + 22 + 4])

        // Without previews, the rows name no picture and the pictures are gone.
        let bare = try runCuboid(["prelabel", sequence, "--out", out, "--no-previews"])
        #expect(bare.status == 0, "\(bare.stderr)")
        let rows = try String(contentsOfFile: out + "/review_queue.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.allSatisfy { $0.hasSuffix(",,") })
        #expect(!FileManager.default.fileExists(atPath: out + "/preview/contact_sheet.png"))
    }
}

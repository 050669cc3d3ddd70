import CuboidTestSupport
import Foundation
import Testing

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cuboid-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("cuboid iou and assign", .serialized)
struct GeometryCommandTests {
    @Test("iou --pairwise prints N rows of M values that read back exactly")
    func pairwise() throws {
        let a = try temporaryFile("a.csv", "x,y,l,w,yaw\n0,0,2,2,0\n1,0,2,2,0\n")
        let b = try temporaryFile("b.csv", "x,y,l,w,yaw\n0,0,2,2,0\n0,0,2,2,0.7853981633974483\n50,50,1,1,0\n")
        let result = try runCuboid(["iou", a, b, "--kind", "bev", "--threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: ",").map { Double($0)! } }
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 3 })
        #expect(rows[0][0] == 1 && rows[1][0] == 2.0 / 6.0 && rows[0][2] == 0)
        let octagon = 8 * (2.0.squareRoot() - 1)
        #expect(abs(rows[0][1] - octagon / (8 - octagon)) < 1e-12)
    }

    @Test("iou --aligned prints one value per line; 2d and 3d kinds")
    func aligned() throws {
        let a = try temporaryFile("a.csv", "x1,y1,x2,y2\n0,0,10,10\n0,0,1,1\n")
        let b = try temporaryFile("b.csv", "x1,y1,x2,y2\n5,0,15,10\n2,2,3,3\n")
        let result = try runCuboid(["iou", a, b, "--kind", "2d", "--aligned"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(50.0 / 150.0)\n0.0\n")
        let c = try temporaryFile("c.csv", "x,y,z,l,w,h,yaw\n0,0,1,4,2,2,0.3\n")
        let d = try temporaryFile("d.csv", "x,y,z,l,w,h,yaw\n0,0,2,4,2,2,0.3\n")
        let cuboids = try runCuboid(["iou", c, d, "--kind", "3d", "--aligned"])
        #expect(abs(Double(cuboids.stdout.trimmingCharacters(in: .whitespacesAndNewlines))! - 1.0 / 3.0) < 1e-12)
    }

    @Test("malformed CSV: the file, line and column on stderr, exit 1")
    func malformed() throws {
        let good = try temporaryFile("good.csv", "x,y,l,w,yaw\n0,0,2,2,0\n")
        let bad = try temporaryFile("bad.csv", "x,y,l,w,yaw\n0,0,2,2,0\n0,0,two,2,0\n")
        let result = try runCuboid(["iou", good, bad, "--kind", "bev"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(bad) && result.stderr.contains("line 3") && result.stderr.contains("column l"))
        #expect(result.stdout.isEmpty)
        let mismatch = try runCuboid(["iou", good, try temporaryFile("two.csv", "x,y,l,w,yaw\n0,0,1,1,0\n0,0,1,1,0\n"), "--kind", "bev", "--aligned"])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("as many boxes"))
        let missing = try runCuboid(["iou", good, "/nonexistent/b.csv", "--kind", "bev"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/b.csv"))
    }

    @Test("assign prints the optimal pairs; --greedy and --maximum-cost change them")
    func assign() throws {
        let cost = try temporaryFile("cost.csv", "0.1,0.2\n0.15,10\n")
        #expect(try runCuboid(["assign", cost]).stdout == "0,1\n1,0\n")
        #expect(try runCuboid(["assign", cost, "--greedy"]).stdout == "0,0\n1,1\n")
        #expect(try runCuboid(["assign", cost, "--greedy", "--maximum-cost", "1"]).stdout == "0,0\n")
    }

    @Test("bench iou --json reports the kernel, sizes, threads and rate")
    func benchJSON() throws {
        let a = try temporaryFile("a.csv", "x,y,z,l,w,h,yaw\n0,0,1,4,2,2,0.3\n1,0,1,4,2,2,0\n")
        let result = try runCuboid(["bench", "iou", a, a, "--kind", "3d", "--threads", "1", "--repeat", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(object["kernel"] as? String == "iou_3d" && object["n"] as? Int == 2 && object["m"] as? Int == 2)
        #expect(object["threads"] as? Int == 1 && (object["pairs_per_second"] as? Double ?? 0) > 0)
    }
}

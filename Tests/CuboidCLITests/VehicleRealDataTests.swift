import CuboidTestSupport
import Foundation
import Testing

/// Car figures of `cuboid prelabel --score` on real footage, pinned a little below what the
/// detector reaches, so a change that loses vehicles on real data fails here.
@Suite("cuboid prelabel vehicles on real data", .serialized)
struct VehicleRealDataTests {
    /// Recall at BEV IoU 0.5 and 0.7 and precision at 0.5 of one class, from the `--score` line
    /// `Car: 240 gold; IoU 0.5 recall R precision P (...); IoU 0.7 recall R7 precision P7 (...)`.
    static func figures(_ stdout: String, category: String) -> (recall5: Double, recall7: Double, precision5: Double)? {
        guard let line = stdout.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(category + ": ") }) else { return nil }
        func number(after key: String, in text: Substring) -> Double? {
            guard let range = text.range(of: key) else { return nil }
            return Double(text[range.upperBound...].prefix { "0123456789.".contains($0) })
        }
        let parts = line.split(separator: ";")
        guard let at5 = parts.first(where: { $0.contains("IoU 0.5") }), let at7 = parts.first(where: { $0.contains("IoU 0.7") }),
              let recall5 = number(after: "recall ", in: at5), let precision5 = number(after: "precision ", in: at5),
              let recall7 = number(after: "recall ", in: at7) else { return nil }
        return (recall5, recall7, precision5)
    }

    @Test("KITTI tracking 0000, each sweep alone: Car recall@0.5 >= 0.83, recall@0.7 >= 0.79, precision >= 0.58",
          .enabled(if: FileManager.default.fileExists(atPath: SharedData.path("kitti_tracking/training/label_02/0000.txt")), "needs ../shared/data/kitti_tracking"))
    func kittiTrackingUntracked() throws {
        // The sequence as a KITTI raw recording without poses (symlinks only): every sweep is
        // detected alone, nothing is tracked.
        let training = SharedData.path("kitti_tracking/training")
        let root = try scratchFolder("vehicles")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/kt0000/velodyne_points/data", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + "/kt0000/label_02", withIntermediateDirectories: true)
        for file in try manager.contentsOfDirectory(atPath: training + "/velodyne/0000") where file.hasSuffix(".bin") {
            try manager.createSymbolicLink(atPath: root + "/kt0000/velodyne_points/data/" + file, withDestinationPath: training + "/velodyne/0000/" + file)
        }
        try manager.createSymbolicLink(atPath: root + "/kt0000/calib.txt", withDestinationPath: training + "/calib/0000.txt")
        try manager.createSymbolicLink(atPath: root + "/kt0000/label_02/0000.txt", withDestinationPath: training + "/label_02/0000.txt")
        let result = try runCuboid(["prelabel", root + "/kt0000", "--out", root + "/out", "--no-previews", "--score"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("no ego poses"), "the sweeps must be detected alone: \(result.stdout)")
        let car = try #require(Self.figures(result.stdout, category: "Car"), "no Car figures in: \(result.stdout)")
        // Measured: 0.854, 0.817, 0.608 (0.821, 0.792, 0.528 without the vehicle rules of
        // VehicleConfiguration and TrackingConfiguration).
        #expect(car.recall5 >= 0.83, "Car recall@0.5 \(car.recall5)")
        #expect(car.recall7 >= 0.79, "Car recall@0.7 \(car.recall7)")
        #expect(car.precision5 >= 0.58, "Car precision@0.5 \(car.precision5)")
    }
}

import CuboidDatasets
import CuboidFormats
import CuboidGeometry
import CuboidPointClouds
import CuboidQA
import CuboidTestSupport
import Foundation
import Testing

private func box(_ x: Double, _ y: Double, length: Double = 4, yaw: Double = 0, id: String? = nil, category: String = "Car") -> LabeledObject {
    LabeledObject(trackID: id, category: category, cuboid: Box3D(x: x, y: y, z: -1, length: length, width: 2, height: 1.5, yaw: yaw))
}

private func set(_ frames: [[LabeledObject]]) -> LabelSet {
    LabelSet(frames: frames.enumerated().map { LabeledFrame(name: String(format: "%06d", $0.offset), objects: $0.element) })
}

/// `cuboid prelabel --score`'s criteria, run through the QA evaluation.
@Suite("Sequence scoring (prelabel --score)")
struct SequenceScoringTests {
    @Test("hits, misses and false positives by hand at IoU 0.5 and 0.7: range, neighbouring Van, yaw + pi")
    func byHand() throws {
        let gold = [box(10, 0), box(20, 5), box(60, 0), box(15, -5, category: "Van")]
        // Exact hit (yaw + pi); a box shifted 1 m along its 4 m length (IoU 3/5); one beyond 40 m (left
        // out on both sides); one on the Van (ignored); one on nothing (false positive).
        let predictions = [box(10, 0, yaw: .pi), box(21, 5), box(60, 0), box(15, -5), box(30, -10)]
        let score = try SequenceScoring.score(set([predictions]), gold: set([gold]), sequence: nil, regionCamera: nil, tracked: false)
        let car = score.classes[0]
        #expect(car.name == "Car" && car.gold == 2 && score.frames == 1 && !score.tracked)
        #expect(car.thresholds.map(\.iou) == [0.5, 0.7])
        #expect(car.thresholds[0].truePositives == 2 && car.thresholds[0].falseNegatives == 0 && car.thresholds[0].falsePositives == 1)
        #expect(car.thresholds[1].truePositives == 1 && car.thresholds[1].falseNegatives == 1 && car.thresholds[1].falsePositives == 2)
        #expect(abs(car.thresholds[0].precision! - 2.0 / 3) < 1e-12)
        #expect(car.mota == nil && car.idf1 == nil && car.identitySwitches == nil)
    }

    @Test("other data sets' class names count as the KITTI class; no gold is no recall, not 1")
    func classNamesAndEmptyClasses() throws {
        let gold = [box(10, 0, category: "bicycle"), box(20, 0, category: "Rider"), box(30, 0, category: "car")]
        let predictions = [box(10, 0, category: "Cyclist"), box(30, 0), box(35, 8, category: "Pedestrian")]
        let score = try SequenceScoring.score(set([predictions]), gold: set([gold]), sequence: nil, regionCamera: nil, tracked: false)
        let byName = Dictionary(uniqueKeysWithValues: score.classes.map { ($0.name, $0) })
        #expect(byName["Cyclist"]!.gold == 2 && byName["Cyclist"]!.thresholds[0].truePositives == 1)
        #expect(byName["Car"]!.gold == 1 && byName["Car"]!.thresholds[0].truePositives == 1)
        let pedestrian = byName["Pedestrian"]!.thresholds[0]
        #expect(byName["Pedestrian"]!.gold == 0 && pedestrian.recall == nil && pedestrian.precision == 0)
    }

    @Test("tracking: CLEAR MOT and IDF1 as py-motmetrics counts them, one identity switch")
    func tracking() throws {
        let gold = [box(10, 0, id: "a"), box(20, 5, id: "b")]
        let predictions = [[box(10, 0, id: "1"), box(20, 5, id: "2")], [box(10, 0, id: "1"), box(20, 5, id: "3")], [box(10, 0, id: "1")]]
        let score = try SequenceScoring.score(set(predictions), gold: set([gold, gold, gold]), sequence: nil, regionCamera: nil, tracked: true)
        let car = score.classes[0]
        #expect(car.gold == 6 && car.identitySwitches == 1)
        // 1 miss + 1 switch over 6 gold boxes; identity: a-1 (3 frames) and b-2 (1) of 6 gold and 5 predicted boxes.
        #expect(abs(car.mota! - (1 - 2.0 / 6)) < 1e-12)
        #expect(abs(car.idf1! - 8.0 / 11) < 1e-12)
        #expect(car.motp! < 1e-12)
        #expect(score.classes[1].identitySwitches == 0 && score.classes[1].mota == nil)
    }

    @Test("gold holding fewer than 10 returns is ignored, not missed")
    func minimumReturns() throws {
        let folder = try scratchFolder("sequence-scoring")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/lidar", withIntermediateDirectories: true)
        // 9 returns in the car at 10 m, 10 in the car at 20 m.
        let xs = (0..<9).map { Float(9.5) + Float($0) * 0.1 } + (0..<10).map { Float(19.5) + Float($0) * 0.1 }
        let cloud = PointCloud(x: xs, y: Array(repeating: 0, count: xs.count), z: Array(repeating: -1, count: xs.count))
        try PointCloudCodec.write(cloud, to: folder + "/lidar/000000.bin", format: .kittiBin)
        let sequence = try SensorSequence.open(folder)
        let score = try SequenceScoring.score(set([[box(10, 0)]]), gold: set([[box(10, 0), box(20, 0)]]), sequence: sequence,
                                              regionCamera: nil, tracked: false)
        let car = score.classes[0].thresholds[0]
        #expect(score.classes[0].gold == 1 && car.falseNegatives == 1 && car.truePositives == 0 && car.falsePositives == 0)
    }

    @Test("camera view: a box on truncated gold centred beyond the image's edge is a hit; outside the view on no gold, ignored")
    func cameraView() throws {
        let folder = try scratchFolder("sequence-scoring-view")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let training = folder + "/training"
        for sub in ["velodyne/0000", "calib", "label_02"] {
            try FileManager.default.createDirectory(atPath: training + "/" + sub, withIntermediateDirectories: true)
        }
        // Camera 2 looks along the lidar's x axis, 720 px focal length, principal point 600 px: a
        // centre 45 degrees to the right (x 4, y -4) projects to column 1320, beyond a 1242 px image.
        var calib = ""
        for k in 0..<4 { calib += "P\(k): 7.2e2 0 6.0e2 0 0 7.2e2 1.8e2 0 0 0 1 0\n" }
        calib += "R0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\nTr_imu_to_velo: 1 0 0 0 0 1 0 0 0 0 1 0\n"
        try Data(calib.utf8).write(to: URL(fileURLWithPath: training + "/calib/0000.txt"))
        try Data().write(to: URL(fileURLWithPath: training + "/label_02/0000.txt"))
        // 12 returns inside the gold car at (4, -4), 12 inside the one at (20, 0).
        let xs = (0..<12).map { Float(3.5) + Float($0) * 0.1 } + (0..<12).map { Float(19.5) + Float($0) * 0.1 }
        let ys = (0..<12).map { _ in Float(-4) } + (0..<12).map { _ in Float(0) }
        try PointCloudCodec.write(PointCloud(x: xs, y: ys, z: Array(repeating: -1, count: xs.count)),
                                  to: training + "/velodyne/0000/000000.bin", format: .kittiBin)
        let sequence = try SensorSequence.open(training)
        let gold = [box(4, -4), box(20, 0)]
        // On the truncated gold (centre out of view), on the gold in view, and two on nothing: one
        // out of view (ignored), one in view (an extra).
        let predictions = [box(4.2, -4), box(20, 0), box(3, 8), box(30, 0)]
        let score = try SequenceScoring.score(set([predictions]), gold: set([gold]), sequence: sequence, regionCamera: "image_02", tracked: false)
        let car = score.classes[0].thresholds[0]
        #expect(score.classes[0].gold == 2)
        #expect(car.truePositives == 2 && car.falseNegatives == 0 && car.falsePositives == 1)
        // Without the truncated gold's box the gold is missed; the box out of view on nothing stays ignored.
        let without = try SequenceScoring.score(set([Array(predictions.dropFirst())]), gold: set([gold]), sequence: sequence,
                                                regionCamera: "image_02", tracked: false).classes[0].thresholds[0]
        #expect(without.truePositives == 1 && without.falseNegatives == 1 && without.falsePositives == 1)
    }

    @Test("the criteria as QA configuration: KITTI's DontCare rule, camera view, 40 m, 10 returns")
    func configuration() throws {
        let configuration = SequenceScoring.configuration(threshold: 0.7, regionCamera: "image_02")
        #expect(configuration.gold.dontCareShare == nil && configuration.gold.cameraViewOnly && configuration.camera == "image_02")
        #expect(configuration.gold.maximumRange == 40 && configuration.gold.minimumPoints == 10)
        #expect(configuration.classes["Car"]?.ignore == ["Van"] && configuration.classes["Pedestrian"]?.ignore == ["Person_sitting"])
        try configuration.validate()
        // The new keys read back from the configuration's JSON.
        #expect(try QAConfiguration.decode(configuration.encoded) == configuration)
        #expect(!SequenceScoring.configuration(threshold: 0.5, regionCamera: nil).gold.cameraViewOnly)
    }
}

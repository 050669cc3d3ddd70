import CuboidFormats
import CuboidGeometry
import CuboidPrelabel
import Testing

private func car(_ x: Double, _ y: Double, length: Double = 4, yaw: Double = 0, id: String? = nil, category: String = "Car") -> LabeledObject {
    LabeledObject(trackID: id, category: category, cuboid: Box3D(x: x, y: y, z: -1, length: length, width: 2, height: 1.5, yaw: yaw))
}

@Suite struct EvaluationTests {
    @Test func hitsMissesAndFalsePositivesByHand() {
        var score = DetectionScore(criteria: DetectionCriteria(category: "Car"))
        let gold = [car(10, 0), car(20, 5), car(60, 0), car(15, -5, category: "Van")]
        // Exact hit; a box shifted 1 m along its 4 m length (IoU 3/5 = 0.6); a box far beyond 40 m
        // (not counted); a box on the Van (ignored); one on nothing (false positive); a rotated exact box (yaw + pi).
        let predictions = [car(10, 0, yaw: .pi), car(21, 5), car(60, 0), car(15, -5), car(30, -10)]
        score.add(gold: gold, goldPoints: [100, 50, 100, 100], predictions: predictions)
        #expect(score.goldObjects == 2)
        #expect(score.counts[0].truePositives == 2 && score.counts[0].falseNegatives == 0 && score.counts[0].falsePositives == 1)
        #expect(score.counts[1].truePositives == 1 && score.counts[1].falseNegatives == 1 && score.counts[1].falsePositives == 2)
        #expect(abs(score.counts[0].precision! - 2.0 / 3) < 1e-12)
    }

    @Test func goldWithTooFewPointsIsIgnoredNotMissed() {
        var score = DetectionScore(criteria: DetectionCriteria(category: "Car"))
        score.add(gold: [car(10, 0), car(20, 0)], goldPoints: [9, 10], predictions: [car(10, 0)])
        #expect(score.goldObjects == 1)
        #expect(score.counts[0].falseNegatives == 1 && score.counts[0].falsePositives == 0 && score.counts[0].truePositives == 0)
    }

    @Test func otherDatasetsClassNamesCount() {
        var score = DetectionScore(criteria: DetectionCriteria(category: "Cyclist"))
        score.add(gold: [car(10, 0, category: "bicycle"), car(20, 0, category: "Rider"), car(30, 0, category: "motorcycle")],
                  goldPoints: [50, 50, 50], predictions: [car(10, 0, category: "Cyclist")])
        #expect(score.goldObjects == 2 && score.counts[0].truePositives == 1)
        var cars = DetectionScore(criteria: DetectionCriteria(category: "Car"))
        cars.add(gold: [car(10, 0, category: "car")], goldPoints: [50], predictions: [car(10, 0)])
        #expect(cars.goldObjects == 1 && cars.counts[0].truePositives == 1)
    }

    @Test("a class without gold has no recall (\"no gold\"), not 1; without predictions no precision; the class table is QA's")
    func noGoldIsNotPerfect() {
        var score = DetectionScore(criteria: DetectionCriteria(category: "Cyclist"))
        score.add(gold: [car(10, 0)], goldPoints: [50], predictions: [car(20, 0, category: "Cyclist"), car(30, 0, category: "Cyclist")])
        #expect(score.goldObjects == 0 && score.counts[0].falsePositives == 2)
        #expect(score.counts[0].recall == nil && score.counts[0].precision == 0)
        var empty = DetectionScore(criteria: DetectionCriteria(category: "Pedestrian"))
        empty.add(gold: [car(10, 0, category: "Pedestrian")], goldPoints: [50], predictions: [])
        #expect(empty.counts[0].recall == 0 && empty.counts[0].precision == nil)
        var tracks = TrackingScore(criteria: DetectionCriteria(category: "Cyclist"))
        tracks.add(gold: [], goldPoints: [], predictions: [car(20, 0, id: "1", category: "Cyclist")])
        #expect(tracks.mota == nil)
        #expect(ClassNames.kittiCategory("Rider") == "Cyclist")
    }

    @Test func trackingCountsIdentitySwitches() {
        var score = TrackingScore(criteria: DetectionCriteria(category: "Car"))
        let gold = [car(10, 0, id: "a"), car(20, 5, id: "b")]
        score.add(gold: gold, goldPoints: [50, 50], predictions: [car(10, 0, id: "1"), car(20, 5, id: "2")])
        score.add(gold: gold, goldPoints: [50, 50], predictions: [car(10, 0, id: "1"), car(20, 5, id: "3")])
        score.add(gold: gold, goldPoints: [50, 50], predictions: [car(10, 0, id: "1")])
        #expect(score.goldObjects == 6 && score.identitySwitches == 1 && score.misses == 1 && score.falsePositives == 0)
        #expect(abs(score.mota! - (1 - 2.0 / 6)) < 1e-12)
    }
}

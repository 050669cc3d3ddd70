public import CuboidFormats
public import CuboidGeometry
import CuboidKernels
public import CuboidDatasets
import CuboidPointClouds

/// Which gold objects and predictions a detection score counts, KITTI-style.
///
/// A gold object of the class is *counted* when it lies within ``maximumRange`` (horizontal distance
/// from the sensor) and holds at least ``minimumPoints`` returns; other gold objects of the class, of
/// its neighbouring classes (a Van for Car, Person_sitting for Pedestrian) and DontCare regions are
/// *ignored*: a prediction on them is neither a hit nor a false positive. Predictions are counted
/// within ``maximumRange`` and, when ``region`` is set, only where that camera sees their centre
/// (KITTI labels only what camera 2 sees).
public struct DetectionCriteria: Sendable, Hashable {
    /// The evaluated class (KITTI spelling).
    public var category: String
    /// BEV IoU needed for a hit, one score per threshold.
    public var thresholds: [Double]
    /// Horizontal range limit, metres.
    public var maximumRange: Double
    /// Fewest lidar returns a counted gold object holds.
    public var minimumPoints: Int
    /// The camera whose view bounds the labelled region, when labels cover only part of the sweep.
    public var region: Camera?

    public init(category: String, thresholds: [Double] = [0.5, 0.7], maximumRange: Double = 40, minimumPoints: Int = 10,
                region: Camera? = nil) {
        precondition(!thresholds.isEmpty && thresholds.allSatisfy { $0 > 0 && $0 <= 1 }, "thresholds must be in (0, 1]")
        self.category = category
        self.thresholds = thresholds
        self.maximumRange = maximumRange
        self.minimumPoints = minimumPoints
        self.region = region
    }

    /// Classes whose gold boxes are ignored rather than missed when predicted as `category`.
    var neighbours: Set<String> {
        switch category {
        case "Car": ["Van"]
        case "Pedestrian": ["Person_sitting"]
        case "Van": ["Car"]
        default: []
        }
    }
}

/// The KITTI class a dataset's class name stands for in scoring: the table `cuboid qa` uses too
/// (``ClassNames/kittiAliases``).
func scoringCategory(_ name: String) -> String { ClassNames.kittiCategory(name) }

/// Hits, misses and false positives of one class at one BEV IoU threshold, summed over frames.
public struct DetectionCounts: Sendable, Hashable, Codable {
    public var threshold: Double
    public var truePositives = 0
    public var falseNegatives = 0
    public var falsePositives = 0
    public init(threshold: Double) { self.threshold = threshold }

    /// Hits over counted gold objects; nil ("no gold") when there is none.
    public var recall: Double? { truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives) }
    /// Hits over counted predictions; nil ("n/a") when there is none.
    public var precision: Double? { truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives) }
}

/// The score of one class's predictions against gold, accumulated frame by frame.
public struct DetectionScore: Sendable, Hashable {
    public internal(set) var criteria: DetectionCriteria
    /// One entry per threshold, in the criteria's order.
    public private(set) var counts: [DetectionCounts]
    /// Counted gold objects seen so far.
    public private(set) var goldObjects = 0

    public init(criteria: DetectionCriteria) {
        self.criteria = criteria
        counts = criteria.thresholds.map { DetectionCounts(threshold: $0) }
    }

    /// Adds one frame.
    /// - Parameters:
    ///   - gold: The frame's gold objects in the sensor frame (DontCare rows included, with their
    ///     2D box in the region camera).
    ///   - goldPoints: Lidar returns inside each gold object (same order).
    ///   - predictions: Predicted objects in the same sensor frame; those of other classes are skipped.
    /// - Complexity: O(G P) IoU pairs plus an optimal assignment.
    public mutating func add(gold: [LabeledObject], goldPoints: [Int], predictions: [LabeledObject]) {
        let (counted, ignored, dontCare) = criteria.partition(gold: gold, goldPoints: goldPoints)
        let predicted = predictions.compactMap { criteria.countedBox($0) }
        goldObjects += counted.count
        let overlap = pairwiseIoU(predicted.map(\.bev), counted.map(\.box), threads: 1)
        let overlapIgnored = pairwiseIoU(predicted.map(\.bev), ignored, threads: 1)
        var cost = overlap
        for k in cost.elements.indices { cost.elements[k] = 1 - cost.elements[k] }
        // A prediction mostly inside a DontCare region is neither a hit nor a false positive.
        let inDontCare = predicted.map { box in
            criteria.region.flatMap { camera in
                projectedBox(box, camera: camera).map { projected in dontCare.contains { overlapArea(projected, $0) >= 0.5 * projected.area } }
            } ?? false
        }
        for (t, threshold) in criteria.thresholds.enumerated() {
            let pairs = predicted.isEmpty || counted.isEmpty ? [] : optimalAssignment(cost: cost, maximumCost: 1 - threshold + 1e-12)
            counts[t].truePositives += pairs.count
            counts[t].falseNegatives += counted.count - pairs.count
            let matched = Set(pairs.map(\.row))
            for p in predicted.indices where !matched.contains(p) {
                let onIgnored = ignored.indices.contains { overlapIgnored[p, $0] >= threshold }
                if !onIgnored && !inDontCare[p] { counts[t].falsePositives += 1 }
            }
        }
    }
}

extension DetectionCriteria {
    /// The gold of one frame split into counted objects (with their track ids), ignored boxes and
    /// DontCare regions in the region camera.
    func partition(gold: [LabeledObject], goldPoints: [Int]) -> (counted: [(id: String?, box: BEVBox)], ignored: [BEVBox], dontCare: [Box2D]) {
        precondition(gold.count == goldPoints.count, "one point count per gold object")
        var counted: [(id: String?, box: BEVBox)] = [], ignored: [BEVBox] = [], dontCare: [Box2D] = []
        for (object, points) in zip(gold, goldPoints) {
            let name = scoringCategory(object.category)
            if name == "DontCare" {
                if let camera = region, let box = object.boxes[camera.name] { dontCare.append(box) }
                continue
            }
            guard let cuboid = object.cuboid else { continue }
            if name == category {
                if horizontalRange(cuboid) <= maximumRange && points >= minimumPoints {
                    counted.append((object.trackID, cuboid.bev))
                } else {
                    ignored.append(cuboid.bev)
                }
            } else if neighbours.contains(name) {
                ignored.append(cuboid.bev)
            }
        }
        return (counted, ignored, dontCare)
    }

    /// The prediction's box when it counts: of the class, within range and, with a region camera,
    /// centred in that camera's view.
    func countedBox(_ object: LabeledObject) -> Box3D? {
        guard object.category == category, let cuboid = object.cuboid, horizontalRange(cuboid) <= maximumRange else { return nil }
        if let camera = region {
            guard let (pixel, _) = camera.project(cuboid.center), pixel.x >= 0, pixel.y >= 0,
                  pixel.x < Double(camera.intrinsics.width), pixel.y < Double(camera.intrinsics.height) else { return nil }
        }
        return cuboid
    }
}


private func overlapArea(_ a: Box2D, _ b: Box2D) -> Double {
    max(0, min(a.maxX, b.maxX) - max(a.minX, b.minX)) * max(0, min(a.maxY, b.maxY) - max(a.minY, b.minY))
}

/// Scores a whole label set against gold, frame by frame.
public enum DetectionScoring {
    /// One ``DetectionScore`` per class.
    /// - Parameters:
    ///   - predictions: Predicted labels, sensor frame; frames matched to gold by name.
    ///   - gold: Gold labels, sensor frame.
    ///   - sequence: The sweeps, to count the returns inside each gold box.
    ///   - classes: Classes to score.
    ///   - regionCamera: A camera name bounding the labelled region (KITTI: `image_2`), or nil for the whole sweep.
    /// - Throws: file errors from reading the sweeps or calibrations.
    public static func score(_ predictions: LabelSet, gold: LabelSet, sequence: SensorSequence,
                             classes: [String] = ["Car", "Pedestrian", "Cyclist"], regionCamera: String? = nil) throws -> [DetectionScore] {
        try scoreWithTracking(predictions, gold: gold, sequence: sequence, classes: classes, regionCamera: regionCamera).detection
    }

    /// Detection scores and CLEAR MOT tracking scores (the latter meaningful when both sides carry track ids).
    public static func scoreWithTracking(_ predictions: LabelSet, gold: LabelSet, sequence: SensorSequence,
                                         classes: [String] = ["Car", "Pedestrian", "Cyclist"],
                                         regionCamera: String? = nil) throws -> (detection: [DetectionScore], tracking: [TrackingScore]) {
        var scores = classes.map { DetectionScore(criteria: DetectionCriteria(category: $0)) }
        var tracking = classes.map { TrackingScore(criteria: DetectionCriteria(category: $0)) }
        let predicted = Dictionary(predictions.frames.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let golden = Dictionary(gold.frames.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (index, frame) in sequence.frames.enumerated() {
            guard let goldFrame = golden[frame.name] else { continue }
            let cloud = try sequence.pointCloud(at: index)
            let points = cloud.pointCounts(inside: goldFrame.objects)
            let camera = try regionCamera.flatMap { name in try sequence.cameras(at: index).first { $0.name == name } }
            for k in scores.indices {
                scores[k].criteria.region = camera
                scores[k].add(gold: goldFrame.objects, goldPoints: points, predictions: predicted[frame.name]?.objects ?? [])
                tracking[k].add(gold: goldFrame.objects, goldPoints: points, predictions: predicted[frame.name]?.objects ?? [])
            }
        }
        return (scores, tracking)
    }
}

/// CLEAR MOT figures of tracked predictions against gold tracks (Bernardin and Stiefelhagen 2008), on
/// BEV IoU: a gold object stays matched to the track it matched before while their IoU holds the
/// threshold; the rest are matched optimally; a gold object matched to a different track than last
/// time is an identity switch. Gold is counted as in ``DetectionCriteria`` (one class, range, points).
public struct TrackingScore: Sendable, Hashable {
    public let criteria: DetectionCriteria
    public private(set) var goldObjects = 0
    public private(set) var misses = 0
    public private(set) var falsePositives = 0
    public private(set) var identitySwitches = 0
    private var lastMatch: [String: String] = [:]

    public init(criteria: DetectionCriteria) { self.criteria = criteria }

    /// `1 - (misses + false positives + identity switches) / gold objects`.
    /// nil ("no gold") without counted gold objects.
    public var mota: Double? { goldObjects == 0 ? nil : 1 - Double(misses + falsePositives + identitySwitches) / Double(goldObjects) }

    /// Adds the next frame. Gold and predictions need track ids.
    public mutating func add(gold: [LabeledObject], goldPoints: [Int], predictions: [LabeledObject]) {
        let threshold = criteria.thresholds[0]
        let (countedGold, ignored, _) = criteria.partition(gold: gold, goldPoints: goldPoints)
        let counted = countedGold.compactMap { gold in gold.id.map { (id: $0, box: gold.box) } }
        let predicted = predictions.compactMap { object in
            object.trackID.flatMap { id in criteria.countedBox(object).map { (id: id, box: $0.bev) } }
        }
        goldObjects += counted.count
        let overlap = pairwiseIoU(predicted.map(\.box), counted.map(\.box), threads: 1)
        var goldTaken = Set<Int>(), predictedTaken = Set<Int>()
        // Keep last frame's correspondences that still hold.
        for (g, gold) in counted.enumerated() {
            guard let previous = lastMatch[gold.id], let p = predicted.firstIndex(where: { $0.id == previous }), !predictedTaken.contains(p),
                  overlap[p, g] >= threshold else { continue }
            goldTaken.insert(g)
            predictedTaken.insert(p)
        }
        let freeGold = counted.indices.filter { !goldTaken.contains($0) }, freePredicted = predicted.indices.filter { !predictedTaken.contains($0) }
        if !freeGold.isEmpty && !freePredicted.isEmpty {
            var cost = Matrix(rows: freePredicted.count, columns: freeGold.count, repeating: 1)
            for (r, p) in freePredicted.enumerated() { for (c, g) in freeGold.enumerated() { cost[r, c] = 1 - overlap[p, g] } }
            for pair in optimalAssignment(cost: cost, maximumCost: 1 - threshold + 1e-12) {
                let p = freePredicted[pair.row], g = freeGold[pair.column]
                if let previous = lastMatch[counted[g].id], previous != predicted[p].id { identitySwitches += 1 }
                lastMatch[counted[g].id] = predicted[p].id
                goldTaken.insert(g)
                predictedTaken.insert(p)
            }
        }
        misses += counted.count - goldTaken.count
        for p in predicted.indices where !predictedTaken.contains(p) {
            if !ignored.contains(where: { iou(predicted[p].box, $0) >= threshold }) { falsePositives += 1 }
        }
    }
}

import CuboidFormats
import CuboidGeometry
import CuboidKernels

/// One side's object as the matcher sees it: its class after renames and the geometry the criterion
/// compares.
struct PreparedObject: Sendable {
    /// Index in the frame's object list.
    var index: Int
    var category: String
    var cuboid: Box3D?
    var box: Box2D?
    /// Lidar returns inside the cuboid, when the sweeps are known.
    var points: Int?
}

/// A pair of boxes whose similarity passes the lowest threshold any score needs, kept for average
/// precision and tracking (which run over all frames after the per-frame matching).
struct GatedPair: Sendable, Hashable, Codable {
    /// Positions in the class's counted gold list (or, for ignored gold, `counted.count + k`).
    var gold: Int
    /// Position in the class's labelled list.
    var label: Int
    /// Higher is better: IoU, or minus the centre distance.
    var similarity: Double
}

/// One class in one frame of one tasker: what was matched, missed, extra or ignored.
struct ClassFrameMatch: Sendable {
    var category: String
    /// Counted gold objects (frame indices).
    var counted: [PreparedObject] = []
    /// Ignored gold objects (filters, neighbouring classes).
    var ignoredGold: [PreparedObject] = []
    /// Labelled objects of the class that are evaluated.
    var labelled: [PreparedObject] = []
    /// Positions in `labelled` of boxes that fell on ignored gold or DontCare regions.
    var ignoredLabels: Set<Int> = []
    /// Per labelled box, the largest share of its 2D box inside one DontCare region (0 without
    /// regions, a 2D box, or in agreement mode): the box's overlap with a COCO crowd region.
    var dontCareShares: [Double] = []
    /// Labelled boxes of the class left out of scoring by the positional gold filters (range, 2D height).
    var filteredLabels = 0
    /// Matches: positions in `counted` and `labelled`, with the overlap reported (IoU; BEV IoU for the
    /// centre-distance criterion) and the similarity.
    var matches: [(gold: Int, label: Int, overlap: Double, similarity: Double)] = []
    /// Pairs passing the gate (for AP and tracking).
    var pairs: [GatedPair] = []
    /// Every (labelled, counted gold) pair of positive IoU, for HOTA (empty unless it is asked for).
    var overlaps: [GatedPair] = []
}

/// Matches one frame of one tasker against gold, class by class.
struct FrameMatcher {
    let configuration: QAConfiguration
    /// The camera DontCare regions, `iou-2d` and the height filter use (nil when unknown).
    let camera: Camera?
    /// Name of the camera whose 2D boxes are used.
    let cameraName: String?
    /// Agreement between two taskers: neither side is gold, so no box is filtered or ignored (gold
    /// filters, neighbouring classes and DontCare regions would treat the two sides differently).
    let symmetric: Bool
    /// Lowest similarity any score needs, per class (the COCO range starts at 0.5 for 2D).
    let gates: [String: Double]

    init(configuration: QAConfiguration, camera: Camera?, cameraName: String?, symmetric: Bool) {
        self.configuration = configuration
        self.camera = camera
        self.cameraName = cameraName
        self.symmetric = symmetric
        var gates: [String: Double] = [:]
        for (name, rule) in configuration.classes {
            switch configuration.match {
            case .centerDistance: gates[name] = -rule.distance
            case .iou2D: gates[name] = min(rule.threshold, 0.5)
            default: gates[name] = rule.threshold
            }
        }
        self.gates = gates
    }

    /// Whether the KITTI AP is asked for and defined (an IoU criterion, gold to score against).
    var computesKITTI: Bool { configuration.metrics.contains(.kitti) && configuration.match != .centerDistance && !symmetric }

    /// Whether HOTA is asked for and defined (an IoU criterion).
    var computesHOTA: Bool { configuration.metrics.contains(.hota) && configuration.match != .centerDistance }

    /// The similarity the match threshold applies to: IoU, or minus the centre distance.
    func threshold(_ category: String) -> Double {
        let rule = configuration.classes[category]!
        return configuration.match == .centerDistance ? -rule.distance : rule.threshold
    }

    /// Whether an object has the geometry the criterion compares.
    func hasGeometry(_ object: PreparedObject) -> Bool {
        configuration.match.usesCuboids ? object.cuboid != nil : object.box != nil
    }

    /// Whether a gold object passes the gold filters.
    func passesFilters(_ object: PreparedObject, source: LabeledObject) -> Bool {
        let filter = configuration.gold
        if let range = filter.maximumRange, let cuboid = object.cuboid, horizontalRange(cuboid) > range { return false }
        if filter.minimumPoints > 0, let points = object.points, points < filter.minimumPoints { return false }
        return filter.admitsGold(occluded: source.attributes["occluded"]?.number, truncated: source.attributes["truncated"]?.number,
                                 height: object.box?.height)
    }

    /// Whether a labelled object passes the gold filters that depend on where a box is, not on what the
    /// gold says about it, so both sides are filtered alike (nuScenes' `filter_eval_boxes` filters
    /// predictions by range; KITTI's evaluation ignores detections shorter than the minimum height):
    /// ``GoldFilter/maximumRange`` and ``GoldFilter/minimumHeight``. The others are not applied to
    /// labelled boxes: occlusion and truncation are the gold's judgement (a box on such gold is already
    /// ignored), and a labelled box holding fewer than ``GoldFilter/minimumPoints`` returns on no gold is
    /// an extra worth reporting (a box on empty ground). The camera view is applied after matching
    /// (see ``inCameraView(_:)``).
    func labelPassesFilters(_ object: PreparedObject) -> Bool {
        let filter = configuration.gold
        if let range = filter.maximumRange, let cuboid = object.cuboid, horizontalRange(cuboid) > range { return false }
        return filter.admitsLabel(height: object.box?.height)
    }

    /// ``GoldFilter/cameraViewOnly``: whether the camera sees a labelled cuboid's centre (in front of
    /// it, inside the image). True when the filter is off, for 2D boxes, and without a camera.
    ///
    /// Applied to the labelled boxes no gold box takes, as a DontCare region is: gold is kept when
    /// its centre lies beyond the image's edge (a truncated car beside the ego), so a labelled box on
    /// it must be able to match it; a box outside the view on no gold is ignored, not an extra.
    func inCameraView(_ object: PreparedObject) -> Bool {
        guard configuration.gold.cameraViewOnly, let camera, let cuboid = object.cuboid else { return true }
        guard let (pixel, _) = camera.project(cuboid.center) else { return false }
        return pixel.x >= 0 && pixel.y >= 0 && pixel.x < Double(camera.intrinsics.width) && pixel.y < Double(camera.intrinsics.height)
    }

    /// The share of a box inside a DontCare region at which an unmatched box is ignored in the counts
    /// (``GoldFilter/dontCareShare``; nil: the class threshold, KITTI's rule; half for centre distance).
    func dontCareLimit(_ category: String) -> Double {
        configuration.gold.dontCareShare ?? (configuration.match == .centerDistance ? 0.5 : threshold(category))
    }

    /// Similarity of every labelled box (rows) to every gold box (columns).
    func similarity(_ labelled: [PreparedObject], _ gold: [PreparedObject]) -> Matrix {
        switch configuration.match {
        case .bevIoU: return pairwiseIoU(labelled.map { $0.cuboid!.bev }, gold.map { $0.cuboid!.bev }, threads: 1)
        case .iou3D: return pairwiseIoU(labelled.map { $0.cuboid! }, gold.map { $0.cuboid! }, threads: 1)
        case .iou2D: return pairwiseIoU(labelled.map { $0.box! }, gold.map { $0.box! }, threads: 1)
        case .centerDistance:
            var matrix = Matrix(rows: labelled.count, columns: gold.count, repeating: 0)
            for (r, a) in labelled.enumerated() {
                for (c, b) in gold.enumerated() { matrix[r, c] = -planarDistance(a.cuboid!, b.cuboid!) }
            }
            return matrix
        }
    }

    /// The overlap a match reports: the criterion's IoU, or BEV IoU for the centre distance.
    func overlap(_ a: PreparedObject, _ b: PreparedObject, similarity: Double) -> Double {
        configuration.match == .centerDistance ? iou(a.cuboid!.bev, b.cuboid!.bev) : similarity
    }

    /// The largest share of a labelled box's 2D box (its projection for cuboid criteria) inside one
    /// DontCare region: COCO's intersection over the detection's area for a crowd region. The default
    /// scores ignore an unmatched box at a share of at least half; AP at a share of at least the IoU
    /// threshold, as COCOeval does.
    func dontCareShare(_ object: PreparedObject, regions: [Box2D]) -> Double {
        guard !regions.isEmpty else { return 0 }
        let box: Box2D?
        if configuration.match.usesCuboids {
            box = camera.flatMap { camera in object.cuboid.flatMap { projectedBox($0, camera: camera) } }
        } else {
            box = object.box
        }
        guard let box, box.area > 0 else { return 0 }
        return Self.largestDontCareOverlap(box, regions: regions) / box.area
    }

    /// The largest intersection area of a 2D box with any DontCare region (pixels squared): the one
    /// DontCare rule, which the default scores apply at half the box's area and the KITTI AP, as the
    /// devkit, above the class threshold of it.
    static func largestDontCareOverlap(_ box: Box2D, regions: [Box2D]) -> Double {
        regions.reduce(0) { max($0, box.intersection($1).area) }
    }

    /// Matches one class.
    /// - Parameters:
    ///   - gold: The frame's prepared gold objects (all classes); `goldSource` the objects they come from.
    ///   - labelled: The tasker's prepared objects (all classes).
    ///   - dontCare: The frame's DontCare regions in the camera.
    /// - Complexity: O(G L) similarities plus an optimal assignment.
    func match(category: String, gold: [PreparedObject], goldSource: [LabeledObject], labelled: [PreparedObject], dontCare: [Box2D]) -> ClassFrameMatch {
        let rule = configuration.classes[category]!
        var result = ClassFrameMatch(category: category)
        for object in gold where hasGeometry(object) {
            if object.category == category {
                if symmetric || passesFilters(object, source: goldSource[object.index]) { result.counted.append(object) } else { result.ignoredGold.append(object) }
            } else if !symmetric && rule.ignore.contains(object.category) {
                result.ignoredGold.append(object)
            }
        }
        var outOfView: Set<Int> = []
        for object in labelled where object.category == category && hasGeometry(object) {
            guard symmetric || labelPassesFilters(object) else { result.filteredLabels += 1; continue }
            if !symmetric && !inCameraView(object) { outOfView.insert(result.labelled.count) }
            result.labelled.append(object)
        }
        guard !result.labelled.isEmpty else { return result }
        let gate = gates[category]!, threshold = threshold(category)
        let counted = similarity(result.labelled, result.counted)
        let ignored = similarity(result.labelled, result.ignoredGold)
        // Matching: the most pairs whose similarity reaches the threshold, then the least total cost.
        if !result.counted.isEmpty {
            var cost = counted
            for k in cost.elements.indices { cost.elements[k] = -cost.elements[k] }
            for pair in optimalAssignment(cost: cost, maximumCost: -threshold) {
                let similarity = counted[pair.row, pair.column]
                result.matches.append((pair.column, pair.row, overlap(result.counted[pair.column], result.labelled[pair.row], similarity: similarity),
                                       similarity))
            }
            for l in 0..<counted.rows {
                for g in 0..<counted.columns where counted[l, g] >= gate { result.pairs.append(GatedPair(gold: g, label: l, similarity: counted[l, g])) }
            }
            if computesHOTA {
                for l in 0..<counted.rows {
                    for g in 0..<counted.columns where counted[l, g] > 0 { result.overlaps.append(GatedPair(gold: g, label: l, similarity: counted[l, g])) }
                }
            }
        }
        for l in 0..<ignored.rows {
            for g in 0..<ignored.columns where ignored[l, g] >= gate {
                result.pairs.append(GatedPair(gold: result.counted.count + g, label: l, similarity: ignored[l, g]))
            }
        }
        result.dontCareShares = result.labelled.map { symmetric ? 0 : dontCareShare($0, regions: dontCare) }
        let matched = Set(result.matches.map(\.label))
        for l in result.labelled.indices where !matched.contains(l) {
            let onIgnored = (0..<ignored.columns).contains { ignored[l, $0] >= threshold }
            if onIgnored || outOfView.contains(l) || result.dontCareShares[l] >= dontCareLimit(category) { result.ignoredLabels.insert(l) }
        }
        return result
    }
}

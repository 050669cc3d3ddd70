public import CuboidFormats
import CuboidIO

/// How a tasker's box is compared with a gold box when they are matched.
public enum MatchCriterion: String, Sendable, Hashable, Codable, CaseIterable {
    /// Rotated bird's-eye-view IoU of the cuboids (KITTI's BEV benchmark).
    case bevIoU = "bev-iou"
    /// 3D IoU of the yaw-only cuboids (KITTI's 3D benchmark).
    case iou3D = "iou-3d"
    /// IoU of the 2D boxes in one camera (KITTI's 2D benchmark, COCO).
    case iou2D = "iou-2d"
    /// Distance between the cuboids' centres on the ground plane, metres (nuScenes).
    case centerDistance = "center-distance"

    /// Whether the criterion compares cuboids (otherwise 2D boxes).
    public var usesCuboids: Bool { self != .iou2D }
}

/// Matching rules of one evaluated class.
public struct ClassRule: Sendable, Hashable, Codable {
    /// Least IoU of a match, in (0, 1] (IoU criteria).
    public var threshold: Double
    /// Largest centre distance of a match, metres (``MatchCriterion/centerDistance``).
    public var distance: Double
    /// Gold classes whose boxes are ignored rather than missed when labelled as this class, and on
    /// which a box of this class is neither a hit nor an extra (KITTI: Van for Car, Person_sitting for
    /// Pedestrian).
    public var ignore: [String]

    public init(threshold: Double, distance: Double = 2, ignore: [String] = []) {
        self.threshold = threshold
        self.distance = distance
        self.ignore = ignore
    }
}

/// Which gold boxes count; the others of an evaluated class are ignored (a tasker box on them is
/// neither a hit nor an extra). The positional filters, range and 2D height, apply to both sides, as
/// nuScenes' `filter_eval_boxes` and KITTI's evaluation do: a tasker's box beyond the range is left out
/// too (counted in the report's skips), not an extra. Points, occlusion and truncation filter the gold only.
public struct GoldFilter: Sendable, Hashable, Codable {
    /// Gold boxes further than this from the sensor (ground-plane distance, metres) are ignored, and
    /// labelled boxes further than this are left out of scoring; nil (default): no limit.
    public var maximumRange: Double?
    /// Gold boxes holding fewer lidar returns are ignored (needs the sweeps; 0: no limit). Gold only: a
    /// labelled box with few returns on no gold stays an extra.
    public var minimumPoints: Int
    /// KITTI difficulty: gold boxes more occluded than this (attribute `occluded`, 0-3) are ignored; nil: no limit.
    public var maximumOcclusion: Int?
    /// KITTI difficulty: gold boxes more truncated than this (attribute `truncated`, 0-1) are ignored; nil: no limit.
    public var maximumTruncation: Double?
    /// KITTI difficulty: gold boxes whose 2D box in the camera is not taller than this (pixels) are
    /// ignored, and labelled boxes shorter than this are left out of scoring (KITTI's `MIN_HEIGHT`, with
    /// the devkit's `<=` for gold and `<` for detections); nil: no limit.
    public var minimumHeight: Double?
    /// The class name of regions in which nothing is evaluated (KITTI `DontCare`): an unmatched
    /// tasker box whose 2D box lies inside one such region by at least ``dontCareShare`` is ignored.
    public var dontCareClass: String
    /// The share of an unmatched box's 2D box inside one DontCare region at which it is ignored in
    /// the hit and extra counts and tracking: 0.5 by default (at least half inside); nil: the class's
    /// IoU threshold, the KITTI devkit's rule (`boxoverlap(det, dontcare, 0) > MIN_OVERLAP`, which
    /// COCOeval applies to crowd regions too, and which the AP uses whatever this is).
    public var dontCareShare: Double?
    /// Labelled boxes whose centre the camera (``QAConfiguration/camera``) does not see, or that lie
    /// behind it, are ignored unless they match a gold box (neither hits nor extras, as in a DontCare
    /// region), for gold that covers one camera's view (KITTI labels only what camera 2 sees). Gold is
    /// kept: a truncated gold box centred beyond the image's edge still counts, and a labelled box on
    /// it is a hit. Needs the camera's calibration; default false.
    public var cameraViewOnly: Bool

    public init(maximumRange: Double? = nil, minimumPoints: Int = 0, maximumOcclusion: Int? = nil, maximumTruncation: Double? = nil,
                minimumHeight: Double? = nil, dontCareClass: String = "DontCare", dontCareShare: Double? = 0.5, cameraViewOnly: Bool = false) {
        self.dontCareShare = dontCareShare
        self.cameraViewOnly = cameraViewOnly
        self.maximumRange = maximumRange
        self.minimumPoints = minimumPoints
        self.maximumOcclusion = maximumOcclusion
        self.maximumTruncation = maximumTruncation
        self.minimumHeight = minimumHeight
        self.dontCareClass = dontCareClass
    }
}

extension GoldFilter {
    /// KITTI's difficulty rule for a gold box (the devkit's `clean_data`): not more occluded than
    /// ``maximumOcclusion``, not more truncated than ``maximumTruncation``, taller than
    /// ``minimumHeight`` (pixels, 2D box in the camera). A value the box lacks passes. The one rule the
    /// gold filters and the KITTI AP levels share.
    public func admitsGold(occluded: Double?, truncated: Double?, height: Double?) -> Bool {
        if let maximum = maximumOcclusion, let occluded, occluded > Double(maximum) { return false }
        if let maximum = maximumTruncation, let truncated, truncated > maximum { return false }
        if let minimum = minimumHeight, let height, height <= minimum { return false }
        return true
    }

    /// KITTI's rule for a labelled box: not shorter than ``minimumHeight``.
    public func admitsLabel(height: Double?) -> Bool {
        if let minimum = minimumHeight, let height, height < minimum { return false }
        return true
    }
}

/// One KITTI difficulty level: the gold filter its gold must pass (the rest of the class is ignored)
/// and the least height of a detection.
public struct KITTIDifficulty: Sendable, Hashable, Codable {
    public var name: String
    public var maximumOcclusion: Int
    public var maximumTruncation: Double
    public var minimumHeight: Double

    public init(name: String, maximumOcclusion: Int, maximumTruncation: Double, minimumHeight: Double) {
        self.name = name
        self.maximumOcclusion = maximumOcclusion
        self.maximumTruncation = maximumTruncation
        self.minimumHeight = minimumHeight
    }

    /// The level as a gold filter (occlusion, truncation, height; nothing else).
    public var filter: GoldFilter {
        GoldFilter(maximumOcclusion: maximumOcclusion, maximumTruncation: maximumTruncation, minimumHeight: minimumHeight)
    }

    /// The devkit's levels: easy (occlusion 0, truncation 0.15, taller than 40 px), moderate (1, 0.3,
    /// 25 px), hard (2, 0.5, 25 px).
    public static let kitti = [KITTIDifficulty(name: "easy", maximumOcclusion: 0, maximumTruncation: 0.15, minimumHeight: 40),
                               KITTIDifficulty(name: "moderate", maximumOcclusion: 1, maximumTruncation: 0.3, minimumHeight: 25),
                               KITTIDifficulty(name: "hard", maximumOcclusion: 2, maximumTruncation: 0.5, minimumHeight: 25)]
}

/// How far a matched box may be off before its feedback lists it as inaccurate.
public struct Tolerances: Sendable, Hashable, Codable {
    /// Centre offset on the ground plane, metres.
    public var center: Double
    /// Height offset of the centre, metres.
    public var elevation: Double
    /// Heading difference, degrees.
    public var yawDegrees: Double
    /// Length, width or height difference, metres.
    public var size: Double
    /// Centre offset or width/height difference of 2D boxes, pixels.
    public var pixels: Double
    /// A heading this close to 180° off (degrees) is called "heading reversed" (the front labelled at the
    /// back); a larger error past 90° is "heading off by N°". Default 20.
    public var reversedHeadingDegrees: Double

    public init(center: Double = 0.25, elevation: Double = 0.25, yawDegrees: Double = 5, size: Double = 0.25, pixels: Double = 4,
                reversedHeadingDegrees: Double = 20) {
        self.pixels = pixels
        self.reversedHeadingDegrees = reversedHeadingDegrees
        self.center = center
        self.elevation = elevation
        self.yawDegrees = yawDegrees
        self.size = size
    }
}

/// What to do with a class that is neither evaluated nor listed as known.
public enum UnknownClassPolicy: String, Sendable, Hashable, Codable {
    /// Count the boxes, list the class in the report, and leave them out of the scores.
    case skip
    /// Stop with ``QAInputError/unknownClass(side:frame:name:)``.
    case error
}

/// What to do with a frame one side has and the other lacks.
public enum MissingFramePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Count the frame as skipped, list it in the report, and score the frames both sides have (default).
    case skip
    /// Score the frame as if the side lacking it had labelled nothing there: a gold frame the tasker
    /// lacks counts all its gold as missed, a tasker frame without gold all its boxes as extras.
    /// `empty`, the earlier name, is read as this.
    case countAsMissed = "count-as-missed"
    /// Stop with ``QAInputError/missingFrames(side:frames:)``.
    case error

    /// The policy a name stands for, `empty` included (the earlier name of ``countAsMissed``).
    public init?(name: String) {
        if name == "empty" { self = .countAsMissed } else { self.init(rawValue: name) }
    }
}

/// A metric definition computed beside the default figures (detection counts, COCO-style AP, CLEAR
/// MOT), named as `--metric` and the configuration's `metrics` take it.
public enum MetricDefinition: String, Sendable, Hashable, Codable, CaseIterable {
    /// nuScenes detection as the nuscenes-devkit computes it: AP over centre-distance thresholds and the
    /// true-positive errors ATE, ASE, AOE averaged over recall (``NuScenesDetection``). Cuboid criteria only.
    case nuscenes
    /// KITTI object AP as the KITTI devkit defines it (`evaluate_object.cpp`), per difficulty level
    /// with R40 and R11 sampling (``KITTIAveragePrecision``). Needs 2D boxes and scores.
    case kitti
    /// HOTA (Luiten et al. 2021) as TrackEval computes it, averaged over the localisation thresholds
    /// 0.05, 0.10, ..., 0.95 (``HOTAMetrics``). IoU criteria only (the similarity must lie in [0, 1]).
    case hota
}

/// nuScenes detection settings: the devkit's `detection_cvpr_2019` values by default.
public struct NuScenesSettings: Sendable, Hashable, Codable {
    /// Centre-distance thresholds of the APs, metres (a match is closer than the threshold).
    public var distances: [Double] = [0.5, 1, 2, 4]
    /// The threshold whose matches give the true-positive errors, metres.
    public var errorDistance: Double = 2
    /// Recalls up to this are left out of AP and the errors.
    public var minimumRecall: Double = 0.1
    /// Precision below this counts as 0 in AP, which is rescaled by `1 / (1 - minimumPrecision)`.
    public var minimumPrecision: Double = 0.1
    /// Classes whose heading error is taken modulo 180 degrees (a barrier has no front).
    public var halfTurnClasses: [String] = ["barrier"]
    /// Classes without a heading error (AOE is n/a; a cone has no heading).
    public var noOrientationClasses: [String] = ["traffic_cone"]

    public init() {}
}

/// The metric `--fail-under` compares with its threshold, per tasker over all evaluated classes.
public enum GateMetric: String, Sendable, Hashable, Codable, CaseIterable {
    case f1, precision, recall
    case meanIoU = "mean-iou"
    case mota
}

/// Everything a QA run is configured by: the matching, the classes and their thresholds, the gold
/// filters and the feedback tolerances. Stored as versioned JSON (`cuboid qa config` prints the
/// defaults); the defaults are KITTI's: BEV IoU 0.7 for Car, 0.5 for Pedestrian and Cyclist, Van and
/// Person_sitting ignored as neighbours, DontCare regions honoured.
public struct QAConfiguration: Sendable, Hashable, Codable {
    /// The format version this configuration is written in.
    public static let currentVersion = 1

    public var version: Int = QAConfiguration.currentVersion
    /// How boxes are compared.
    public var match: MatchCriterion = .bevIoU
    /// The camera whose 2D boxes ``MatchCriterion/iou2D`` compares, and whose view DontCare regions
    /// and camera pictures use; nil: the labels' only camera (KITTI: `image_2`).
    public var camera: String?
    /// Evaluated classes and their rules.
    public var classes: [String: ClassRule] = [
        "Car": ClassRule(threshold: 0.7, ignore: ["Van"]),
        "Pedestrian": ClassRule(threshold: 0.5, ignore: ["Person_sitting"]),
        "Cyclist": ClassRule(threshold: 0.5),
    ]
    /// Classes that are known but not evaluated: their boxes are left out quietly (but used to
    /// explain a confusion: "labelled Van, gold Car").
    public var known: [String] = ["Van", "Truck", "Person_sitting", "Tram", "Misc", "DontCare"]
    /// Renames applied to both sides before anything else; keys match without case. The default is
    /// the table `cuboid prelabel --score` uses too (`ClassNames.kittiAliases`: SUSTechPOINTS `Rider`
    /// and nuScenes `bicycle` are Cyclist, `person` Pedestrian...).
    public var classMap: [String: String] = ClassNames.kittiAliases
    /// Whether class names must match in case; by default (false) `car` on one side and `Car` in the
    /// configuration or on the other side are the same class (the report lists the names so matched).
    /// The ``classMap`` renames still apply when true: empty it too for names to match only as written.
    public var caseSensitiveClasses = false
    public var unknownClasses: UnknownClassPolicy = .skip
    public var missingFrames: MissingFramePolicy = .skip
    public var gold = GoldFilter()
    public var tolerances = Tolerances()
    /// Attributes compared on matched boxes; nil: every attribute both sides carry except the
    /// geometric ones (`alpha`, `truncated`) and Cuboid's own (`interpolation`).
    public var attributes: [String]?
    /// Attribute values that mean "unknown" (as written, e.g. KITTI `occluded` -1): a matched pair in
    /// which either side has one is not compared on that attribute (not a disagreement).
    public var unknownAttributeValues: [String: [String]] = ["occluded": ["-1"]]
    /// The metric `--fail-under` gates on.
    public var gateMetric: GateMetric = .f1
    /// Metric definitions computed beside the default figures; none by default.
    public var metrics: [MetricDefinition] = []
    /// Settings of the ``MetricDefinition/nuscenes`` metric.
    public var nuScenes = NuScenesSettings()
    /// The difficulty levels of the ``MetricDefinition/kitti`` metric (the devkit's by default).
    public var kittiDifficulties = KITTIDifficulty.kitti

    // Gold check and finding order (issue 26).
    /// How findings are checked against the sweep for doubtful gold.
    public var goldCheck = GoldCheckSettings()
    /// How findings are ordered: by kind and range, costliest first.
    public var findingCost = FindingCost()

    public init() {}

    /// The evaluated classes in name order.
    public var evaluatedClasses: [String] { classes.keys.sorted() }

    /// The class a name stands for: an evaluated class as written; else the ``classMap`` rename (keys
    /// match without case); then, unless ``caseSensitiveClasses``, the evaluated or known class (or the
    /// DontCare class) of that name without case.
    public func canonical(_ name: String) -> String {
        if classes[name] != nil { return name }
        let lowered = name.lowercased()
        let mapped = classMap[name] ?? classMap.keys.sorted().first(where: { $0.lowercased() == lowered }).flatMap { classMap[$0] } ?? name
        if classes[mapped] != nil || known.contains(mapped) || mapped == gold.dontCareClass || caseSensitiveClasses { return mapped }
        let target = mapped.lowercased()
        if let match = classes.keys.sorted().first(where: { $0.lowercased() == target }) { return match }
        if let match = known.first(where: { $0.lowercased() == target }) { return match }
        if gold.dontCareClass.lowercased() == target { return gold.dontCareClass }
        return mapped
    }

    /// Checks every value.
    /// - Throws: `ConfigurationFileError.invalid(key:expected:)` naming the first bad value.
    public func validate() throws(ConfigurationFileError) {
        guard version == Self.currentVersion else { throw .invalid(key: "version", expected: "\(Self.currentVersion)") }
        guard !classes.isEmpty else { throw .invalid(key: "classes", expected: "at least one class") }
        for (name, rule) in classes {
            guard rule.threshold > 0 && rule.threshold <= 1 else { throw .invalid(key: "classes.\(name).threshold", expected: "a number in (0, 1]") }
            guard rule.distance > 0 && rule.distance.isFinite else { throw .invalid(key: "classes.\(name).distance", expected: "a number of metres > 0") }
        }
        if let range = gold.maximumRange, !(range > 0) { throw .invalid(key: "gold.maximumRange", expected: "metres > 0, or null") }
        guard gold.minimumPoints >= 0 else { throw .invalid(key: "gold.minimumPoints", expected: "an integer >= 0") }
        if let share = gold.dontCareShare, !(share > 0 && share <= 1) { throw .invalid(key: "gold.dontCareShare", expected: "a number in (0, 1], or null") }
        guard !nuScenes.distances.isEmpty, nuScenes.distances.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw .invalid(key: "nuScenes.distances", expected: "at least one number of metres > 0")
        }
        guard nuScenes.errorDistance > 0 && nuScenes.errorDistance.isFinite else { throw .invalid(key: "nuScenes.errorDistance", expected: "metres > 0") }
        guard (0..<1).contains(nuScenes.minimumRecall) else { throw .invalid(key: "nuScenes.minimumRecall", expected: "a number in [0, 1)") }
        guard (0..<1).contains(nuScenes.minimumPrecision) else { throw .invalid(key: "nuScenes.minimumPrecision", expected: "a number in [0, 1)") }
        for (key, value) in [("center", tolerances.center), ("elevation", tolerances.elevation), ("yawDegrees", tolerances.yawDegrees),
                             ("size", tolerances.size), ("pixels", tolerances.pixels), ("reversedHeadingDegrees", tolerances.reversedHeadingDegrees)]
        where !(value >= 0 && value.isFinite) {
            throw .invalid(key: "tolerances.\(key)", expected: "a number >= 0")
        }
        // Gold check and finding order (issue 26).
        try goldCheck.validate()
        try findingCost.validate()
    }
}

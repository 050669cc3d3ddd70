import Foundation
public import CuboidGeometry
import CuboidKernels
public import CuboidPointClouds
import Dispatch

/// One object proposed in one sweep.
///
/// `cuboid` is in the sweep's sensor frame (x forward, y left, z up, metres; yaw counter-clockwise
/// from +x about z, centre at the geometric centre), completed to the class's typical size where the
/// lidar saw only part of the object. A single sweep cannot tell front from back: the yaw of an
/// untracked detection is only known modulo pi.
public struct Detection: Sendable, Hashable, Codable {
    /// Class name (KITTI spelling): Car, Van, Truck, Pedestrian, Cyclist or Misc.
    public var category: String
    /// The proposed box, sensor frame.
    public var cuboid: Box3D
    /// Confidence in 0...1 that the box is an object of this class.
    public var score: Double
    /// Returns of the sweep the detection was made from (0 for external detections).
    public var pointCount: Int
    /// Where the detection came from: `lidar` (geometric pipeline), `external`, or `weak` for
    /// evidence (see ``LidarDetector/detectWithEvidence(_:threads:)``).
    public var source: String
    /// A sample of the returns' footprint (sensor frame, metres), at most ``outlineLimit`` spread
    /// evenly over the cluster, for refitting a static vehicle's box on the returns of all the
    /// frames it was seen in; nil for external detections and evidence.
    public var outline: [SIMD2<Double>]?
    /// The factors of the score that lowered it most (at most two below 1, weakest first; see
    /// ``ScoreFactor``): why a doubtful box is doubtful, for the review queue. Empty for external
    /// detections and evidence.
    public var weakestFactors: [ScoreFactor]

    /// Most points kept in an ``outline``.
    public static let outlineLimit = 48

    /// The source of weak evidence.
    public static let weakSource = "weak"
    /// The category of weak evidence.
    public static let unknownCategory = "Unknown"

    public init(category: String, cuboid: Box3D, score: Double, pointCount: Int, source: String = "lidar", outline: [SIMD2<Double>]? = nil,
                weakestFactors: [ScoreFactor] = []) {
        self.category = category
        self.cuboid = cuboid
        self.score = score
        self.pointCount = pointCount
        self.source = source
        self.outline = outline
        self.weakestFactors = weakestFactors
    }
}

/// Seconds spent in each stage of one sweep's detection.
public struct DetectionTimings: Sendable, Hashable, Codable {
    public var ground = 0.0
    public var clustering = 0.0
    public var fitting = 0.0
    public var total: Double { ground + clustering + fitting }
    public init() {}

    public static func + (a: DetectionTimings, b: DetectionTimings) -> DetectionTimings {
        var sum = DetectionTimings()
        sum.ground = a.ground + b.ground
        sum.clustering = a.clustering + b.clustering
        sum.fitting = a.fitting + b.fitting
        return sum
    }
}

/// The model-free lidar detector: ground segmentation, clustering, L-shape cuboid fits, completion and
/// classification by size and shape (see the prelabelling guide for each stage).
public struct LidarDetector: Sendable {
    /// The configuration it runs with (validated).
    public let configuration: PrelabelConfiguration

    /// - Precondition: `configuration.validate()` does not throw.
    public init(configuration: PrelabelConfiguration = PrelabelConfiguration()) {
        do { try configuration.validate() } catch { preconditionFailure("invalid prelabel configuration: \(error)") }
        self.configuration = configuration
    }

    /// The objects in one sweep, best score first, with the time each stage took.
    /// - Parameter cloud: One sweep in the sensor frame, z up. Non-finite points are ignored.
    /// - Parameter threads: Threads for the per-cluster fits (the result does not depend on it).
    /// - Complexity: O(n log n) in the number of points.
    public func detect(_ cloud: PointCloud, threads: Int = 1) -> (detections: [Detection], timings: DetectionTimings) {
        let result = detectWithEvidence(cloud, threads: threads)
        return (result.detections, result.timings)
    }

    /// The objects in one sweep and the weak evidence beside them: clusters of at least
    /// ``ClusteringConfiguration/minimumEvidencePoints`` returns that no class fits (a far car's
    /// few returns, a car's roof over a hedge). Evidence has category `Unknown`, its observed
    /// footprint as the box and source `weak`; a tracker may use it to keep a confirmed track in
    /// frames where detection failed, never to start one.
    /// - Parameter cloud: One sweep in the sensor frame, z up. Non-finite points are ignored.
    /// - Parameter threads: Threads for the per-cluster fits (the result does not depend on it).
    /// - Returns: Detections best score first; evidence nearest first.
    /// - Complexity: O(n log n) in the number of points.
    public func detectWithEvidence(_ cloud: PointCloud, threads: Int = 1)
        -> (detections: [Detection], evidence: [Detection], timings: DetectionTimings) {
        var timings = DetectionTimings()
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        let ground = GroundModel(x: cloud.x, y: cloud.y, z: cloud.z, region: configuration.regionOfInterest, configuration: configuration.ground)
        let surroundings = Surroundings(cloud, heights: ground.heightAboveGround, configuration: configuration)
        timings.ground = lap()
        let clusters = BEVClusters(x: cloud.x, y: cloud.y, heights: ground.heightAboveGround,
                                   region: configuration.regionOfInterest, configuration: configuration.clustering)
        timings.clustering = lap()
        let fitter = LShapeFitter.prelabel
        let smallest = min(configuration.clustering.minimumPoints, configuration.clustering.minimumEvidencePoints)
        let candidates = clusters.members.filter { $0.count >= smallest }
        // Clusters are fitted independently, largest first so the threads' shares even out.
        let order = candidates.indices.sorted { candidates[$0].count > candidates[$1].count }
        let persons = configuration.persons, minimumPoints = configuration.clustering.minimumPoints
        let personClasses = Set(configuration.classes.filter { $0.kind == .person }.map(\.name))
        let fitted: [[Detection]] = parallelArray(count: order.count, threads: threads, chunkSize: 4) { range, slots in
            for k in range {
                let members = candidates[order[k]]
                let cluster = ClusterPoints(members, cloud: cloud, heights: ground.heightAboveGround, road: surroundings.road)
                var result: Detection? = nil, pieces: [Detection] = []
                // One footprint serves the classifier and, when no class fits, the evidence.
                // Clusters too large for any fit to pass the diagonal skip the fit (the outcome is the same).
                if !cluster.footprintExceeds(configuration.clustering.maximumDiagonal, trimFraction: fitter.trimFraction),
                   let footprint = fitter.fit(cluster.footprint),
                   (footprint.length * footprint.length + footprint.width * footprint.width).squareRoot() <= configuration.clustering.maximumDiagonal {
                    // A piece the vehicle classes let go of (see `wouldBeVehicle`) is no person
                    // and no evidence for a person's track either: it stays out.
                    var refused = false
                    if members.count >= minimumPoints {
                        result = classify(cluster, footprint: footprint, surroundings: surroundings, refusedAsPerson: &refused)
                        // People standing before a wall or a fence that clustering joined to them.
                        if result == nil, !refused {
                            for piece in cluster.piecesBesideFace(band: persons.besideFaceBand, link: persons.besideFaceLink, margin: persons.besideFaceMargin,
                                                                  minimumFaceShare: persons.minimumBesideFaceShare, minimumPoints: minimumPoints) {
                                guard let pieceFootprint = fitter.fit(piece.footprint),
                                      let found = classify(piece, footprint: pieceFootprint, surroundings: surroundings),
                                      personClasses.contains(found.category), found.score >= persons.minimumBesideFaceScore else { continue }
                                pieces.append(found)
                            }
                        }
                        // An object beside a wall that clustering joined to it: classified again without the wall.
                        if result == nil, pieces.isEmpty, !refused, let rest = cluster.withoutTallFace(), rest.count >= minimumPoints,
                           let restFootprint = fitter.fit(rest.footprint) {
                            result = classify(rest, footprint: restFootprint, surroundings: surroundings, refusedAsPerson: &refused)
                        }
                    }
                    if result == nil && !refused && members.count >= configuration.clustering.minimumEvidencePoints {
                        result = weakEvidence(cluster, footprint: footprint)
                    }
                }
                (slots.baseAddress! + k).initialize(to: (result.map { [$0] } ?? []) + pieces)
            }
        }
        var detections: [Detection] = [], evidence: [Detection] = []
        for found in fitted.joined() {
            if found.source == Detection.weakSource { evidence.append(found) } else { detections.append(found) }
        }
        detections = withoutPeopleInsideVehicles(detections, kinds: ClassKinds(classes: configuration.classes, external: []))
        detections.sort { ($0.score, $0.cuboid.x, $0.cuboid.y) > ($1.score, $1.cuboid.x, $1.cuboid.y) }
        evidence.sort { (horizontalRange($0.cuboid), $0.cuboid.x, $0.cuboid.y) < (horizontalRange($1.cuboid), $1.cuboid.x, $1.cuboid.y) }
        timings.fitting = lap()
        return (detections, evidence, timings)
    }

    /// A cluster no class fits, as weak evidence: its observed footprint from its ground to its top.
    func weakEvidence(_ cluster: ClusterPoints, footprint: BEVBox) -> Detection {
        let top = cluster.heights.max() ?? 0
        return Detection(category: Detection.unknownCategory, cuboid: footprint.cuboid(bottom: cluster.groundLevel, top: cluster.groundLevel + max(top, 0.1)),
                         score: 0, pointCount: cluster.count, source: Detection.weakSource)
    }

    /// The best class for a cluster, its completed box and score; nil when nothing fits.
    ///
    /// The class is chosen on `footprint`; a vehicle's box is then completed from the cluster's
    /// ``LShapeFitter/vehicleOrientation`` fit, a person's from `footprint`.
    /// - Parameter footprint: The cluster's fitted footprint (``LShapeFitter/prelabel``), no larger
    ///   than the clustering's maximum diagonal.
    /// - Parameter refusedAsPerson: Set when the cluster fits a person best only because a vehicle
    ///   class let go of it (see ``wouldBeVehicle(_:over:)``); nil is then returned.
    func classify(_ cluster: ClusterPoints, footprint: BEVBox, surroundings: Surroundings) -> Detection? {
        var refused = false
        return classify(cluster, footprint: footprint, surroundings: surroundings, refusedAsPerson: &refused)
    }

    func classify(_ cluster: ClusterPoints, footprint: BEVBox, surroundings: Surroundings, refusedAsPerson: inout Bool) -> Detection? {
        var features = ClusterFeatures(cluster, footprint: footprint, topSlope: surroundings.topSlope, occlusion: surroundings.occlusion)
        if let overhead = surroundings.overhead { features.overheadShare = overhead.share(of: cluster.footprint) }
        // The hidden-end look-up costs an arc tangent per return: only for a narrow footprint some
        // class holds to its width when seen at an angle.
        let obliqueWidths = configuration.classes.compactMap { model in model.minimumObliqueWidthShare.map { $0 * model.minimum[1] } }
        if let widest = obliqueWidths.max(), footprint.width < widest, seenAtAnAngle(footprint), cluster.hiddenEnd(surroundings.occlusion) == 0 {
            features.obliqueWidth = footprint.width
        }
        var best: (model: ClassModel, factors: FactorProduct)? = nil
        for model in configuration.classes {
            let factors = features.factors(for: model, vehicles: configuration.vehicles, persons: configuration.persons)
            if factors.value > (best?.factors.value ?? 0) { best = (model, factors) }
        }
        guard let (model, factors) = best, factors.value >= configuration.minimumScore else { return nil }
        let score = factors.value
        if model.kind == .person && wouldBeVehicle(features, over: score) {
            refusedAsPerson = true
            return nil
        }
        if model.refuseAlongLongerSurface && footprint.width < singleFaceWidth && liesOnLongerSurface(footprint, than: model, surroundings.returns) {
            return nil
        }
        let completed: BEVBox
        if model.kind == .person {
            completed = BEVBox(center: footprint.center, length: max(footprint.length, model.typical[0]),
                               width: max(footprint.width, model.typical[1]), yaw: footprint.yaw)
        } else {
            // Only a one-face view can have an end hidden (see extendTowardsHiddenEnd); the look-up
            // costs an arc tangent per return, so other views skip it.
            // The box is oriented by its own fit (see `vehicleOrientation`), not the classifier's.
            let oriented = LShapeFitter.vehicleOrientation.fit(cluster.footprint) ?? footprint
            let hidden = oriented.width < singleFaceWidth ? cluster.hiddenEnd(surroundings.occlusion) : 0
            // Seen end-on (see `VehicleConfiguration.endOnSightDegrees`): unless an end of what was
            // seen is hidden, when it may be a side cut short by an occluder.
            let endOn = oriented.length <= model.maximum[1] && oriented.width >= singleFaceWidth
                && sightAngle(oriented) <= configuration.vehicles.endOnSightDegrees * .pi / 180
                && cluster.hiddenEnd(surroundings.occlusion) == 0
            let full = endOn ? completeAlongSight(oriented, toLength: model.typical[0], width: model.typical[1])
                             : completeFootprint(oriented, toLength: model.typical[0], width: model.typical[1])
            completed = extendTowardsHiddenEnd(full, observed: oriented, hiddenEnd: hidden)
        }
        let height = max(features.height, model.minimum[2])
        let box = completed.cuboid(bottom: cluster.groundLevel, top: cluster.groundLevel + height)
        return Detection(category: model.name, cuboid: box, score: score, pointCount: cluster.count, outline: cluster.outline,
                         weakestFactors: factors.lowest)
    }
}

extension LidarDetector {
    /// Whether a vehicle class would have outscored `personScore` but for the rule that a vehicle
    /// shows a whole end or side (``VehicleConfiguration/minimumSeenWidthShare``).
    ///
    /// That rule rejects a cluster as a vehicle because too little of it was seen (a piece of a
    /// hedge, a facade, a vehicle cut short by an occluder); it says nothing for a person, and such
    /// a piece is no person just because the vehicle classes let go of it (the synthetic urban
    /// drive's Pedestrian precision fell 0.939 -> 0.873 when the rule came in, nuScenes' 0.667 ->
    /// 0.400). A piece whose size and shape fit a person better than any vehicle stays a person.
    func wouldBeVehicle(_ features: ClusterFeatures, over personScore: Double) -> Bool {
        var unrestricted = configuration.vehicles
        unrestricted.minimumSeenWidthShare = 0
        return configuration.classes.contains { model in
            model.kind == .vehicle && features.score(for: model, vehicles: unrestricted) > personScore
        }
    }
}

/// Whether a one-face footprint is part of a surface longer than the class's longest object: a
/// wall's or a fence's stretch between two gaps, a truck's side cut into pieces, not a car's side or
/// rear.
///
/// The surface runs on from each end of the face through returns within 0.2 m of its line, across
/// gaps of at most ``surfaceGap``. Only the classes with ``ClassModel/refuseAlongLongerSurface``
/// are held to this (Car and Truck).
/// - Complexity: O(returns within the class's maximum length of the face).
func liesOnLongerSurface(_ face: BEVBox, than model: ClassModel, _ returns: ReturnGrid) -> Bool {
    let longest = model.maximum[0]
    return returns.surfaceLength(along: face, gap: surfaceGap, lateralTolerance: 0.2, limit: longest + 1) > longest + 0.5
}

/// The widest gap, metres, that a surface runs across (between a wall's pieces that clustering
/// split, between the returns of a surface seen at a grazing angle: 0.8 m apart on a wall 4.4 m
/// beside the line of sight at 36 m). Parked cars stand further apart than their sides' returns.
let surfaceGap = 1.0

/// The detections less the people whose centre lies inside a vehicle's footprint: nobody stands
/// inside a car, so a cluster there that passed as a person is a piece of that vehicle (or of
/// what the vehicle's completed box covers).
/// - Parameter kinds: The kind of each detection's class.
/// - Complexity: O(people x vehicles).
func withoutPeopleInsideVehicles(_ detections: [Detection], kinds: ClassKinds) -> [Detection] {
    let vehicles = detections.filter { kinds($0.category) == .vehicle }.map(\.cuboid.bev)
    guard !vehicles.isEmpty else { return detections }
    return detections.filter { d in
        kinds(d.category) != .person || !vehicles.contains { $0.contains(SIMD2(d.cuboid.x, d.cuboid.y)) }
    }
}

/// What kind of object a class is. The detector's and the tracker's rules that differ between
/// vehicles and people follow the kind (``ClassModel/kind``), never a class's name: only classes of
/// one kind share a track, people are not kept inside vehicles, a vehicle's heading matters.
public enum ObjectKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A rigid road vehicle (car, van, truck, bus, tram): drives along its length, holds no person.
    case vehicle
    /// A person on foot or riding (pedestrian, cyclist): small, upright, moves in any direction.
    case person
    /// Anything else (KITTI's Misc, unknown classes).
    case other

    /// Position in ``allCases``, for per-kind tables.
    var slot: Int {
        switch self {
        case .vehicle: 0
        case .person: 1
        case .other: 2
        }
    }
}

/// A class that no class model describes (one that only external detections bring) and its kind.
public struct ClassKind: Sendable, Hashable, Codable {
    /// Class name, as the detections spell it.
    public var name: String
    /// Its kind.
    public var kind: ObjectKind
    public init(name: String, kind: ObjectKind) {
        self.name = name
        self.kind = kind
    }
}

/// The kind of every class name a run meets: a class model's own (``ClassModel/kind``), else the
/// configured kind of an external detection's class
/// (``TrackingConfiguration/externalClasses``), else ``ObjectKind/other``.
struct ClassKinds: Sendable {
    private let table: [String: ObjectKind]

    init(classes: [ClassModel], external: [ClassKind]) {
        var table: [String: ObjectKind] = [:]
        for entry in external { table[entry.name] = entry.kind }
        for model in classes { table[model.name] = model.kind }
        self.table = table
    }

    func callAsFunction(_ category: String) -> ObjectKind { table[category] ?? .other }
}

/// The points of one cluster, gathered from the sweep.
struct ClusterPoints {
    var footprint: [SIMD2<Double>]
    var z: [Double]
    var heights: [Double]
    /// Median ground level under the cluster, sensor z.
    var groundLevel: Double
    var count: Int { z.count }

    /// - Parameter road: When given and the road around the cluster lies clearly below the ground
    ///   planes under it (the object lifted its bins' planes), heights are taken from the road.
    init(_ members: [Int32], cloud: PointCloud, heights allHeights: [Float], road: RoadLevelGrid? = nil) {
        footprint = members.map { SIMD2(Double(cloud.x[Int($0)]), Double(cloud.y[Int($0)])) }
        z = members.map { Double(cloud.z[Int($0)]) }
        heights = members.map { Double(allHeights[Int($0)]) }
        var levels = zip(z, heights).map { $0 - $1 }
        groundLevel = select(&levels, levels.count / 2)
        if let road {
            var low = footprint[0], high = footprint[0]
            for p in footprint { low = pointwiseMin(low, p); high = pointwiseMax(high, p) }
            if let level = road.level(minimum: low, maximum: high, margin: 1.0),
               level < groundLevel - Self.liftTolerance, level > groundLevel - Self.maximumLift {
                groundLevel = level
                heights = z.map { $0 - level }
            }
        }
    }

    /// The cluster less a wall or a fence it stands beside: nil unless the cluster's top (its returns
    /// above 60 % of its height) is one thin face (its principal-axis rectangle at least
    /// ``TallFace/minimumLength`` long and at most ``TallFace/maximumWidth`` wide), and the
    /// returns more than ``TallFace/clearance`` beyond the face on one side (the side holding more)
    /// reach at least ``TallFace/minimumDepth`` out from it.
    ///
    /// A car parked 0.4 m from a 2 m wall, 35 m out, joins it in one cluster that no class fits
    /// (KITTI object 000002); its top is the wall's, and taking the wall's returns away leaves the car. A wall's foot or plinth, which also lies beside
    /// its face, reaches centimetres out, not a vehicle's width.
    /// - Complexity: O(n).
    func withoutTallFace() -> ClusterPoints? {
        var top = -Double.infinity
        for h in heights { top = max(top, h) }
        let upper = footprint.indices.filter { heights[$0] >= 0.6 * top }
        guard upper.count >= 5, let face = principalAxisRectangle(upper.map { footprint[$0] }),
              face.length >= TallFace.minimumLength, face.width <= TallFace.maximumWidth else { return nil }
        let heading = face.heading, normal = SIMD2(-heading.y, heading.x)
        let offsets = footprint.map { (($0 - face.center) * normal).sum() }
        let clearance = face.width / 2 + TallFace.clearance
        let side: Double = offsets.filter { $0 > clearance }.count >= offsets.filter { $0 < -clearance }.count ? 1 : -1
        let kept = footprint.indices.filter { offsets[$0] * side > clearance }
        guard !kept.isEmpty, kept.count < footprint.count else { return nil }
        var nearest = Double.infinity, farthest = -Double.infinity
        for k in kept {
            nearest = min(nearest, offsets[k] * side)
            farthest = max(farthest, offsets[k] * side)
        }
        guard farthest - nearest >= TallFace.minimumDepth else { return nil }
        return subset(kept)
    }

    /// The cluster's returns at `indices` (positions in its arrays), on the cluster's ground level.
    func subset(_ indices: [Int]) -> ClusterPoints {
        var part = self
        part.footprint = indices.map { footprint[$0] }
        part.z = indices.map { z[$0] }
        part.heights = indices.map { heights[$0] }
        return part
    }

    /// The limits of ``withoutTallFace()``, metres.
    enum TallFace {
        static let minimumLength = 1.5, maximumWidth = 0.5, clearance = 0.1, minimumDepth = 1.0
    }

    /// At most ``Detection/outlineLimit`` footprint points spread evenly over the cluster.
    var outline: [SIMD2<Double>] {
        let limit = Detection.outlineLimit
        guard footprint.count > limit else { return footprint }
        return (0..<limit).map { footprint[$0 * footprint.count / limit] }
    }

    /// A road level this little below the planes is noise; more than `maximumLift` below is another
    /// level (a ditch, an underpass) rather than this object's road.
    static let liftTolerance = 0.1, maximumLift = 0.8

    /// The end of the cluster, seen from the sensor, that is hidden behind nearer returns: +1 its
    /// counter-clockwise end, -1 its clockwise end, 0 both or neither.
    func hiddenEnd(_ occlusion: OcclusionMap) -> Int {
        var meanX = 0.0, meanY = 0.0
        for p in footprint { meanX += p.x; meanY += p.y }
        let reference = atan2(meanY, meanX)
        var lowest = Double.infinity, highest = -Double.infinity
        var relative = [Double](repeating: 0, count: footprint.count), ranges = relative
        for (k, p) in footprint.enumerated() {
            let a = shortestArc(from: reference, to: atan2(p.y, p.x))
            relative[k] = a
            ranges[k] = (p.x * p.x + p.y * p.y).squareRoot()
            lowest = min(lowest, a)
            highest = max(highest, a)
        }
        // The range at each end: the nearest return within 0.5 degree of it.
        let near = 0.5 * .pi / 180
        var lowRange = Double.infinity, highRange = Double.infinity
        for k in relative.indices {
            if relative[k] <= lowest + near { lowRange = min(lowRange, ranges[k]) }
            if relative[k] >= highest - near { highRange = min(highRange, ranges[k]) }
        }
        let span = 1.5 * .pi / 180, clearance = 0.5
        let hiddenLow = occlusion.hidden(past: reference + lowest, side: -1, range: lowRange, clearance: clearance, span: span)
        let hiddenHigh = occlusion.hidden(past: reference + highest, side: 1, range: highRange, clearance: clearance, span: span)
        return hiddenLow == hiddenHigh ? 0 : (hiddenHigh ? 1 : -1)
    }
}

/// The sweep around the clusters: the road level beside each, what hides their ends and how high
/// the sensor looks.
struct Surroundings: Sendable {
    var road: RoadLevelGrid
    var occlusion: OcclusionMap
    /// The sensor's highest ring, as a slope z / range (see `highestRingSlope`); nil when unknown.
    var topSlope: Double?
    /// The above-ground returns, for the surface a face lies on.
    var returns: ReturnGrid
    /// The returns above the classes' heights, for ``ClassModel/maximumOverheadShare``; nil when no
    /// class sets one.
    var overhead: OverheadGrid?

    init(_ cloud: PointCloud, heights: [Float], configuration: PrelabelConfiguration) {
        road = RoadLevelGrid(x: cloud.x, y: cloud.y, z: cloud.z, heights: heights, below: Float(configuration.clustering.minimumHeight),
                             maximumRange: configuration.regionOfInterest.maximumRange)
        occlusion = OcclusionMap(x: cloud.x, y: cloud.y, heights: heights, low: Float(configuration.clustering.minimumHeight),
                                 high: Float(configuration.clustering.maximumHeight))
        topSlope = highestRingSlope(x: cloud.x, y: cloud.y, z: cloud.z)
        returns = ReturnGrid(x: cloud.x, y: cloud.y, heights: heights, low: Float(configuration.clustering.minimumHeight),
                             high: Float(configuration.clustering.maximumHeight), maximumRange: configuration.regionOfInterest.maximumRange)
        let ceilings = configuration.classes.filter { $0.maximumOverheadShare != nil }.map { $0.maximum[2] + ClassModel.overheadClearance }
        overhead = ceilings.min().map { OverheadGrid(x: cloud.x, y: cloud.y, heights: heights, above: Float($0), maximumRange: configuration.regionOfInterest.maximumRange) }
    }
}

extension LShapeFitter {
    /// The fit the pre-labeller uses, for clusters and for a static track's gathered returns: a 2
    /// degree search refined to 0.2 degree, over at most 400 of the points.
    static let prelabel = LShapeFitter(coarseStep: .pi / 90, fineStep: .pi / 900, maximumSearchPoints: 400)

    /// The fit that orients a vehicle's box in one sweep: as ``prelabel`` with a closeness floor of
    /// 0.1 m instead of 0.01 m, so every return within 0.1 m of an edge counts alike.
    ///
    /// The classifier's features are measured on the ``prelabel`` fit, which follows a crisp face
    /// exactly. A real car seen from behind is no crisp face: in bird's-eye view its bumper, boot lid
    /// and rear window lie one behind the other, and the bumper wraps 0.3 m to 0.5 m forwards at its
    /// corners. With a 0.01 m floor the few returns nearest one edge decide the heading, 20 to 45
    /// degrees off; with 0.1 m the rear's bulk does. Measured (single sweeps): KITTI Car recall at
    /// BEV IoU 0.7 0.333 -> 0.667, SUSTechPOINTS 0.815 -> 0.852; the synthetic drives, whose boxes
    /// are crisp, change by a box or two either way. The static-track refit keeps ``prelabel``:
    /// there this floor cost the residential drive's recall at 0.7 0.935 -> 0.876.
    static let vehicleOrientation = LShapeFitter(coarseStep: .pi / 90, fineStep: .pi / 900, minimumDistance: 0.1, maximumSearchPoints: 400)
}

/// A footprint seen end-on completed to a class's size with its length along the fitted axis nearer
/// the line of sight from the sensor (the origin): the box grows from the corner nearest the sensor,
/// away from it, to at least `length` along that axis and `width` across it.
///
/// An end of a vehicle (its rear or front, with the rear window, the bumper's wrap or a strip of
/// roof behind it) fits a footprint whose sides are both no longer than a vehicle's width: either
/// side could be the width, and a bumper 1.9 m across overflows a typical width enough that
/// ``completeFootprint(_:toLength:width:sensor:)`` puts the length across it. What the lidar sees
/// of an object's end runs across the line of sight; its hidden length runs along it.
/// - Complexity: O(1).
func completeAlongSight(_ observed: BEVBox, toLength length: Double, width: Double) -> BEVBox {
    let corners = observed.corners
    var anchor = 0
    for k in 1..<4 where (corners[k] * corners[k]).sum() < (corners[anchor] * corners[anchor]).sum() { anchor = k }
    let axisA = observed.heading, axisB = SIMD2(-axisA.y, axisA.x)
    let sight = observed.center
    let lengthAlongA = abs((sight * axisA).sum()) >= abs((sight * axisB).sum())
    let anchorLocal = corners[anchor] - observed.center
    let intoA = (anchorLocal * axisA).sum() > 0 ? -axisA : axisA
    let intoB = (anchorLocal * axisB).sum() > 0 ? -axisB : axisB
    let (dirLength, dirWidth) = lengthAlongA ? (intoA, intoB) : (intoB, intoA)
    let newLength = max(length, lengthAlongA ? observed.length : observed.width)
    let newWidth = max(width, lengthAlongA ? observed.width : observed.length)
    let center = corners[anchor] + dirLength * (newLength / 2) + dirWidth * (newWidth / 2)
    var yaw = atan2(dirLength.y, dirLength.x)
    if yaw > .pi / 2 { yaw -= .pi } else if yaw <= -.pi / 2 { yaw += .pi }
    return BEVBox(center: center, length: newLength, width: newWidth, yaw: yaw)
}

/// The angle between the line of sight from the sensor (the origin) to a footprint's centre and the
/// footprint's axis nearer it, radians in 0...pi/4.
func sightAngle(_ footprint: BEVBox) -> Double {
    let sight = footprint.center
    let along = abs((sight * footprint.heading).sum()), across = abs(sight.x * footprint.heading.y - sight.y * footprint.heading.x)
    return atan2(min(along, across), max(along, across))
}

/// Whether the sensor (the origin) sees a footprint's long side at an angle: its foot on the side's
/// line lies more than ``ClassModel/obliqueMargin`` beyond the side's ends, so a box would show
/// one of its ends as well.
func seenAtAnAngle(_ footprint: BEVBox) -> Bool {
    abs((footprint.center * footprint.heading).sum()) > footprint.length / 2 + ClassModel.obliqueMargin
}

/// Footprints narrower than this are one face of an object, metres.
let singleFaceWidth = 0.4

/// A completed footprint moved along the observed side, so that it grows from the observed part
/// towards the hidden end rather than away from it (a parked car whose near end is hidden behind the
/// car in front extends forwards, under the occluder, not backwards past its real rear).
///
/// Only a footprint seen as one face (narrower than `singleFaceWidth`) moves, and only its growth
/// along that face, which an occluder can cut short; the growth across it stays away from the
/// sensor, since the lidar sees an object's near face. Where two faces were seen, the corner
/// between them is real and the box keeps growing from it.
/// - Parameters:
///   - completed: The footprint completed to the class size (contains `observed`, sharing a corner).
///   - observed: The fitted footprint of the returns (sensor frame, sensor at the origin).
///   - hiddenEnd: +1 when the counter-clockwise end is hidden, -1 the clockwise end, 0 neither.
/// - Complexity: O(1).
func extendTowardsHiddenEnd(_ completed: BEVBox, observed: BEVBox, hiddenEnd: Int) -> BEVBox {
    guard hiddenEnd != 0, observed.width < singleFaceWidth else { return completed }
    let center = observed.center
    let distance = (center * center).sum().squareRoot()
    guard distance > 0 else { return completed }
    // Direction of increasing azimuth at the object.
    let tangent = SIMD2(-center.y, center.x) / distance
    let axis = observed.heading
    let growth = ((completed.center - center) * axis).sum() * axis
    guard (growth * tangent).sum() * Double(hiddenEnd) < -1e-9 else { return completed }
    return BEVBox(center: completed.center - 2 * growth, length: completed.length, width: completed.width, yaw: completed.yaw)
}

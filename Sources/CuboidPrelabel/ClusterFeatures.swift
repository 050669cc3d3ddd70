import CuboidGeometry
import Foundation

/// What the classifier looks at in a cluster.
struct ClusterFeatures {
    /// Observed footprint sides (length >= width) and height above ground, metres.
    var length: Double, width: Double, height: Double
    /// Height of the lowest point above the ground.
    var bottomGap: Double
    /// Fraction of the points within 0.2 m of the footprint's outline (a vehicle's sides are surfaces;
    /// bushes and trees fill their footprint).
    var edgeFraction: Double
    /// Extent along the footprint's length of the points in the top 40 % of the height (a vehicle's
    /// roof is wide, a person's torso narrow).
    var upperExtent: Double
    /// The larger of `upperExtent` and the same extent across the footprint: a vehicle's roof or
    /// rear window is wide whichever way the fit's sides lie. A car seen from behind whose visible
    /// side makes its footprint longer than wide shows its top ring as a line across the width.
    var upperSpan: Double
    /// Fraction of the lower body's returns (below 60 % of the height) within 0.15 m of the sides
    /// that face the sensor: a vehicle's lower body is an opaque shell the lidar sees only from
    /// outside, while bushes, hedges and clutter return from all through their depth. 1 when fewer
    /// than 5 returns are that low (a roof seen over an occluder).
    var shellFraction: Double
    /// How far above the highest return the object's top may lie unseen, metres: one beam step
    /// (the next ring up passed over it), at most `maximumTopAllowance`. A 32-beam sensor's rings
    /// lie 0.5 m to 0.8 m apart at 35 m, so a car there shows only its lower metre.
    var topAllowance: Double
    /// The vertical gap between adjacent rings at the highest return's range, metres: the smallest
    /// gap between the distinct elevations of the cluster's returns (a ring that hit glass leaves a
    /// double gap) times that range; 0 when the cluster holds one ring only.
    var beamStep: Double
    /// The largest empty stretch between the heights of the returns from the lowest up to
    /// `bodyTop`, metres: a vehicle's body is opaque from its sills to its windows, so every ring
    /// crossing it returns, while a row of bicycles or a bush over low clutter leaves holes.
    var bodyGap: Double
    /// Whether the highest return lies on the sensor's highest ring (within
    /// `clippedTopTolerance`): the object may go on upwards unseen, so its height is a lower bound.
    /// A tree's trunk 9 m from a sensor whose top ring looks 2 degrees up ends there at 2.05 m, a
    /// person's height.
    var topClipped: Bool
    var pointCount: Int
    /// The upper body's width and opacity, which tell a person from a pole or a shrub; nil for a
    /// cluster longer than ``personShapeLength`` or taller than ``personShapeHeight`` (no person's
    /// size, and measuring it would sort a vehicle's thousands of returns).
    var personShape: PersonShape?
    /// How much nearer the sensor than the cluster's nearest return the nearest return in its
    /// azimuth span lies, metres (0 when none is nearer): something that far in front may hide its
    /// lower part. 0 when not looked up (no occlusion map, or a cluster of no person's size).
    var shadowDepth = 0.0
    /// The share of the cluster's 0.5 m bird's-eye-view cells over which the sweep holds returns
    /// above the overhead grid's floor (see ``ClassModel/maximumOverheadShare``); 0 when not looked up.
    var overheadShare = 0.0
    /// The footprint's width when the sensor sees its long side at an angle and neither end is
    /// hidden (see ``ClassModel/minimumObliqueWidthShare``); nil otherwise or when not looked up.
    var obliqueWidth: Double?

    /// - Parameter topSlope: The sensor's highest ring as a slope z / range, when known.
    /// - Parameter occlusion: The sweep's nearest returns by azimuth, for ``shadowDepth``.
    init(_ cluster: ClusterPoints, footprint: BEVBox, topSlope: Double? = nil, occlusion: OcclusionMap? = nil) {
        length = footprint.length
        width = footprint.width
        var top = -Double.infinity, bottom = Double.infinity
        for h in cluster.heights { top = max(top, h); bottom = min(bottom, h) }
        height = top
        bottomGap = bottom
        let c = cos(footprint.yaw), s = sin(footprint.yaw)
        let halfLength = footprint.length / 2, halfWidth = footprint.width / 2
        var near = 0
        var upperLow = Double.infinity, upperHigh = -Double.infinity
        var upperLeft = Double.infinity, upperRight = -Double.infinity
        let upperLevel = 0.6 * top
        for (k, p) in cluster.footprint.enumerated() {
            let d = p - footprint.center
            let u = d.x * c + d.y * s, v = -d.x * s + d.y * c
            if min(halfLength - abs(u), halfWidth - abs(v)) < 0.2 { near += 1 }
            if cluster.heights[k] >= upperLevel {
                upperLow = min(upperLow, u)
                upperHigh = max(upperHigh, u)
                upperLeft = min(upperLeft, v)
                upperRight = max(upperRight, v)
            }
        }
        edgeFraction = Double(near) / Double(cluster.count)
        upperExtent = upperHigh >= upperLow ? upperHigh - upperLow : 0
        upperSpan = max(upperExtent, upperRight >= upperLeft ? upperRight - upperLeft : 0)
        pointCount = cluster.count
        personShape = footprint.length <= Self.personShapeLength && top <= Self.personShapeHeight ? PersonShape(cluster) : nil
        if personShape != nil, let occlusion { shadowDepth = Self.shadowDepth(cluster, occlusion) }
        // The sensor (the origin) in the footprint's frame decides which sides face it.
        let sensorU = -footprint.centerX * c - footprint.centerY * s, sensorV = footprint.centerX * s - footprint.centerY * c
        var lower = 0, onShell = 0
        let lowerLevel = 0.6 * top
        for (k, p) in cluster.footprint.enumerated() where cluster.heights[k] < lowerLevel {
            let d = p - footprint.center
            let u = d.x * c + d.y * s, v = -d.x * s + d.y * c
            var distance = Double.infinity
            if sensorU > halfLength { distance = min(distance, abs(u - halfLength)) }
            if sensorU < -halfLength { distance = min(distance, abs(u + halfLength)) }
            if sensorV > halfWidth { distance = min(distance, abs(v - halfWidth)) }
            if sensorV < -halfWidth { distance = min(distance, abs(v + halfWidth)) }
            lower += 1
            if distance < 0.15 { onShell += 1 }
        }
        shellFraction = lower < 5 ? 1 : Double(onShell) / Double(lower)
        let elevations = Self.elevations(cluster)
        beamStep = Self.beamStep(sortedSlopes: elevations.slopes, topRange: elevations.topRange)
        topClipped = topSlope.map { (elevations.slopes.last ?? -.infinity) >= $0 - Self.clippedTopTolerance } ?? false
        topAllowance = min(beamStep, Self.maximumTopAllowance)
        var body = cluster.heights.filter { $0 <= Self.bodyTop }
        body.sort()
        bodyGap = 0
        for k in body.indices.dropFirst() { bodyGap = max(bodyGap, body[k] - body[k - 1]) }
    }

    /// The least upper span of a vehicle class whose model gives none, metres.
    static let vehicleUpperSpan = 0.9
    /// The least shell fraction of a vehicle class whose model gives none.
    static let vehicleShellFraction = 0.5

    /// The largest footprint length and height, metres, of a cluster whose person shape is measured:
    /// beyond them every person class scores 0 (their largest sizes plus the bands' tolerances).
    static let personShapeLength = 2.6, personShapeHeight = 2.4

    /// How much nearer than the cluster's nearest return the occlusion map's nearest return in the
    /// cluster's azimuth span lies (see ``shadowDepth``).
    static func shadowDepth(_ cluster: ClusterPoints, _ occlusion: OcclusionMap) -> Double {
        var mean = SIMD2<Double>(0, 0)
        for p in cluster.footprint { mean += p }
        let reference = atan2(mean.y, mean.x)
        var lowest = Double.infinity, highest = -Double.infinity, nearest = Double.infinity
        for p in cluster.footprint {
            let a = shortestArc(from: reference, to: atan2(p.y, p.x))
            lowest = min(lowest, a); highest = max(highest, a)
            nearest = min(nearest, (p * p).sum().squareRoot())
        }
        let bin = 1 / OcclusionMap.binsPerRadian
        return max(0, nearest - occlusion.nearestReturn(past: reference + lowest - bin, span: highest - lowest + bin))
    }

    /// Height above the ground up to which a vehicle's body is opaque (below its windows), metres.
    static let bodyTop = 1.1
    /// A vehicle's body shows no empty stretch longer than this, metres, or this many beam steps
    /// where the rings lie further apart (a 32-beam sensor far out).
    static let maximumBodyGap = 0.35, maximumBodyGapSteps = 4.0

    /// A highest return this close below the sensor's highest ring, in slope z / range (0.3 degree
    /// near the horizon: the top ring's elevation varies that much with range where its laser sits
    /// off the sensor's origin), lies on it.
    static let clippedTopTolerance = 0.3 * Double.pi / 180

    /// Rings closer in elevation than this (radians, about 0.15 degree) are one ring.
    static let ringTolerance = 0.0026
    /// The largest beam step believed, metres.
    static let maximumTopAllowance = 1.0

    /// The elevations of the cluster's returns as slopes z / range, in increasing order (a ring's
    /// returns share one slope, and a slope difference times the range is the vertical gap there),
    /// and the horizontal range of the highest return.
    static func elevations(_ cluster: ClusterPoints) -> (slopes: [Double], topRange: Double) {
        var slopes = [Double](repeating: 0, count: cluster.count)
        var topRange = 0.0, top = -Double.infinity
        for k in 0..<cluster.count {
            let p = cluster.footprint[k]
            let range = max((p * p).sum().squareRoot(), 0.1)
            slopes[k] = cluster.z[k] / range
            if cluster.z[k] > top { top = cluster.z[k]; topRange = range }
        }
        slopes.sort()
        return (slopes, topRange)
    }

    /// The vertical gap between adjacent rings at the highest return's range (see `topAllowance`).
    /// - Parameters: sortedSlopes, topRange: as ``elevations(_:)`` gives them.
    static func beamStep(sortedSlopes slopes: [Double], topRange: Double) -> Double {
        guard slopes.count >= 2 else { return 0 }
        var step = Double.infinity
        for k in 1..<slopes.count {
            let gap = slopes[k] - slopes[k - 1]
            if gap > ringTolerance { step = min(step, gap) }
        }
        guard step.isFinite else { return 0 }
        return step * topRange
    }

    /// Plausibility in 0...1 that the cluster is an object of the model's class.
    /// - Parameter vehicles: The vehicle rules (for a vehicle class).
    /// - Parameter persons: The person rules (for a person class).
    func score(for model: ClassModel, vehicles: VehicleConfiguration = VehicleConfiguration(), persons: PersonConfiguration = PersonConfiguration()) -> Double {
        factors(for: model, vehicles: vehicles, persons: persons).value
    }

    /// The plausibility that the cluster is an object of the model's class, as the product of
    /// named factors in 0...1 (see ``ScoreFactor``).
    /// - Parameter vehicles: The vehicle rules (for a vehicle class).
    /// - Parameter persons: The person rules (for a person class).
    func factors(for model: ClassModel, vehicles: VehicleConfiguration = VehicleConfiguration(), persons: PersonConfiguration = PersonConfiguration()) -> FactorProduct {
        let person = model.kind == .person
        // A vehicle's roof is seen where the rings lie close (its top within one beam step, below):
        // a vehicle class allows less below its smallest height than a person's.
        var heightFactor = height < model.minimum[2] && !person
            ? band(height, model.minimum[2], model.maximum[2], tolerance: vehicles.heightToleranceBelow)
            : band(height, model.minimum[2], model.maximum[2], tolerance: 0.25)
        // The top lies anywhere up to one beam step above the highest return: the chance that it
        // reaches the class's minimum height, when that is larger. For steps up to the band's
        // tolerance (a 64-beam sensor out to 35 m) this never exceeds the band's own score.
        if height < model.minimum[2] && topAllowance > 0 {
            heightFactor = max(heightFactor, min(1, max(0, (height + topAllowance - model.minimum[2]) / topAllowance)))
        }
        var score = FactorProduct()
        score.apply("height", heightFactor)
        score.apply("length", band(length, 0, model.maximum[0], tolerance: 0.4))
        score.apply("width", band(width, 0, model.maximum[1], tolerance: 0.3))
        // Something of the object's silhouette must be seen: at least half its width.
        score.apply("silhouette seen", band(length, 0.5 * model.minimum[1], .infinity, tolerance: 0.3 * model.minimum[1]))
        score.apply("gap under it", band(bottomGap, 0, 1.1, tolerance: 0.5))
        if person {
            // Cut off by the sensor's field of view above the typical person's height: the top is
            // not seen, and what goes on upwards past a person's height is a pole or a trunk.
            if topClipped { score.apply("top cut off", band(height, 0, model.typical[2], tolerance: 0.25)) }
            score.apply("upper body length", band(upperExtent, 0, 0.9, tolerance: 0.4))
            // A person stands taller than their footprint is long; a car's rear seen from afar
            // (1.3 m across, 1.3 m high) does not.
            if let ratio = model.minimumHeightToLength { score.apply("height to length", band(height / max(length, 0.1), ratio, .infinity, tolerance: 0.5)) }
            score.apply("person shape", personShape?.plausibility(persons) ?? 0)
            // A person stands on the ground: the lowest return lies within one beam step of the
            // clustering's floor, unless something nearer hides the legs (a parked car, a wall).
            // What floats in the open is foliage, a sign's panel, a hedge's top.
            if shadowDepth < persons.occluderClearance {
                score.apply("floats in the open", band(bottomGap, 0, persons.maximumOpenBottomGap + topAllowance, tolerance: persons.bottomGapTolerance))
            }
        } else {
            // Any view of a vehicle shows at least one whole end or side: its fitted footprint is
            // at least the class's smallest width long (a piece of a hedge or a facade is not).
            score.apply("whole side seen", band(length, vehicles.minimumSeenWidthShare * model.minimum[1], .infinity, tolerance: 0.3 * model.minimum[1]))
            score.apply("returns on its sides", band(edgeFraction, 0.4, 1, tolerance: 0.3))
            score.apply("opaque shell", band(shellFraction, model.minimumShellFraction ?? Self.vehicleShellFraction, 1, tolerance: 0.3))
            if let share = model.maximumOverheadShare { score.apply("returns above it", band(overheadShare, 0, share, tolerance: 0.1)) }
            if let share = model.minimumObliqueWidthShare, let obliqueWidth, length > model.maximum[1] {
                score.apply("end seen at an angle", band(obliqueWidth, share * model.minimum[1], .infinity, tolerance: 0.3 * model.minimum[1]))
            }
            score.apply("roof width", band(upperSpan, model.minimumUpperSpan ?? Self.vehicleUpperSpan, .infinity, tolerance: 0.5))
            score.apply("gaps in the body", band(bodyGap, 0, max(Self.maximumBodyGap, Self.maximumBodyGapSteps * beamStep), tolerance: 0.1))
        }
        score.apply("returns", 1 - exp(-Double(pointCount) / 15))
        return score
    }
}

/// A score as the product of named factors in 0...1, remembering the two that lowered it most.
struct FactorProduct {
    private(set) var value = 1.0
    private var weakest: (name: StaticString, value: Double)? = nil
    private var secondWeakest: (name: StaticString, value: Double)? = nil

    /// Multiplies the score by `factor`, named `name`.
    mutating func apply(_ name: StaticString, _ factor: Double) {
        value *= factor
        guard factor < 1 else { return }
        if factor < weakest?.value ?? 1 {
            secondWeakest = weakest
            weakest = (name, factor)
        } else if factor < secondWeakest?.value ?? 1 {
            secondWeakest = (name, factor)
        }
    }

    /// The factors below ``ScoreFactor/reportedBelow`` that lowered the score most, weakest first
    /// (at most two).
    var lowest: [ScoreFactor] {
        [weakest, secondWeakest].compactMap { $0.map { ScoreFactor(name: $0.name.description, value: $0.value) } }
            .filter { $0.value < ScoreFactor.reportedBelow }
    }
}

/// One named factor of a detection's score (``Detection/weakestFactors``), in 0...1: 1 where the
/// cluster is all the class expects in that respect, 0 where it rules the class out. The names are
/// what the review queue gives as the reason a detection scored low (`height`, `length`, `width`,
/// `silhouette seen`, `gap under it`, `returns`; for people `top cut off`, `upper body length`,
/// `height to length`, `person shape`, `floats in the open`; for vehicles `whole side seen`,
/// `returns on its sides`, `opaque shell`, `returns above it`, `end seen at an angle`, `roof width`,
/// `gaps in the body`).
public struct ScoreFactor: Sendable, Hashable, Codable {
    /// What the factor measures.
    public var name: String
    /// Its value, 0...1.
    public var value: Double
    /// Factors at or above this are not reported: they lower a score by 5 % at most, less than a
    /// reviewer needs to be told about.
    public static let reportedBelow = 0.95
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// 1 inside `low...high`, falling linearly to 0 at `tolerance` outside.
func band(_ value: Double, _ low: Double, _ high: Double, tolerance: Double) -> Double {
    if value < low { return max(0, 1 - (low - value) / tolerance) }
    if value > high { return max(0, 1 - (value - high) / tolerance) }
    return 1
}

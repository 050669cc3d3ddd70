import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
import Foundation
@testable import CuboidPrelabel
import Testing

/// Points on a grid: x in `xs`, y in `ys`, height above the ground in `heights` (all combinations).
private func block<X: Sequence<Double>, Y: Sequence<Double>, H: Sequence<Double>>(_ xs: X, _ ys: Y, _ heights: H)
    -> (x: [Float], y: [Float], h: [Float]) {
    var x: [Float] = [], y: [Float] = [], h: [Float] = []
    for px in xs { for py in ys { for ph in heights { x.append(Float(px)); y.append(Float(py)); h.append(Float(ph)) } } }
    return (x, y, h)
}

private func clusters(_ parts: [(x: [Float], y: [Float], h: [Float])], configuration: ClusteringConfiguration = ClusteringConfiguration())
    -> BEVClusters {
    BEVClusters(x: parts.flatMap(\.x), y: parts.flatMap(\.y), heights: parts.flatMap(\.h), region: RegionOfInterest(),
                configuration: configuration)
}

/// A block of returns on a 0.1 m grid: x and y in metres, heights above the ground every `step`.
private struct Part: Sendable {
    var x: ClosedRange<Double>, y: ClosedRange<Double>, heights: ClosedRange<Double>, step: Double
    var points: (x: [Float], y: [Float], h: [Float]) {
        block(stride(from: x.lowerBound, through: x.upperBound, by: 0.1), stride(from: y.lowerBound, through: y.upperBound, by: 0.1),
              stride(from: heights.lowerBound, through: heights.upperBound, by: step))
    }
}

/// Parts of a scene at 20 m ahead and how many clusters they must make.
struct StackingCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    fileprivate var parts: [Part]
    var clusters: Int
}

// A car seen from behind: the rear face (0.3 to 0.9 m) and, 1 m further, the roof over glass that
// returned nothing (1.1 to 1.5 m).
private let rear = Part(x: 20.0...20.1, y: -0.8...0.8, heights: 0.3...0.9, step: 0.2)
private let roof = Part(x: 21.1...22.7, y: -0.7...0.7, heights: 1.1...1.5, step: 0.2)
// A car seen from ahead: the bumper and bonnet (up to 0.9 m) and, 1 m further, the cabin.
private let front = Part(x: 20.0...20.3, y: -0.8...0.8, heights: 0.3...0.9, step: 0.2)
private let cabin = Part(x: 21.3...24.0, y: -0.8...0.8, heights: 0.3...1.5, step: 0.3)

private let stackingCases: [StackingCase] = [
    StackingCase(testDescription: "a roof joins the rear face below it", parts: [rear, roof], clusters: 1),
    StackingCase(testDescription: "a bumper and bonnet join the cabin behind them", parts: [front, cabin], clusters: 1),
    StackingCase(testDescription: "a person's shoulders over a car are too narrow for its roof",
                 parts: [Part(x: 20.0...24.0, y: -0.8...0.8, heights: 0.3...1.5, step: 0.3), Part(x: 24.9...25.2, y: -0.2...0.2, heights: 1.3...1.8, step: 0.1)],
                 clusters: 2),
    StackingCase(testDescription: "a tree's crown over a car is too high for its roof",
                 parts: [Part(x: 20.0...24.0, y: -0.8...0.8, heights: 0.3...0.9, step: 0.3), Part(x: 24.6...26.6, y: -1.0...1.0, heights: 2.5...3.3, step: 0.4)],
                 clusters: 2),
    StackingCase(testDescription: "a roof beside a van whose top reaches past its bottom",
                 parts: [Part(x: 20.0...25.0, y: -1.0...1.0, heights: 0.3...2.3, step: 0.4), Part(x: 25.8...27.4, y: -0.7...0.7, heights: 1.1...1.5, step: 0.2)],
                 clusters: 2),
    StackingCase(testDescription: "a front behind the cabin (farther from the sensor) is not its front",
                 parts: [cabin, Part(x: 25.0...25.3, y: -0.8...0.8, heights: 0.3...0.9, step: 0.2)], clusters: 2),
    StackingCase(testDescription: "a low wall is too long to be a car's front",
                 parts: [Part(x: 19.0...20.0, y: -3.0...3.0, heights: 0.3...0.9, step: 0.2), cabin], clusters: 2),
    StackingCase(testDescription: "a kerbside post is too small to be a car's front",
                 parts: [Part(x: 20.2...20.3, y: 0.0...0.1, heights: 0.3...0.9, step: 0.2), cabin], clusters: 2),
    StackingCase(testDescription: "of two roofs in a row only one joins the body: the result fits a van's length",
                 parts: [rear, roof, Part(x: 23.9...27.5, y: -0.7...0.7, heights: 1.1...1.5, step: 0.2)], clusters: 2),
]

@Suite struct StackedClusterTests {
    /// Glass-split parts join; what only looks like such a part stays apart.
    @Test(arguments: stackingCases)
    func partsJoinOrStayApart(_ scene: StackingCase) {
        #expect(clusters(scene.parts.map(\.points)).members.count == scene.clusters)
    }

    /// With no stacking reach the roof and the rear stay two clusters.
    @Test func joiningCanBeTurnedOff() {
        var off = ClusteringConfiguration()
        off.stackingReach = 0
        #expect(clusters([rear.points, roof.points], configuration: off).members.count == 2)
    }
}

/// Returns on the vertical surface along the line y = `side` from x = `near` to `far`, one column
/// (heights 0.4 m to 1.2 m) per `step` degrees of azimuth, as a spinning lidar at the origin sees it.
private func grazingSurface(side: Double, near: Double, far: Double, step: Double = 0.17) -> (x: [Float], y: [Float], h: [Float]) {
    var x: [Float] = [], y: [Float] = [], h: [Float] = []
    let first = atan2(abs(side), far), last = atan2(abs(side), near)
    for angle in stride(from: first, through: last, by: step * .pi / 180) {
        for height in stride(from: 0.4, through: 1.2, by: 0.2) {
            x.append(Float(abs(side) / tan(angle)))
            y.append(Float(side))
            h.append(Float(height))
        }
    }
    return (x, y, h)
}

/// Parts of a scene and how many clusters they must make.
struct GrazingCase: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var parts: [[SIMD3<Float>]]
    var clusters: Int
    init(_ description: String, _ parts: [(x: [Float], y: [Float], h: [Float])], clusters: Int) {
        testDescription = description
        self.parts = parts.map { part in part.x.indices.map { SIMD3(part.x[$0], part.y[$0], part.h[$0]) } }
        self.clusters = clusters
    }
}

private let grazingCases: [GrazingCase] = [
    GrazingCase("a far car's side seen at 6 degrees, a return every metre, is one cluster",
                [grazingSurface(side: -3.7, near: 33.3, far: 37.2)], clusters: 1),
    GrazingCase("a person 1 m before a car's rear, on the line of sight, stays apart",
                [block(stride(from: 31.7, through: 32.1, by: 0.1), stride(from: -0.2, through: 0.2, by: 0.1), stride(from: 0.4, through: 1.7, by: 0.3)),
                 block(stride(from: 33.0, through: 33.1, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.2))],
                clusters: 2),
    GrazingCase("a small piece 1 m beside a car, across the line of sight, stays apart",
                [block(stride(from: 30.0, through: 33.9, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.4)),
                 block(stride(from: 31.0, through: 31.0, by: 0.1), stride(from: 1.8, through: 1.8, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.4))],
                clusters: 2),
    GrazingCase("a post 1 m before a car, within its azimuth span, is not a piece of it",
                [block(stride(from: 20.2, through: 20.2, by: 0.1), stride(from: 0.0, through: 0.0, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.4)),
                 block(stride(from: 21.3, through: 24.0, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.4, through: 1.5, by: 0.3))],
                clusters: 2),
    GrazingCase("a grazing fence 14 m long is cut into pieces no longer than a vehicle",
                [grazingSurface(side: -3.7, near: 26.0, far: 40.0)], clusters: 3),
    GrazingCase("near the sensor, where the sweep is dense, pieces on the line of sight stay apart",
                [block(stride(from: 8.0, through: 8.0, by: 0.1), stride(from: -1.0, through: -1.0, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.4)),
                 block(stride(from: 9.2, through: 9.2, by: 0.1), stride(from: -1.15, through: -1.15, by: 0.1), stride(from: 0.4, through: 1.2, by: 0.4))],
                clusters: 2),
]

@Suite struct GrazingSurfaceTests {
    /// Pieces of one surface seen along the line of sight join; others stay apart.
    @Test(arguments: grazingCases)
    func piecesJoinOrStayApart(_ scene: GrazingCase) {
        let parts = scene.parts.map { part in (x: part.map(\.x), y: part.map(\.y), h: part.map(\.z)) }
        let found = clusters(parts)
        #expect(found.members.count == scene.clusters)
        // Whatever joins fits a vehicle.
        let all = parts.flatMap { zip($0.x, $0.y) }
        for members in found.members {
            let xs = members.map { all[Int($0)].0 }, ys = members.map { all[Int($0)].1 }
            let dx = Double(xs.max()! - xs.min()!), dy = Double(ys.max()! - ys.min()!)
            #expect((dx * dx + dy * dy).squareRoot() <= ClusteringConfiguration().maximumGrazingDiagonal + 0.2)
        }
    }

    /// Without the joining the far car's side falls apart: one piece per return column or two.
    @Test func joiningCanBeTurnedOff() {
        var off = ClusteringConfiguration()
        off.grazingReach = 0
        #expect(clusters([grazingSurface(side: -3.7, near: 33.3, far: 37.2)], configuration: off).members.count > 2)
    }
}

@Suite struct OcclusionAwareCompletionTests {
    /// A car parked along x, 5 m to the left, seen over 2.5 m of its side (x 9.5 to 12); the car in
    /// front (x 6.5 to 9.4, nearer the sensor) hides its near end.
    func scene(occluded: Bool) -> (cluster: ClusterPoints, occlusion: OcclusionMap) {
        var x: [Float] = [], y: [Float] = [], z: [Float] = [], h: [Float] = []
        for px in stride(from: 9.5, through: 12.0, by: 0.05) {
            for ph in stride(from: 0.3, through: 1.3, by: 0.25) { x.append(Float(px)); y.append(5); z.append(Float(ph - 1.7)); h.append(Float(ph)) }
        }
        let members = (0..<Int32(x.count)).map { $0 }
        if occluded {
            for px in stride(from: 6.5, through: 9.4, by: 0.05) {
                for ph in stride(from: 0.3, through: 1.3, by: 0.25) { x.append(Float(px)); y.append(4.2); z.append(Float(ph - 1.7)); h.append(Float(ph)) }
            }
        }
        let cloud = PointCloud(x: x, y: y, z: z)
        let cluster = ClusterPoints(members, cloud: cloud, heights: h)
        return (cluster, OcclusionMap(x: x, y: y, heights: h, low: 0.25, high: 3.5))
    }

    @Test func hiddenNearEndIsFound() {
        let hidden = scene(occluded: true)
        #expect(hidden.cluster.hiddenEnd(hidden.occlusion) == 1)  // the x = 9.5 end is at the higher azimuth
        let open = scene(occluded: false)
        #expect(open.cluster.hiddenEnd(open.occlusion) == 0)
    }

    @Test func completionGrowsUnderTheOccluder() {
        let observed = BEVBox(centerX: 10.75, centerY: 5.05, length: 2.5, width: 0.1, yaw: 0)
        let completed = completeFootprint(observed, toLength: 4, width: 1.7)
        // Without occlusion the box grows from the nearest corner (9.5, 5) away from the sensor.
        #expect(abs(completed.centerX - 11.5) < 1e-9 && abs(completed.centerY - 5.85) < 1e-9)
        let moved = extendTowardsHiddenEnd(completed, observed: observed, hiddenEnd: 1)
        #expect(abs(moved.centerX - 10) < 1e-9 && abs(moved.centerY - 5.85) < 1e-9)
        #expect(moved.length == completed.length && moved.width == completed.width && moved.yaw == completed.yaw)
        // It still holds every observed corner.
        for corner in observed.corners {
            let d = corner - moved.center
            #expect(abs(d.x) <= moved.length / 2 + 1e-9 && abs(d.y) <= moved.width / 2 + 1e-9)
        }
        // Hidden on the side it already grows towards, or nowhere: unchanged.
        #expect(extendTowardsHiddenEnd(completed, observed: observed, hiddenEnd: -1) == completed)
        #expect(extendTowardsHiddenEnd(completed, observed: observed, hiddenEnd: 0) == completed)
    }
}

@Suite struct ClusterGroundAndShapeTests {
    /// A car covering its ground bin lifts the bin's plane to its sills (0.4 m up); the road around
    /// it gives the real level, so the car is 1.5 m tall rather than 1.1 m.
    @Test func roadBesideTheObjectGivesItsGround() {
        var x: [Float] = [], y: [Float] = [], z: [Float] = [], h: [Float] = []
        let road: Float = -1.7, lifted: Float = -1.3
        for px in stride(from: 18.0, through: 24.0, by: 0.25) {
            for py in stride(from: -2.0, through: 2.0, by: 0.25) where abs(py) > 1.2 || px < 19.5 || px > 22.5 {
                x.append(Float(px)); y.append(Float(py)); z.append(road); h.append(road - lifted)
            }
        }
        let first = Int32(x.count)
        for px in stride(from: 20.0, through: 22.0, by: 0.1) {
            for ph in stride(from: 0.5, through: 1.5, by: 0.25) { x.append(Float(px)); y.append(-0.8); z.append(road + Float(ph)); h.append(road + Float(ph) - lifted) }
        }
        let members = (first..<Int32(x.count)).map { $0 }
        let cloud = PointCloud(x: x, y: y, z: z)
        let grid = RoadLevelGrid(x: x, y: y, z: z, heights: h, below: 0.25, maximumRange: 60)
        let plain = ClusterPoints(members, cloud: cloud, heights: h)
        #expect(abs(plain.groundLevel - Double(lifted)) < 1e-6)
        let grounded = ClusterPoints(members, cloud: cloud, heights: h, road: grid)
        #expect(abs(grounded.groundLevel - Double(road)) < 1e-6)
        #expect(abs(grounded.heights.max()! - 1.5) < 1e-6)
        // A road level only a few centimetres lower is noise: the planes are kept.
        let close = RoadLevelGrid(x: x, y: y, z: z.map { $0 == road ? lifted - 0.05 : $0 }, heights: h, below: 0.25, maximumRange: 60)
        #expect(abs(ClusterPoints(members, cloud: cloud, heights: h, road: close).groundLevel - Double(lifted)) < 1e-6)
    }

    /// The lower body of a car returns from its sides facing the sensor; a bush returns from all
    /// through its depth.
    @Test(arguments: [true, false])
    func shellFractionTellsShellsFromBushes(shell: Bool) {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        if shell {
            // An L: the rear (x = 15) and the right side (y = 2) of a car at (17, 2.85).
            for py in stride(from: 2.0, through: 3.7, by: 0.1) { for ph in stride(from: 0.3, through: 1.4, by: 0.1) { x.append(15); y.append(Float(py)); h.append(Float(ph)) } }
            for px in stride(from: 15.1, through: 19.0, by: 0.1) { for ph in stride(from: 0.3, through: 1.4, by: 0.1) { x.append(Float(px)); y.append(2); h.append(Float(ph)) } }
        } else {
            // A bush 4 m by 1.7 m by 1.4 m, returns scattered all through it.
            var random = SplitMix64(seed: 7)
            for _ in 0..<600 {
                x.append(Float(15 + 4 * Double.random(in: 0..<1, using: &random))); y.append(Float(2 + 1.7 * Double.random(in: 0..<1, using: &random))); h.append(Float(0.3 + 1.1 * Double.random(in: 0..<1, using: &random)))
            }
        }
        let cloud = PointCloud(x: x, y: y, z: h.map { $0 - 1.7 })
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: cloud, heights: h)
        let footprint = LShapeFitter().fit(cluster.footprint)!
        let features = ClusterFeatures(cluster, footprint: footprint)
        let car = ClassModel.defaults[0]
        if shell {
            #expect(features.shellFraction > 0.9)
            #expect(features.score(for: car) > 0.9)
        } else {
            #expect(features.shellFraction < 0.3, "shell fraction \(features.shellFraction)")
            #expect(features.score(for: car) == 0)
        }
    }
}

/// A column of returns `width` across, seen by rings 0.4 degree apart from 2 degrees up downwards,
/// at `range` metres from a sensor `mount` metres up: every ring whose height there lies between
/// 0.3 m and `top` returns. Features with the sensor's top ring at `topRing` degrees (nil: unknown).
private func column(range: Double, width: Double, top: Double, mount: Double = 1.73, topRing: Double?) -> ClusterFeatures {
    var x: [Float] = [], y: [Float] = [], z: [Float] = []
    for ring in 0..<40 {
        let slope = tan((2.0 - 0.4 * Double(ring)) * Double.pi / 180)
        let height = mount + slope * range
        guard height >= 0.3 && height <= top else { continue }
        for py in stride(from: -width / 2, through: width / 2 + 1e-9, by: 0.05) {
            x.append(Float(range)); y.append(Float(py)); z.append(Float(slope * (range * range + py * py).squareRoot()))
        }
    }
    let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: z), heights: z.map { $0 + Float(mount) })
    return ClusterFeatures(cluster, footprint: LShapeFitter().fit(cluster.footprint)!, topSlope: topRing.map { tan($0 * Double.pi / 180) })
}

@Suite struct ClippedTopTests {
    /// A tree's trunk 9 m out reaches past the top ring (2 degrees up, 2.04 m there): its returns
    /// end at the sensor's field of view, 2.0 m up, where a tall person's head would be. It is no
    /// person; the same returns with the top ring unknown, or 10 degrees up, would be one.
    @Test func aTrunkCutOffByTheTopRingIsNoPerson() {
        let pedestrian = ClassModel.defaults.first { $0.name == "Pedestrian" }!
        let trunk = column(range: 9, width: 0.5, top: 6, topRing: 2)
        #expect(trunk.topClipped)
        #expect(trunk.height > 1.95 && trunk.height < 2.1, "height \(trunk.height)")
        #expect(trunk.score(for: pedestrian) == 0)
        let unknown = column(range: 9, width: 0.5, top: 6, topRing: nil)
        #expect(!unknown.topClipped && unknown.score(for: pedestrian) > 0.5, "score \(unknown.score(for: pedestrian))")
        let higher = column(range: 9, width: 0.5, top: 6, topRing: 10)
        #expect(!higher.topClipped && higher.score(for: pedestrian) > 0.5)
    }

    /// A person 1.75 m tall 9 m out ends below the top ring: not clipped, scored as before. 5 m from
    /// a sensor mounted at 1.5 m the top ring passes 1.67 m up and clips a 1.75 m person there,
    /// under the typical height: still a person.
    @Test func aPersonUnderTheTopRingIsUnchanged() {
        let pedestrian = ClassModel.defaults.first { $0.name == "Pedestrian" }!
        let person = column(range: 9, width: 0.5, top: 1.75, topRing: 2)
        #expect(!person.topClipped)
        #expect(person.score(for: pedestrian) == column(range: 9, width: 0.5, top: 1.75, topRing: nil).score(for: pedestrian))
        #expect(person.score(for: pedestrian) > 0.5)
        let lowMount = column(range: 5, width: 0.5, top: 1.75, mount: 1.5, topRing: 2)
        #expect(lowMount.topClipped)
        #expect(lowMount.score(for: pedestrian) > 0.5, "score \(lowMount.score(for: pedestrian)), height \(lowMount.height)")
    }

    /// The top ring is the highest 0.05 degree elevation bin with 10 returns 10 m to 60 m out:
    /// rings every 0.4 degree up to 2 degrees, plus 5 stray returns at 6 degrees and rings tilted
    /// near the sensor, give 2 degrees.
    @Test func highestRingIsFoundFromTheSweep() throws {
        var x: [Float] = [], y: [Float] = [], z: [Float] = []
        func add(_ range: Double, _ azimuth: Double, _ elevation: Double) {
            x.append(Float(range * cos(azimuth))); y.append(Float(range * sin(azimuth))); z.append(Float(range * tan(elevation * Double.pi / 180)))
        }
        for ring in 0..<20 { for k in 0..<200 { add(10 + Double(k % 50), Double(k) * 0.03, 2.0 - 0.4 * Double(ring)) } }
        for k in 0..<5 { add(20, Double(k), 6) }
        for k in 0..<50 { add(4, Double(k) * 0.03, 5) }
        let slope = try #require(highestRingSlope(x: x, y: y, z: z))
        let degrees = atan(slope) * 180 / Double.pi
        #expect(degrees >= 2.0 && degrees <= 2.06, "top ring \(degrees) degrees")
        #expect(highestRingSlope(x: [1, 2], y: [0, 0], z: [0, 0]) == nil)
    }
}

@Suite struct PersonShapeTests {
    /// Returns on a vertical face `width` across and `height` high, 30 m ahead, facing the sensor.
    func face(width: Double, height: Double) -> ClusterFeatures {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        for py in stride(from: -width / 2, through: width / 2, by: 0.1) {
            for ph in stride(from: 0.3, through: height, by: 0.15) { x.append(30); y.append(Float(py)); h.append(Float(ph)) }
        }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: h.map { $0 - 1.7 }), heights: h)
        return ClusterFeatures(cluster, footprint: LShapeFitter().fit(cluster.footprint)!)
    }

    /// A person is taller than wide; a car's rear seen from afar (1.3 m by 1.3 m) is not a person,
    /// and too low (under 1.45 m) for a cyclist.
    @Test func aCarsRearIsNotAPerson() {
        let pedestrian = ClassModel.defaults.first { $0.name == "Pedestrian" }!, cyclist = ClassModel.defaults.first { $0.name == "Cyclist" }!
        #expect(face(width: 0.5, height: 1.75).score(for: pedestrian) > 0.5)
        let rear = face(width: 1.3, height: 1.3)
        #expect(rear.score(for: pedestrian) < 0.05)
        #expect(rear.score(for: cyclist) < 0.5)
    }
}

@Suite struct BeamStepTests {
    /// The rear (facing the sensor) and right side of a box `top` metres high standing on the
    /// ground 1.73 m below the sensor, its rear `range` metres ahead, as rings `step` radians
    /// apart in elevation see it, one ring meeting the rear at 1.0 m: only the rings whose height
    /// there lies on the box, outside `hole`, return.
    func ringView(range: Double, top: Double, step: Double, hole: ClosedRange<Double> = 9...9) -> ClusterFeatures {
        let level = atan((1.0 - 1.73) / range)
        var x: [Float] = [], y: [Float] = [], z: [Float] = []
        for k in 0..<32 {
            let slope = tan(level + Double(k - 20) * step)
            for py in stride(from: -0.8, through: 0.8, by: 0.2) { x.append(Float(range)); y.append(Float(py)) }
            for px in stride(from: range + 0.3, through: range + 3.9, by: 0.3) { x.append(Float(px)); y.append(-0.8) }
            while z.count < x.count {
                let p = SIMD2(Double(x[z.count]), Double(y[z.count]))
                z.append(Float(slope * (p * p).sum().squareRoot()))
            }
        }
        let keep = z.indices.filter { Double(z[$0]) + 1.73 >= 0.3 && Double(z[$0]) + 1.73 <= top && !hole.contains(Double(z[$0]) + 1.73) }
        let cloud = PointCloud(x: keep.map { x[$0] }, y: keep.map { y[$0] }, z: keep.map { z[$0] })
        let heights: [Float] = keep.map { z[$0] + 1.73 }
        let cluster = ClusterPoints(keep.indices.map { Int32($0) }, cloud: cloud, heights: heights)
        return ClusterFeatures(cluster, footprint: LShapeFitter().fit(cluster.footprint)!)
    }

    /// A vehicle's body returns on every ring from its sills to its windows; returns low down and
    /// again above a metre with nothing between (a row of bicycles, low clutter under a hedge's top)
    /// are no vehicle, however car-like their outline.
    @Test func aHoleInTheBodyIsNoVehicle() {
        let car = ClassModel.defaults[0]
        let step = 0.33 * Double.pi / 180
        let body = ringView(range: 17, top: 1.45, step: step)
        #expect(body.bodyGap <= body.beamStep + 0.01, "body gap \(body.bodyGap), step \(body.beamStep)")
        #expect(body.score(for: car) > 0.5)
        let holed = ringView(range: 17, top: 1.45, step: step, hole: 0.5...1.05)
        #expect(holed.bodyGap > 0.5)
        #expect(holed.score(for: car) == 0)
        // The reason reaches the review queue by name: the hole, not the outline.
        #expect(holed.factors(for: car).lowest.first == ScoreFactor(name: "gaps in the body", value: 0))
        #expect(body.factors(for: car).lowest.allSatisfy { $0.name != "gaps in the body" })
    }

    /// A score is the product of its named factors, and the two weakest below 0.95 are kept,
    /// weakest first, whichever order the rules apply them in.
    @Test func aScoreIsItsFactorsProduct() {
        var product = FactorProduct()
        for (name, value) in [("a", 0.9), ("b", 0.3), ("c", 1.0), ("d", 0.5), ("e", 0.96)] as [(StaticString, Double)] { product.apply(name, value) }
        #expect(product.value == 0.9 * 0.3 * 1.0 * 0.5 * 0.96)
        #expect(product.lowest == [ScoreFactor(name: "b", value: 0.3), ScoreFactor(name: "d", value: 0.5)])
        var mild = FactorProduct()
        mild.apply("a", 0.97)
        #expect(mild.lowest.isEmpty)
        let step = 0.33 * Double.pi / 180
        let body = ringView(range: 17, top: 1.45, step: step)
        for model in ClassModel.defaults { #expect(body.factors(for: model).value == body.score(for: model)) }
    }

    /// A car 35 m away seen by two rings of a 32-beam sensor (0.85 degree apart, 0.52 m there)
    /// may hide its roof above the upper ring: it scores as a car, which its observed 1.0 m alone
    /// would not.
    @Test func aFarCarsTopMayLieOneRingHigher() throws {
        let car = ClassModel.defaults[0]
        let step = 0.85 * Double.pi / 180
        let features = ringView(range: 35, top: 1.45, step: step)
        let expected = 35.5 * step
        #expect(abs(features.topAllowance - expected) < 0.08, "allowance \(features.topAllowance), expected about \(expected)")
        #expect(features.height < car.minimum[2], "observed height \(features.height)")
        var unseen = features
        unseen.topAllowance = 0
        #expect(features.score(for: car) > 1.5 * unseen.score(for: car), "observed height \(features.height)")
    }

    /// A car 33 m ahead seen from behind by a 32-beam sensor, 0.4 degree between returns (the
    /// sensor 1.7 m up): one ring crosses its rear and a little of its side half a metre up (so the
    /// fitted footprint is longer along the line of sight than across it), the ring above meets its
    /// rear window 0.75 m further, across its width. Its top is wide across the footprint, not along
    /// it: it scores as a car, which the extent along the footprint alone would not let it.
    @Test func aFarCarsRearWindowSpansItsWidth() {
        let car = ClassModel.defaults[0]
        var x: [Float] = [], y: [Float] = [], z: [Float] = []
        // Each ring keeps one slope z / range, so its height falls slowly with range.
        func add(_ px: Double, _ py: Double, slope: Double) {
            x.append(Float(px)); y.append(Float(py)); z.append(Float(slope * (px * px + py * py).squareRoot()))
        }
        let lower = (0.5 - 1.7) / 33.0, upper = (1.0 - 1.7) / 33.75
        for py in stride(from: -0.7, through: 0.71, by: 0.23) { add(33.0, py, slope: lower) }
        for px in [33.9, 35.7] { add(px, 0.75, slope: lower) }
        for py in stride(from: -0.6, through: 0.61, by: 0.23) { add(33.75, py, slope: upper) }
        add(34.4, 0.75, slope: upper)
        let heights = z.map { $0 + 1.7 }
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: PointCloud(x: x, y: y, z: z), heights: heights)
        let footprint = LShapeFitter().fit(cluster.footprint)!
        let features = ClusterFeatures(cluster, footprint: footprint)
        #expect(features.length > features.width + 0.5, "footprint \(features.length) x \(features.width)")
        #expect(features.upperExtent < 0.9, "extent along the footprint \(features.upperExtent)")
        #expect(features.upperSpan > 1.0, "span \(features.upperSpan)")
        #expect(features.score(for: car) > 0.4, "score \(features.score(for: car)), allowance \(features.topAllowance)")
        var alongOnly = features
        alongOnly.upperSpan = features.upperExtent
        #expect(alongOnly.score(for: car) < 0.6 * features.score(for: car))
    }

    /// Under rings no further apart than the height band's tolerance (0.25 m: a 64-beam sensor out
    /// to 35 m, here a 0.95 m hedge at 15 m under 0.85 degree rings) the allowance changes no
    /// score. One ring gives no step.
    @Test func closeRingsChangeNothing() {
        let car = ClassModel.defaults[0]
        let hedge = ringView(range: 15, top: 0.95, step: 0.85 * Double.pi / 180)
        #expect(hedge.topAllowance > 0.2 && hedge.topAllowance <= 0.25, "allowance \(hedge.topAllowance), height \(hedge.height)")
        var unseen = hedge
        unseen.topAllowance = 0
        #expect(abs(hedge.score(for: car) - unseen.score(for: car)) < 1e-12)
        #expect(hedge.score(for: car) < 0.3)
        let oneRing = ringView(range: 35, top: 1.1, step: 2 * Double.pi / 180)
        #expect(oneRing.topAllowance == 0)
    }
}

@Suite struct PeopleInsideVehiclesTests {
    private func box(_ category: String, _ x: Double, _ y: Double, length: Double, width: Double) -> Detection {
        Detection(category: category, cuboid: Box3D(x: x, y: y, z: -0.9, length: length, width: width, height: 1.5, yaw: 0.3), score: 0.8, pointCount: 30)
    }

    /// A car 3.9 m by 1.6 m at (20, 4), turned 0.3 rad: a person whose centre lies inside it is a
    /// piece of it; one 0.3 m beyond its side, a cyclist beside it and a car overlapping it stay.
    @Test func aPersonInsideAVehicleIsPartOfIt() {
        let car = box("Car", 20, 4, length: 3.9, width: 1.6)
        // The car's side lies 0.8 m from its centre across its axis (direction (-sin, cos) of the yaw).
        let across = SIMD2(-sin(0.3), cos(0.3))
        let inside = box("Pedestrian", 20 + 0.5 * across.x + 1.2 * cos(0.3), 4 + 0.5 * across.y + 1.2 * sin(0.3), length: 0.85, width: 0.65)
        let beside = box("Pedestrian", 20 + 1.1 * across.x, 4 + 1.1 * across.y, length: 0.85, width: 0.65)
        let cyclist = box("Cyclist", 20 - 1.3 * across.x, 4 - 1.3 * across.y, length: 1.75, width: 0.6)
        let overlappingCar = box("Car", 21, 4.2, length: 3.9, width: 1.6)
        let kinds = ClassKinds(classes: ClassModel.defaults, external: [])
        let kept = withoutPeopleInsideVehicles([car, inside, beside, cyclist, overlappingCar], kinds: kinds)
        #expect(kept == [car, beside, cyclist, overlappingCar])
        // Without the car the person stays.
        #expect(withoutPeopleInsideVehicles([inside, beside], kinds: kinds) == [inside, beside])
    }
}

@Suite struct VehicleOrientationTests {
    /// A car 4.15 m by 1.73 m at (13.5, -0.95), heading along x, seen from behind 1.73 m below the
    /// sensor, as KITTI object 000003 shows one: its bumper (0.3 m to 0.8 m up) wraps 0.45 m
    /// forwards at the corners, its boot lid and its roof (narrower than the body) lie further on,
    /// one behind the other in bird's-eye view. The classifier's crisp fit turned that car 22
    /// degrees (its footprint here); the box is oriented by the fit with the 0.1 m floor instead and
    /// overlaps the car.
    @Test func aCarSeenFromBehindKeepsItsHeading() throws {
        var x: [Float] = [], y: [Float] = [], h: [Float] = []
        func add(_ px: Double, _ py: Double, _ ph: Double) { x.append(Float(px)); y.append(Float(py)); h.append(Float(ph)) }
        for ph in stride(from: 0.3, through: 0.81, by: 0.1) {
            for py in stride(from: -1.75, through: -0.15, by: 0.04) { add(11.43 + 0.45 * ((py + 0.95) / 0.8) * ((py + 0.95) / 0.8), py, ph) }
        }
        for px in [12.3, 12.6, 12.9] { for py in stride(from: -1.6, through: -0.3, by: 0.08) { add(px, py, 0.9) } }
        for px in stride(from: 13.2, through: 15.41, by: 0.2) {
            for py in stride(from: -1.5, through: -0.4, by: 0.08) { add(px, py, 1.0 + 0.5 * min(px - 13.2, 1.6) / 1.6) }
        }
        let cloud = PointCloud(x: x, y: y, z: h.map { $0 - 1.73 })
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: cloud, heights: h)
        let detector = LidarDetector()
        let surroundings = Surroundings(cloud, heights: h, configuration: detector.configuration)
        let truth = BEVBox(center: SIMD2(13.5, -0.95), length: 4.15, width: 1.73, yaw: 0)
        let crisp = BEVBox(center: SIMD2(13.4, -0.95), length: 3.4, width: 2.0, yaw: -0.39)
        let classified = detector.classify(cluster, footprint: crisp, surroundings: surroundings)
        let detection = try #require(classified)
        #expect(detection.category == "Car")
        #expect(abs(sin(detection.cuboid.yaw)) < sin(8 * Double.pi / 180), "yaw \(detection.cuboid.yaw)")
        #expect(iou(detection.cuboid.bev, truth) > 0.7, "IoU \(iou(detection.cuboid.bev, truth))")
        // Completed from the classifier's footprint, the box misses IoU 0.7 (0.64, as on KITTI);
        // the crisp fit of these returns turns them 45 degrees.
        #expect(iou(completeFootprint(crisp, toLength: 3.9, width: 1.65), truth) < 0.7)
        let crispFit = try #require(LShapeFitter.prelabel.fit(cluster.footprint))
        #expect(abs(sin(crispFit.yaw)) > sin(20 * Double.pi / 180), "crisp yaw \(crispFit.yaw)")
    }
}

@Suite struct WallTests {
    private func grid(_ parts: [(x: [Float], y: [Float], h: [Float])]) -> ReturnGrid {
        ReturnGrid(x: parts.flatMap(\.x), y: parts.flatMap(\.y), heights: parts.flatMap(\.h), low: 0.25, high: 3.5, maximumRange: 60)
    }

    /// A 1.1 m piece of a 2 m wall 36 m out, its neighbours 0.3 m away on either side, is part of a
    /// 10 m surface, longer than any car; so is one whose wall, seen at a grazing angle, returns
    /// only every 0.8 m. A car's 4 m side with nothing in line, or with the next parked car 1.5 m
    /// on, is its own surface.
    @Test func aFaceOnAWallIsNoCar() {
        let car = ClassModel.defaults[0]
        let heights = [0.5, 1.0, 1.5]
        let piece = BEVBox(center: SIMD2(35.4, -4.4), length: 1.1, width: 0.15, yaw: 0)
        let wall = grid([block(stride(from: 30, through: 34.55, by: 0.1), [-4.4], heights), block(stride(from: 34.85, through: 35.95, by: 0.1), [-4.4], heights),
                         block(stride(from: 36.25, through: 40, by: 0.1), [-4.38], heights)])
        #expect(wall.surfaceLength(along: piece, gap: surfaceGap, lateralTolerance: 0.2, limit: 6.3) > 9)
        #expect(liesOnLongerSurface(piece, than: car, wall))
        let sparse = grid([block(stride(from: 30, through: 40, by: 0.8), [-4.4], heights)])
        #expect(liesOnLongerSurface(piece, than: car, sparse))

        let side = BEVBox(center: SIMD2(20, 3), length: 4, width: 0.2, yaw: 0)
        let alone = grid([block(stride(from: 18, through: 22, by: 0.1), [3], heights)])
        #expect(abs(alone.surfaceLength(along: side, gap: surfaceGap, lateralTolerance: 0.2, limit: 6.3) - 4) < 1e-9)
        #expect(!liesOnLongerSurface(side, than: car, alone))
        let row = grid([block(stride(from: 12.5, through: 16.5, by: 0.1), [3], heights), block(stride(from: 18, through: 22, by: 0.1), [3], heights),
                        block(stride(from: 23.5, through: 27.5, by: 0.1), [3], heights)])
        #expect(!liesOnLongerSurface(side, than: car, row))
        // Returns beside the line, not on it (a kerb-side bush 1 m out), do not lengthen it.
        let beside = grid([block(stride(from: 18, through: 22, by: 0.1), [3], heights), block(stride(from: 22, through: 30, by: 0.1), [4], heights)])
        #expect(!liesOnLongerSurface(side, than: car, beside))
    }

    /// A car's rear (1.5 m across, 0.3 m to 1.3 m up: rings 0.2 m to 0.3 m apart reach its rear
    /// window, as a near car's top must, see `VehicleConfiguration.heightToleranceBelow`) 0.4 m from
    /// a 2.4 m wall, one cluster: without the wall's returns what is left is the car, which scores as
    /// one. A wall with a 0.15 m plinth at its foot, or a car alone, has no wall to take away.
    @Test func anObjectBesideAWallIsFoundWithoutIt() throws {
        let wallPart = block(stride(from: 31.7, through: 34.6, by: 0.1), [-4.4], [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4])
        var x = wallPart.x, y = wallPart.y, h = wallPart.h
        let wallCount = x.count
        for py in stride(from: -4.0, through: -2.45, by: 0.05) {
            for ph in [0.35, 0.55, 0.85, 1.05, 1.3] { x.append(33 + Float(ph) * 0.6); y.append(Float(py)); h.append(Float(ph)) }
        }
        for px in stride(from: 33.6, through: 35.5, by: 0.25) { for ph in [0.4, 0.7, 1.0] { x.append(Float(px)); y.append(-2.45); h.append(Float(ph)) } }
        let cloud = PointCloud(x: x, y: y, z: h.map { $0 - 1.73 })
        let cluster = ClusterPoints((0..<Int32(x.count)).map { $0 }, cloud: cloud, heights: h)
        let rest = try #require(cluster.withoutTallFace())
        #expect(rest.count == x.count - wallCount)
        #expect(rest.footprint.allSatisfy { $0.y > -4.1 })
        let detector = LidarDetector()
        let surroundings = Surroundings(cloud, heights: h, configuration: detector.configuration)
        let merged = detector.classify(cluster, footprint: try #require(LShapeFitter.prelabel.fit(cluster.footprint)), surroundings: surroundings)
        #expect(merged?.category != "Car")
        let found = detector.classify(rest, footprint: try #require(LShapeFitter.prelabel.fit(rest.footprint)), surroundings: surroundings)
        #expect(found?.category == "Car")

        var plinth = wallPart
        for px in stride(from: 31.7, through: 34.6, by: 0.1) { plinth.x.append(Float(px)); plinth.y.append(-4.2); plinth.h.append(0.3) }
        let wallAlone = ClusterPoints((0..<Int32(plinth.x.count)).map { $0 }, cloud: PointCloud(x: plinth.x, y: plinth.y, z: plinth.h.map { $0 - 1.73 }), heights: plinth.h)
        #expect(wallAlone.withoutTallFace() == nil)
        let carAlone = ClusterPoints((Int32(wallCount)..<Int32(x.count)).map { $0 }, cloud: cloud, heights: h)
        #expect(carAlone.withoutTallFace() == nil)
    }
}

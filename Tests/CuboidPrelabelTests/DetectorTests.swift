import CuboidGeometry
import CuboidKernels
import CuboidPointClouds
@testable import CuboidPrelabel
import Testing

/// Points on a grid: x in `xs`, y in `ys`, height above the ground in `heights` (all combinations).
private func block(_ xs: StrideThrough<Double>, _ ys: StrideThrough<Double>, _ heights: StrideThrough<Double>)
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

@Suite struct StackedClusterTests {
    /// A car seen from behind at 20 m: the rear face (0.3 to 0.9 m) and, 1 m further, the roof over
    /// glass that returned nothing (1.1 to 1.5 m). They are one object.
    @Test func roofJoinsTheBodyBelowIt() {
        let rear = block(stride(from: 20.0, through: 20.1, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        let roof = block(stride(from: 21.1, through: 22.7, by: 0.1), stride(from: -0.7, through: 0.7, by: 0.1), stride(from: 1.1, through: 1.5, by: 0.2))
        #expect(clusters([rear, roof]).members.count == 1)
        var off = ClusteringConfiguration()
        off.stackingReach = 0
        #expect(clusters([rear, roof], configuration: off).members.count == 2)
    }

    /// A person behind a car shows only the shoulders above its roof: too narrow for a roof, so it
    /// stays a cluster of its own.
    @Test func personBehindACarStaysApart() {
        let car = block(stride(from: 20.0, through: 24.0, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 1.5, by: 0.3))
        let shoulders = block(stride(from: 24.9, through: 25.2, by: 0.1), stride(from: -0.2, through: 0.2, by: 0.1), stride(from: 1.3, through: 1.8, by: 0.1))
        #expect(clusters([car, shoulders]).members.count == 2)
    }

    /// A tree's crown over a parked car is too high to be its roof; a wide roof beside a tall van
    /// (whose top reaches past the roof's bottom) does not stack on it either.
    @Test func canopiesAndTallNeighboursStayApart() {
        let car = block(stride(from: 20.0, through: 24.0, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.3))
        let crown = block(stride(from: 24.6, through: 26.6, by: 0.1), stride(from: -1.0, through: 1.0, by: 0.1), stride(from: 2.5, through: 3.3, by: 0.4))
        #expect(clusters([car, crown]).members.count == 2)
        let van = block(stride(from: 20.0, through: 25.0, by: 0.1), stride(from: -1.0, through: 1.0, by: 0.1), stride(from: 0.3, through: 2.3, by: 0.4))
        let roof = block(stride(from: 25.8, through: 27.4, by: 0.1), stride(from: -0.7, through: 0.7, by: 0.1), stride(from: 1.1, through: 1.5, by: 0.2))
        #expect(clusters([van, roof]).members.count == 2)
    }

    /// A car seen from ahead at 20 m: its bumper and bonnet (up to 0.9 m) and, 1 m further, its
    /// cabin behind the windscreen. The low front joins the cabin behind it; a low wall beside a car
    /// (too long to be a car's front) and a kerbside post (too small) do not.
    @Test func frontJoinsTheCabinBehindIt() {
        let front = block(stride(from: 20.0, through: 20.3, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        let cabin = block(stride(from: 21.3, through: 24.0, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 1.5, by: 0.3))
        #expect(clusters([front, cabin]).members.count == 1)
        // The same front behind the cabin (farther from the sensor) is not its front.
        let behind = block(stride(from: 25.0, through: 25.3, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        #expect(clusters([cabin, behind]).members.count == 2)
        let wall = block(stride(from: 19.0, through: 20.0, by: 0.1), stride(from: -3.0, through: 3.0, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        #expect(clusters([wall, cabin]).members.count == 2)
        let post = block(stride(from: 20.2, through: 20.3, by: 0.1), stride(from: 0.0, through: 0.1, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        #expect(clusters([post, cabin]).members.count == 2)
    }

    /// Two roofs in a row join at most one body each, and the result fits a van's length.
    @Test func joinedClustersStayVehicleSized() {
        let rear = block(stride(from: 20.0, through: 20.1, by: 0.1), stride(from: -0.8, through: 0.8, by: 0.1), stride(from: 0.3, through: 0.9, by: 0.2))
        let roof = block(stride(from: 21.1, through: 22.7, by: 0.1), stride(from: -0.7, through: 0.7, by: 0.1), stride(from: 1.1, through: 1.5, by: 0.2))
        let farRoof = block(stride(from: 23.9, through: 27.5, by: 0.1), stride(from: -0.7, through: 0.7, by: 0.1), stride(from: 1.1, through: 1.5, by: 0.2))
        let result = clusters([rear, roof, farRoof])
        #expect(result.members.count == 2)
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

public import CuboidGeometry
import CuboidKernels
public import CuboidPointClouds
import Foundation

/// Settings of the lidar odometry (frame-to-map registration). Every key is optional in JSON and
/// falls back to the default documented here.
public struct OdometryConfiguration: Sendable, Hashable, Codable {
    /// Returns farther than this from the sensor are dropped; also the radius of the local map kept
    /// around the sensor, metres. Default 100.
    public var maximumRange: Double = 100
    /// Returns nearer than this are dropped (the vehicle itself, its roof rack), metres. Default 3.
    public var minimumRange: Double = 3
    /// Edge of the map's voxels, metres. Each sweep is thinned to one return per half voxel before it
    /// enters the map, and to one per 1.5 voxels for registration. Default 1.
    public var voxelSize: Double = 1
    /// Returns kept per map voxel. Default 20.
    public var pointsPerVoxel: Int = 20
    /// Correspondence distance used until the motion model has errors to learn from, metres. Default 2.
    public var initialThreshold: Double = 2
    /// The adaptive correspondence distance never drops below this, metres. Default 0.5.
    public var minimumThreshold: Double = 0.5
    /// A sweep whose sensor moved less than this (metres, plus the rotation's arc at maximum range)
    /// does not teach the adaptive threshold. Default 0.1.
    public var minimumMotion: Double = 0.1
    /// Gauss-Newton iterations per sweep at most. Default 100.
    public var maximumIterations: Int = 100
    /// Registration stops when a step is smaller than this (metres and radians, Euclidean norm of
    /// the 6-vector). Default 1e-4.
    public var convergence: Double = 1e-4
    /// Fewer correspondences than this keep the constant-velocity prediction. Default 30.
    public var minimumCorrespondences: Int = 30
    /// Point-to-plane residuals where the map voxel's points lie on a plane (see `planarity`), so
    /// the ground's lidar rings, which move with the sensor, cannot hold the sweep back; point-to-point
    /// elsewhere. Default true.
    public var pointToPlane: Bool = true
    /// A voxel is a plane when the smallest eigenvalue of its points' scatter is below this fraction
    /// of the three's sum and the middle one above it. Default 0.05.
    public var planarity: Double = 0.05
    /// Motion-compensate (deskew) sweeps whose points carry a `timestamp` attribute. Default true.
    public var deskew: Bool = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OdometryConfiguration()
        maximumRange = try c.decodeIfPresent(Double.self, forKey: .maximumRange) ?? d.maximumRange
        minimumRange = try c.decodeIfPresent(Double.self, forKey: .minimumRange) ?? d.minimumRange
        voxelSize = try c.decodeIfPresent(Double.self, forKey: .voxelSize) ?? d.voxelSize
        pointsPerVoxel = try c.decodeIfPresent(Int.self, forKey: .pointsPerVoxel) ?? d.pointsPerVoxel
        initialThreshold = try c.decodeIfPresent(Double.self, forKey: .initialThreshold) ?? d.initialThreshold
        minimumThreshold = try c.decodeIfPresent(Double.self, forKey: .minimumThreshold) ?? d.minimumThreshold
        minimumMotion = try c.decodeIfPresent(Double.self, forKey: .minimumMotion) ?? d.minimumMotion
        maximumIterations = try c.decodeIfPresent(Int.self, forKey: .maximumIterations) ?? d.maximumIterations
        convergence = try c.decodeIfPresent(Double.self, forKey: .convergence) ?? d.convergence
        minimumCorrespondences = try c.decodeIfPresent(Int.self, forKey: .minimumCorrespondences) ?? d.minimumCorrespondences
        pointToPlane = try c.decodeIfPresent(Bool.self, forKey: .pointToPlane) ?? d.pointToPlane
        planarity = try c.decodeIfPresent(Double.self, forKey: .planarity) ?? d.planarity
        deskew = try c.decodeIfPresent(Bool.self, forKey: .deskew) ?? d.deskew
    }
}

/// What happened to one sweep.
public struct OdometryStep: Sendable, Hashable {
    /// World-from-lidar pose of the sweep (world = the first sweep's lidar frame, metres).
    public var pose: RigidPose
    /// Returns used for registration after range filtering and thinning.
    public var sourcePoints: Int
    /// Correspondences in the last Gauss-Newton iteration (0 for the first sweep).
    public var correspondences: Int
    /// Gauss-Newton iterations run.
    public var iterations: Int
    /// Whether the sweep was motion-compensated with its per-point timestamps.
    public var deskewed: Bool
    /// Whether registration was skipped (first sweep, too few returns or correspondences) and the
    /// constant-velocity prediction kept.
    public var predicted: Bool
}

/// Frame-to-map lidar odometry: registers each sweep against a local voxel map of the earlier ones
/// with robust ICP (point-to-plane where the map is planar, point-to-point elsewhere), starting from a constant-velocity prediction, with a
/// correspondence distance that adapts to how wrong that prediction has been.
///
/// Poses are world-from-lidar, the world being the first sweep's lidar frame (x forward, y left,
/// z up at the first sweep; metres, right-handed). The result does not depend on `threads`: the
/// normal equations are summed per fixed block of points, blocks in order.
public struct LidarOdometer: Sendable {
    public let configuration: OdometryConfiguration
    public let threads: Int
    private var map: VoxelMap
    private var poses: [Rigid] = []
    private var sumSquaredModelError = 0.0, modelErrorSamples = 0

    public init(configuration: OdometryConfiguration = OdometryConfiguration(), threads: Int = 1) {
        precondition(threads >= 1, "threads must be at least 1")
        precondition(configuration.voxelSize > 0 && configuration.maximumRange > configuration.minimumRange, "voxel size > 0 and a non-empty range")
        self.configuration = configuration
        self.threads = threads
        map = VoxelMap(voxelSize: configuration.voxelSize, pointsPerVoxel: configuration.pointsPerVoxel)
        map.planarity = configuration.pointToPlane ? configuration.planarity : 0
    }

    /// The poses so far, one per registered sweep.
    public var trajectory: [RigidPose] { poses.map(\.pose) }

    /// The correspondence distance the next sweep will use, metres.
    public var threshold: Double {
        guard modelErrorSamples > 0 else { return configuration.initialThreshold }
        return max(configuration.minimumThreshold, 3 * (sumSquaredModelError / Double(modelErrorSamples)).squareRoot())
    }

    /// Registers the next sweep (lidar frame, metres) and returns its world-from-lidar pose.
    public mutating func register(_ cloud: PointCloud) -> OdometryStep {
        let c = configuration
        // The constant-velocity model: the last relative motion again.
        let delta = poses.count >= 2 ? poses[poses.count - 2].inverse.composed(with: poses[poses.count - 1]) : Rigid.identity
        let last = poses.last ?? .identity
        let prediction = last.composed(with: delta)

        var points = filtered(cloud)
        var deskewed = false
        if c.deskew, let times = pointTimes(cloud, keeping: points.kept) {
            deskew(&points.values, times: times, motion: delta)
            deskewed = true
        }
        let frame = voxelDownsample(points.values, size: 0.5 * c.voxelSize)
        let source = voxelDownsample(frame, size: 1.5 * c.voxelSize)

        var step = OdometryStep(pose: prediction.pose, sourcePoints: source.count, correspondences: 0, iterations: 0, deskewed: deskewed, predicted: true)
        var pose = prediction
        if !map.isEmpty, source.count >= c.minimumCorrespondences {
            let sigma = threshold / 3
            let result = align(source, guess: prediction, maximumDistance: 3 * sigma, kernel: sigma / 3)
            step.iterations = result.iterations
            step.correspondences = result.correspondences
            if result.correspondences >= c.minimumCorrespondences {
                // Through the unit quaternion, so rounding never lets the rotation stop being one
                // (the constant-velocity model multiplies by an inverse taken as the transpose).
                pose = Rigid(result.pose.pose)
                step.predicted = false
            }
            // Teach the threshold how far the prediction was off, when the sensor moved.
            let correction = prediction.inverse.composed(with: pose)
            let motion = modelError(delta)
            if motion > c.minimumMotion || poses.count < 2 {
                let error = modelError(correction)
                sumSquaredModelError += error * error
                modelErrorSamples += 1
            }
        } else if map.isEmpty {
            step.predicted = poses.isEmpty ? false : true
        }
        step.pose = pose.pose
        poses.append(pose)
        if !frame.isEmpty {
            map.add(frame.map { pose.apply($0) })
            map.removeFar(from: pose.t, radius: c.maximumRange)
        }
        return step
    }

    /// Takes the next sweep as missing (one that could not be read): its pose is the
    /// constant-velocity prediction (the last relative motion again; the identity for the first
    /// sweep), the map and the correspondence distance stay as they were, and the next sweep is
    /// predicted from the same motion over the gap.
    public mutating func coast() -> OdometryStep {
        let delta = poses.count >= 2 ? poses[poses.count - 2].inverse.composed(with: poses[poses.count - 1]) : Rigid.identity
        let pose = (poses.last ?? .identity).composed(with: delta)
        poses.append(pose)
        return OdometryStep(pose: pose.pose, sourcePoints: 0, correspondences: 0, iterations: 0, deskewed: false, predicted: true)
    }

    /// How far a motion moves the farthest return: translation plus the rotation's arc at maximum range.
    private func modelError(_ motion: Rigid) -> Double {
        let t = (motion.t * motion.t).sum().squareRoot()
        return t + 2 * configuration.maximumRange * sin(motion.angle / 2)
    }

    /// Returns inside the range limits (finite only), as doubles, with their indices.
    private func filtered(_ cloud: PointCloud) -> (values: [SIMD3<Double>], kept: [Int]) {
        let lo = configuration.minimumRange * configuration.minimumRange, hi = configuration.maximumRange * configuration.maximumRange
        var values: [SIMD3<Double>] = [], kept: [Int] = []
        values.reserveCapacity(cloud.count)
        kept.reserveCapacity(cloud.count)
        for i in 0..<cloud.count {
            let p = SIMD3<Double>(cloud[position: i])
            let r = (p * p).sum()
            if r >= lo, r <= hi, r.isFinite {
                values.append(p)
                kept.append(i)
            }
        }
        return (values, kept)
    }

    /// Each kept point's time as a fraction 0...1 of the sweep, when the cloud has a `timestamp`
    /// attribute that spans some time; else nil.
    private func pointTimes(_ cloud: PointCloud, keeping kept: [Int]) -> [Double]? {
        guard let attribute = cloud.attribute(named: StandardAttribute.timestamp), attribute.values.count == cloud.count, !kept.isEmpty else { return nil }
        let times = kept.map { attribute.values[$0] }
        guard let lo = times.min(), let hi = times.max(), hi > lo, (hi - lo).isFinite else { return nil }
        return times.map { ($0 - lo) / (hi - lo) }
    }

    /// Moves every point to where it would have been seen at mid-sweep, assuming the sweep's motion
    /// is `motion` (the last relative motion, constant velocity) spread evenly over the sweep.
    private func deskew(_ points: inout [SIMD3<Double>], times: [Double], motion: Rigid) {
        for i in points.indices {
            points[i] = motion.scaled(times[i] - 0.5).apply(points[i])
        }
    }

    /// Robust point-to-point ICP (Gauss-Newton, Geman-McClure weights) of `source` (lidar frame)
    /// against the map, from `guess`.
    private func align(_ source: [SIMD3<Double>], guess: Rigid, maximumDistance: Double, kernel: Double) -> (pose: Rigid, iterations: Int, correspondences: Int) {
        var pose = guess
        var world = source.map { guess.apply($0) }
        let block = 256
        let blocks = (world.count + block - 1) / block
        let limit = maximumDistance * maximumDistance, k2 = kernel * kernel
        var iterations = 0, correspondences = 0
        for _ in 0..<configuration.maximumIterations {
            iterations += 1
            // Linearise about the sensor's position so the rotation's lever arms stay short.
            let centre = pose.t
            let partial: [NormalEquations] = map.withView { map in world.withUnsafeBufferPointer { points in
                parallelArray(count: blocks, threads: threads, chunkSize: 1) { range, out in
                    for b in range {
                        var sums = NormalEquations()
                        for i in (b * block)..<min(points.count, (b + 1) * block) {
                            let p = points[i]
                            let found = map.nearest(to: p, limit: limit)
                            guard found.distanceSquared < limit else { continue }
                            let r = p - found.point
                            if found.normal.w > 0 {
                                let n = SIMD3<Double>(Double(found.normal.x), Double(found.normal.y), Double(found.normal.z))
                                let distance = (n * r).sum()
                                let weight = k2 / ((kernel + distance * distance) * (kernel + distance * distance))
                                sums.add(p - centre, normal: n, residual: distance, weight: weight)
                            } else {
                                let weight = k2 / ((kernel + (r * r).sum()) * (kernel + (r * r).sum()))
                                sums.add(p - centre, residual: r, weight: weight)
                            }
                        }
                        (out.baseAddress! + b).initialize(to: sums)
                    }
                }
            } }
            var total = NormalEquations()
            for p in partial { total.merge(p) }
            correspondences = total.count
            guard total.count >= configuration.minimumCorrespondences, let step = total.solve() else { break }
            // x -> centre + R (x - centre) + t
            var update = Rigid.rotation(SIMD3(step[3], step[4], step[5]))
            update.t = centre + SIMD3(step[0], step[1], step[2]) - update.rotate(centre)
            pose = update.composed(with: pose)
            for i in world.indices { world[i] = update.apply(world[i]) }
            let norm = step.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm < configuration.convergence { break }
        }
        return (pose, iterations, correspondences)
    }
}

/// Gauss-Newton normal equations of point-to-point residuals (J = [I, -[p]x] per point) and
/// point-to-plane ones (J = n^T [I, -[p]x]) under a left perturbation (translation, rotation vector).
private struct NormalEquations {
    var h0 = SIMD8<Double>(), h1 = SIMD8<Double>(), h2 = SIMD8<Double>(), h3 = SIMD8<Double>(), h4 = SIMD8<Double>(), h5 = SIMD8<Double>()
    var b = SIMD8<Double>()
    var count = 0

    @inline(__always)
    mutating func add(_ p: SIMD3<Double>, residual r: SIMD3<Double>, weight w: Double) {
        let j0 = SIMD8<Double>(1, 0, 0, 0, p.z, -p.y, 0, 0)
        let j1 = SIMD8<Double>(0, 1, 0, -p.z, 0, p.x, 0, 0)
        let j2 = SIMD8<Double>(0, 0, 1, p.y, -p.x, 0, 0, 0)
        accumulate(w * j0, j0)
        accumulate(w * j1, j1)
        accumulate(w * j2, j2)
        b += w * (r.x * j0 + r.y * j1 + r.z * j2)
        count += 1
    }

    /// A point-to-plane residual `n . (p - q)`: J = [n, p x n].
    @inline(__always)
    mutating func add(_ p: SIMD3<Double>, normal n: SIMD3<Double>, residual r: Double, weight w: Double) {
        let c = SIMD3(p.y * n.z - p.z * n.y, p.z * n.x - p.x * n.z, p.x * n.y - p.y * n.x)
        let j = SIMD8<Double>(n.x, n.y, n.z, c.x, c.y, c.z, 0, 0)
        accumulate(w * j, j)
        b += (w * r) * j
        count += 1
    }

    @inline(__always)
    private mutating func accumulate(_ wj: SIMD8<Double>, _ j: SIMD8<Double>) {
        h0 += wj[0] * j; h1 += wj[1] * j; h2 += wj[2] * j
        h3 += wj[3] * j; h4 += wj[4] * j; h5 += wj[5] * j
    }

    mutating func merge(_ other: NormalEquations) {
        h0 += other.h0; h1 += other.h1; h2 += other.h2; h3 += other.h3; h4 += other.h4; h5 += other.h5
        b += other.b
        count += other.count
    }

    /// The step minimising the weighted squared residuals, with a tiny damping so a direction the
    /// scene does not constrain (a corridor's axis) stays where the prediction put it.
    func solve() -> [Double]? {
        let rows = [h0, h1, h2, h3, h4, h5]
        let trace = (0..<6).reduce(0) { $0 + rows[$1][$1] }
        var a = [Double](repeating: 0, count: 36)
        for i in 0..<6 {
            for j in 0..<6 { a[i * 6 + j] = rows[i][j] }
            a[i * 6 + i] += 1e-6 * trace / 6
        }
        guard let x = solveSymmetricPositiveDefinite(a, (0..<6).map { -b[$0] }) else { return nil }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}

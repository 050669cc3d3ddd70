import CuboidFormats
import CuboidGeometry
import Foundation

/// A synthetic world built from a ``SceneDescription``: the road and ground, static clutter, the
/// actors with their motion, the ego's drive and the sensor rig.
///
/// The world frame is x east, y north, z up (metres); the road's centreline starts 100 km west of
/// the ego's start, so traffic has road behind it. Layout is drawn block by block (100 m of road at a
/// time, each block from its own random stream), so the first frames of a 3-frame and of a
/// 1,000-frame run are identical.
public struct SyntheticWorld: Sendable {
    /// The scene it was built from.
    public let scene: SceneDescription
    /// Number of frames it was laid out for.
    public let frameCount: Int
    /// The rig's calibration in KITTI's form: rectified camera projections, Velodyne-to-camera and
    /// IMU-to-Velodyne transforms.
    public let calibration: KITTICalibration
    /// The rendered camera (`image_02`), posed in the lidar frame.
    public let camera: Camera

    let road: RoadPath
    let ground: Ground
    let parts: [Part]
    let statics: [Solid]
    let actors: [Actor]
    let egoStartS: Double
    let egoLateral: Double
    /// Bound of the range noise (metres), and the margins derived from it.
    let noiseBound: Double
    let sideMargin: Double
    let floorMargin: Double

    static let leadLength = 100_000.0
    static let blockLength = 100.0

    /// Lays out the world for `frameCount` frames.
    /// - Precondition: `frameCount >= 1`.
    public init(scene: SceneDescription, frameCount: Int) {
        precondition(frameCount >= 1, "frameCount must be at least 1")
        self.scene = scene
        self.frameCount = frameCount
        let road = RoadPath([.straight(length: Self.leadLength)] + scene.ego.path + [.straight(length: Self.leadLength)])
        self.road = road
        let laneCount = scene.road.lanesPerDirection
        let egoLane = min(scene.ego.lane ?? (laneCount - 1), laneCount - 1)
        egoStartS = Self.leadLength
        let egoLateral = -(Double(egoLane) + 0.5) * scene.road.laneWidth
        self.egoLateral = egoLateral
        let start = road.place(s: egoStartS, d: egoLateral).position
        let halfWidth = scene.road.halfWidth
        ground = Ground(origin: start, grade: scene.road.grade, curvature: scene.road.curvature, kerbHeight: scene.road.kerbHeight,
                        roadHalfWidth: halfWidth, road: road)
        noiseBound = 2 * 3.0.squareRoot() * scene.lidar.rangeNoise
        sideMargin = noiseBound + 0.002
        // Rays reach actors at most ~30 degrees below the horizon, so noise moves a return vertically by
        // at most half the bound.
        floorMargin = noiseBound * 0.5 + 0.002

        (calibration, camera) = Self.rig(scene)

        var builder = WorldBuilder(scene: scene, road: road, ground: ground, sideMargin: sideMargin, floorMargin: floorMargin)
        let duration = Double(frameCount - 1) / scene.frameRate
        let cullRadius = scene.lidar.maximumRange + 40
        builder.build(egoStartS: egoStartS, egoSpeed: scene.ego.speed, egoLane: egoLane, duration: duration, cullRadius: cullRadius)
        parts = builder.parts
        statics = builder.statics
        actors = builder.orderedActors(frameCount: frameCount, frameRate: scene.frameRate, labelRange: scene.labelRange,
                                       egoPosition: { t in road.place(s: Self.leadLength + scene.ego.speed * t, d: egoLateral).position })
    }

    // MARK: - Time and poses

    /// Seconds from frame 0 to frame `index`'s reference time (when the lidar faces forward and the
    /// camera fires).
    public func time(ofFrame index: Int) -> Double { Double(index) / scene.frameRate }

    /// World-from-lidar pose at `time` seconds: the ego drives its lane at constant speed, level with
    /// the road surface under it, the lidar `mountHeight` above that surface.
    public func lidarPose(at time: Double) -> RigidPose {
        let placed = road.place(s: egoStartS + scene.ego.speed * time, d: egoLateral)
        let p = placed.position
        let normal = ground.normal(p)
        let heading = SIMD3(cos(placed.heading), sin(placed.heading), 0)
        var forward = heading - normal * (heading * normal).sum()
        forward /= (forward * forward).sum().squareRoot()
        let left = SIMD3(normal.y * forward.z - normal.z * forward.y, normal.z * forward.x - normal.x * forward.z,
                         normal.x * forward.y - normal.y * forward.x)
        let rotation = Quaternion(rotationMatrix: [[forward.x, left.x, normal.x], [forward.y, left.y, normal.y], [forward.z, left.z, normal.z]])
        let base = SIMD3(p.x, p.y, ground.roadHeight(p))
        return RigidPose(rotation: rotation, translation: base + normal * scene.lidar.mountHeight)
    }

    /// An actor's placement at `time`: the centre of its cuboid's bottom face and its yaw (world frame).
    /// Actors stand level, their bottom `floorMargin` above the highest ground under their footprint.
    func placement(of actor: Actor, at time: Double) -> (base: SIMD3<Double>, yaw: Double) {
        let motion = actor.motion
        let placed = road.place(s: motion.startS + motion.speed * time, d: motion.lateral)
        let yaw = placed.heading + motion.yawOffset
        let c = cos(yaw), s = sin(yaw)
        let hx = actor.size.x / 2, hy = actor.size.y / 2
        var highest = -Double.infinity
        for (u, v) in [(0.0, 0.0), (1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)] {
            let x = placed.position.x + c * u * hx - s * v * hy, y = placed.position.y + s * u * hx + c * v * hy
            highest = max(highest, ground.height(SIMD2(x, y)))
        }
        return (SIMD3(placed.position.x, placed.position.y, highest + floorMargin), yaw)
    }

    /// Whether an actor's centre is within `radius` (horizontally) of `center` at `time`.
    func isNear(_ actor: Actor, _ center: SIMD2<Double>, _ radius: Double, at time: Double) -> Bool {
        let offset = road.place(s: actor.motion.startS + actor.motion.speed * time, d: actor.motion.lateral).position - center
        return (offset * offset).sum() < radius * radius
    }

    /// An actor's gold cuboid in the world frame at `time` (upright: yaw only).
    func worldCuboid(of actor: Actor, at time: Double) -> Box3D {
        let (base, yaw) = placement(of: actor, at: time)
        return Box3D(center: base + SIMD3(0, 0, actor.size.z / 2), size: actor.size, yaw: yaw)
    }

    /// The solids within `radius` of `center` at `time`: static clutter, then actors.
    func solids(near center: SIMD2<Double>, radius: Double, at time: Double) -> [Solid] {
        var out: [Solid] = []
        for solid in statics {
            let offset = SIMD2(solid.origin.x, solid.origin.y) - center
            if (offset * offset).sum().squareRoot() < radius + solid.radius { out.append(solid) }
        }
        for actor in actors {
            let reach = (actor.size.x * actor.size.x + actor.size.y * actor.size.y).squareRoot() / 2
            guard isNear(actor, center, radius + reach, at: time) else { continue }
            let (base, yaw) = placement(of: actor, at: time)
            out.append(Solid(origin: base, cosYaw: cos(yaw), sinYaw: sin(yaw), parts: actor.parts, radius: reach,
                             actor: Int32(actor.id), colour: actor.colour, reflectivity: actor.reflectivity))
        }
        return out
    }

    // MARK: - The rig

    /// KITTI-like calibration: camera 0 `position` in the lidar frame, looking along the lidar's x with
    /// a small misalignment; cameras 1-3 on the rectified baseline; the IMU behind and below the lidar.
    static func rig(_ scene: SceneDescription) -> (KITTICalibration, Camera) {
        let setup = scene.camera
        let f = setup.focalLength, cx = setup.principalPoint.x, cy = setup.principalPoint.y
        // Camera axes (x right, y down, z forward) from lidar axes (x forward, y left, z up).
        let axes = Quaternion(rotationMatrix: [[0, -1, 0], [0, 0, -1], [1, 0, 0]])
        let degrees = setup.misalignment * (.pi / 180)
        let misalignment = Quaternion(axis: SIMD3(1, 0, 0), angle: degrees.x) * Quaternion(axis: SIMD3(0, 1, 0), angle: degrees.y)
            * Quaternion(axis: SIMD3(0, 0, 1), angle: degrees.z)
        let rotation = misalignment * axes
        let cameraFromLidar = RigidPose(rotation: rotation, translation: -rotation.rotate(setup.position))
        func projection(baseline: Double) -> [Double] { [f, 0, cx, f * baseline, 0, f, cy, 0, 0, 0, 1, 0] }
        let imuRotation = Quaternion(axis: SIMD3(0, 0, 1), angle: 0.0007) * Quaternion(axis: SIMD3(0, 1, 0), angle: -0.002)
            * Quaternion(axis: SIMD3(1, 0, 0), angle: 0.0148)
        let lidarFromIMU = RigidPose(rotation: imuRotation, translation: SIMD3(-0.81, 0.32, -0.8))
        let calibration = KITTICalibration(
            projections: [0: projection(baseline: 0), 1: projection(baseline: -0.54), 2: projection(baseline: setup.baseline),
                          3: projection(baseline: setup.baseline - 0.54)],
            rectification: [1, 0, 0, 0, 1, 0, 0, 0, 1], velodyneToCamera: Array(cameraFromLidar.matrix.prefix(12)),
            imuToVelodyne: Array(lidarFromIMU.matrix.prefix(12)))
        // The calibration is built from exact numbers, so its camera cannot fail.
        let camera = try! calibration.camera(2, width: setup.width, height: setup.height)
        return (calibration, camera)
    }
}

import CuboidGeometry
import CuboidImages
import CuboidKernels
import CuboidPointClouds
import Foundation

/// One lidar sweep with the actor behind every return.
public struct SyntheticSweep: Sendable {
    /// Returns in the lidar frame at the frame's reference time (de-skewed: every return is where it
    /// was when the lidar faced forward), with a float `intensity` in 0-0.99. Order: beam by beam from
    /// the top beam, each beam in firing order.
    public var cloud: PointCloud
    /// The actor id of each return, or -1 for ground and clutter.
    public var actorOfPoint: [Int32]
    /// Rays fired (beams x azimuth steps).
    public var rayCount: Int
}

/// One camera frame with the actor seen at every pixel.
public struct SyntheticImage: Sendable {
    /// 8-bit RGB.
    public var image: Image
    /// The actor id seen at each pixel (row-major), or -1.
    public var actorOfPixel: [Int32]
    /// For each actor id in view: pixels whose ray meets the actor at all, occluded or not.
    public var coveredPixels: [Int: Int]
}

extension SyntheticWorld {
    /// Renders frame `index`'s lidar sweep.
    ///
    /// The lidar spins clockwise seen from above, starting behind the vehicle, and faces forward at
    /// the frame's reference time; each firing is cast from the pose the ego has at that instant
    /// (so the scan pattern carries the ego's motion), and the returns are then expressed in the
    /// lidar frame at the reference time. Actors hold their reference-time pose for the sweep, which
    /// keeps their gold cuboids exact. Nearest hit wins; range noise is bounded; dropouts depend on
    /// surface and range.
    /// - Complexity: O(rays x solids per azimuth bin), on up to `threads` threads; the result does not
    ///   depend on `threads`.
    public func renderSweep(frame index: Int, threads: Int = Parallelism.availableCores) -> SyntheticSweep {
        precondition(threads >= 1, "threads must be at least 1")
        let lidar = scene.lidar
        let reference = time(ofFrame: index)
        let columns = max(1, Int((360 / lidar.azimuthStep).rounded()))
        let beams = lidar.elevations.count
        let referencePose = lidarPose(at: reference)
        let toReference = referencePose.inverse
        var origins = [SIMD3<Double>](), axes = [(SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)]()
        origins.reserveCapacity(columns)
        axes.reserveCapacity(columns)
        var slack = 0.0
        for column in 0..<columns {
            let t = reference + ((Double(column) + 0.5) / Double(columns) - 0.5) / scene.frameRate
            let pose = lidarPose(at: t)
            origins.append(pose.translation)
            let m = pose.rotation.rotationMatrix
            axes.append((SIMD3(m[0][0], m[1][0], m[2][0]), SIMD3(m[0][1], m[1][1], m[2][1]), SIMD3(m[0][2], m[1][2], m[2][2])))
            let offset = pose.translation - referencePose.translation
            slack = max(slack, (offset.x * offset.x + offset.y * offset.y).squareRoot())
        }
        let azimuths = (0..<columns).map { column in Double.pi - 2 * Double.pi * (Double(column) + 0.5) / Double(columns) }
        let columnDirections = azimuths.map { SIMD2(cos($0), sin($0)) }
        let beamDirections = lidar.elevations.map { SIMD2(cos($0 * .pi / 180), sin($0 * .pi / 180)) }
        let center = SIMD2(referencePose.translation.x, referencePose.translation.y)
        let caster = RayCaster(world: self, solids: solids(near: center, radius: lidar.maximumRange + slack, at: reference),
                               viewpoint: center, slack: slack + 0.01)
        let rays = beams * columns
        var x = [Float](repeating: 0, count: rays), y = x, z = x, intensity = x
        var owner = [Int32](repeating: -1, count: rays)
        var kept = [Bool](repeating: false, count: rays)
        let seed = scene.seed, frameKey = UInt64(index)
        let noiseScale = 3.0.squareRoot() * lidar.rangeNoise
        let rotationToReference = toReference.rotation.rotationMatrix
        x.withUnsafeMutableBufferPointer { xs in y.withUnsafeMutableBufferPointer { ys in z.withUnsafeMutableBufferPointer { zs in
        intensity.withUnsafeMutableBufferPointer { intensities in owner.withUnsafeMutableBufferPointer { owners in
        kept.withUnsafeMutableBufferPointer { keeps in
            nonisolated(unsafe) let (xs, ys, zs, intensities, owners, keeps) = (xs, ys, zs, intensities, owners, keeps)
            forEachChunk(count: rays, threads: threads, chunkSize: columns) { range in
                for ray in range {
                    let beam = ray / columns, column = ray % columns
                    let elevation = beamDirections[beam], azimuth = columnDirections[column]
                    let local = SIMD3(elevation.x * azimuth.x, elevation.x * azimuth.y, elevation.y)
                    let (ax, ay, az) = axes[column]
                    let direction = ax * local.x + ay * local.y + az * local.z
                    let origin = origins[column]
                    let key = counterHash(seed, frameKey, UInt64(ray), 0x11DA)
                    guard let hit = caster.cast(origin, direction, tMax: lidar.maximumRange, key: key, covered: nil) else { continue }
                    let noiseHash = counterHash(key, 0x4015E, 0, 0)
                    let facing = max(0, -(hit.normal * direction).sum())
                    var dropout = lidar.dropout + (1 - hit.reflectivity) * 0.15 * (hit.t / lidar.maximumRange) * (hit.t / lidar.maximumRange)
                    if hit.material == .glass { dropout += 0.25 }
                    if facing < 0.05 { dropout += 0.5 }
                    if unitFromHash(counterHash(key, 0xD209, 0, 0), lane: 0) < dropout { continue }
                    let noise = (unitFromHash(noiseHash, lane: 0) + unitFromHash(noiseHash, lane: 1) + unitFromHash(noiseHash, lane: 2)
                        + unitFromHash(noiseHash, lane: 3) - 2) * noiseScale
                    let world = origin + direction * (hit.t + noise)
                    let q = world - referencePose.translation
                    let m = rotationToReference
                    xs[ray] = Float(m[0][0] * q.x + m[0][1] * q.y + m[0][2] * q.z)
                    ys[ray] = Float(m[1][0] * q.x + m[1][1] * q.y + m[1][2] * q.z)
                    zs[ray] = Float(m[2][0] * q.x + m[2][1] * q.y + m[2][2] * q.z)
                    let strength = hit.reflectivity * (0.3 + 0.7 * facing) * (1 - 0.25 * hit.t / lidar.maximumRange)
                    intensities[ray] = Float((min(0.99, max(0, strength)) * 100).rounded() / 100)
                    owners[ray] = hit.actor
                    keeps[ray] = true
                }
            }
        }}}}}}
        var cloudX: [Float] = [], cloudY: [Float] = [], cloudZ: [Float] = [], cloudIntensity: [Float] = [], actors: [Int32] = []
        let count = kept.reduce(0) { $0 + ($1 ? 1 : 0) }
        cloudX.reserveCapacity(count); cloudY.reserveCapacity(count); cloudZ.reserveCapacity(count)
        cloudIntensity.reserveCapacity(count); actors.reserveCapacity(count)
        for ray in 0..<rays where kept[ray] {
            cloudX.append(x[ray]); cloudY.append(y[ray]); cloudZ.append(z[ray])
            cloudIntensity.append(intensity[ray]); actors.append(owner[ray])
        }
        let cloud = PointCloud(x: cloudX, y: cloudY, z: cloudZ,
                               attributes: [PointAttribute(name: StandardAttribute.intensity, values: .float32(cloudIntensity))])
        return SyntheticSweep(cloud: cloud, actorOfPoint: actors, rayCount: rays)
    }

    /// The camera posed in the world at frame `index`'s reference time (`cameraFromSensor` maps world
    /// points into the camera).
    public func worldCamera(frame index: Int) -> Camera {
        let worldFromCamera = lidarPose(at: time(ofFrame: index)).composed(with: camera.sensorFromCamera)
        return Camera(name: camera.name, intrinsics: camera.intrinsics, cameraFromSensor: worldFromCamera.inverse)
    }

    /// Renders frame `index`'s camera image: sky, road with lane markings, kerbs and sidewalks,
    /// clutter and actors, shaded by a fixed sun with distance haze; one ray per pixel centre, so a
    /// pixel shows exactly what lies along its ray.
    /// - Complexity: O(pixels x solids per azimuth bin), on up to `threads` threads; the result does
    ///   not depend on `threads`.
    public func renderImage(frame index: Int, threads: Int = Parallelism.availableCores) -> SyntheticImage {
        precondition(threads >= 1, "threads must be at least 1")
        let posed = worldCamera(frame: index)
        let worldFromCamera = posed.sensorFromCamera
        let origin = worldFromCamera.translation
        let m = worldFromCamera.rotation.rotationMatrix
        let k = posed.intrinsics
        let width = k.width, height = k.height
        let center = SIMD2(origin.x, origin.y)
        let reach = scene.lidar.maximumRange + 60
        let solids = solids(near: center, radius: reach, at: time(ofFrame: index))
        let caster = RayCaster(world: self, solids: solids, viewpoint: center, slack: 0.01)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var owner = [Int32](repeating: -1, count: width * height)
        let rowsPerChunk = 4
        let chunkCount = (height + rowsPerChunk - 1) / rowsPerChunk
        var covered = [Int32](repeating: 0, count: chunkCount * max(solids.count, 1))
        let sun = SIMD3(0.35, 0.25, 0.9) / (0.35 * 0.35 + 0.25 * 0.25 + 0.81).squareRoot()
        let horizon = SIMD3(0.78, 0.84, 0.92), zenith = SIMD3(0.32, 0.5, 0.82)
        let seed = scene.seed, frameKey = UInt64(index)
        let solidCount = solids.count
        rgb.withUnsafeMutableBufferPointer { pixels in owner.withUnsafeMutableBufferPointer { owners in
        covered.withUnsafeMutableBufferPointer { coveredCounts in
            nonisolated(unsafe) let (pixels, owners, coveredCounts) = (pixels, owners, coveredCounts)
            forEachChunk(count: height, threads: threads, chunkSize: rowsPerChunk) { rows in
                let chunk = rows.lowerBound / rowsPerChunk
                let counts = UnsafeMutableBufferPointer(rebasing: coveredCounts[(chunk * solidCount)..<((chunk + 1) * solidCount)])
                for row in rows {
                    for column in 0..<width {
                        let v = (Double(row) + 0.5 - k.cy) / k.fy
                        let u = (Double(column) + 0.5 - k.cx - k.skew * v) / k.fx
                        var direction = SIMD3(m[0][0] * u + m[0][1] * v + m[0][2], m[1][0] * u + m[1][1] * v + m[1][2], m[2][0] * u + m[2][1] * v + m[2][2])
                        direction /= (direction * direction).sum().squareRoot()
                        let pixel = row * width + column
                        let key = counterHash(seed, frameKey, UInt64(pixel), 0xCA3E)
                        var colour: SIMD3<Double>
                        if let hit = caster.cast(origin, direction, tMax: reach, key: key, covered: counts) {
                            let light = 0.42 + 0.58 * max(0, (hit.normal * sun).sum())
                            colour = hit.colour * light
                            let haze = 1 - exp(-hit.t / 300)
                            colour = colour * (1 - haze) + horizon * haze
                            owners[pixel] = hit.actor
                        } else {
                            let rise = min(1, max(0, direction.z * 3))
                            colour = horizon * (1 - rise) + zenith * rise
                        }
                        for channel in 0..<3 { pixels[pixel * 3 + channel] = SRGB.encode(colour[channel]) }
                    }
                }
            }
        }}}
        var coveredByActor: [Int: Int] = [:]
        for (slot, solid) in solids.enumerated() where solid.actor >= 0 {
            var total = 0
            for chunk in 0..<chunkCount { total += Int(covered[chunk * solidCount + slot]) }
            if total > 0 { coveredByActor[Int(solid.actor)] = total }
        }
        return SyntheticImage(image: Image(width: width, height: height, layout: .rgb, samples: .eightBit(rgb)), actorOfPixel: owner,
                              coveredPixels: coveredByActor)
    }
}

/// Linear light to 8-bit sRGB through a table.
enum SRGB {
    static let table: [UInt8] = (0..<4096).map { index in
        let linear = Double(index) / 4095
        let encoded = linear <= 0.0031308 ? 12.92 * linear : 1.055 * pow(linear, 1 / 2.4) - 0.055
        return UInt8(min(255, max(0, (encoded * 255).rounded())))
    }

    @inline(__always)
    static func encode(_ linear: Double) -> UInt8 {
        table[Int(min(1, max(0, linear)) * 4095)]
    }
}

/// Casts rays against the ground and the solids near one viewpoint.
struct RayCaster: Sendable {
    let ground: Ground
    let solids: [Solid]
    let parts: [Part]
    let index: AzimuthIndex
    let road: SceneDescription.Road

    init(world: SyntheticWorld, solids: [Solid], viewpoint: SIMD2<Double>, slack: Double) {
        ground = world.ground
        self.solids = solids
        parts = world.parts
        index = AzimuthIndex(solids: solids, viewpoint: viewpoint, slack: slack)
        road = world.scene.road
    }

    /// The nearest hit along `origin + t * direction`, `t` in `(0, tMax)`. `covered`, when given,
    /// counts one for every solid the ray meets at all (by slot in `solids`).
    @inline(__always)
    func cast(_ origin: SIMD3<Double>, _ direction: SIMD3<Double>, tMax: Double, key: UInt64,
              covered: UnsafeMutableBufferPointer<Int32>?) -> RayHit? {
        var best = tMax
        var hit: RayHit?
        if let g = ground.intersect(origin, direction, tMax: best) {
            best = g.t
            let material: Material
            switch g.kind {
            case .road(let distance): material = isMarking(distance) ? .marking : .asphalt
            case .sidewalk: material = .sidewalk
            case .kerb: material = .kerb
            }
            hit = RayHit(t: g.t, normal: g.normal, material: material, colour: material.colour, reflectivity: material.reflectivity, actor: -1)
        }
        let bin = index.bin(direction)
        let horizontal = (direction.x * direction.x + direction.y * direction.y).squareRoot()
        for item in index.items[Int(index.starts[bin])..<Int(index.starts[bin + 1])] {
            let solid = solids[Int(item)]
            let q = origin - solid.origin
            let c = solid.cosYaw, s = solid.sinYaw
            let lo = SIMD3(c * q.x + s * q.y, -s * q.x + c * q.y, q.z)
            // Horizontal miss: the ray's line passes further than the radius from the solid's axis.
            if horizontal > 1e-12 {
                let miss = abs(q.x * direction.y - q.y * direction.x) / horizontal
                if miss > solid.radius { continue }
            }
            let ld = SIMD3(c * direction.x + s * direction.y, -s * direction.x + c * direction.y, direction.z)
            let inverse = SIMD3(1 / Self.nonZero(ld.x), 1 / Self.nonZero(ld.y), 1 / Self.nonZero(ld.z))
            let porousKey = counterHash(key, UInt64(item), 0xF011, 0)
            var touched = false
            for partIndex in solid.parts {
                let part = parts[partIndex]
                guard let found = intersect(part, lo, ld, inverse, tMax: covered == nil ? best : tMax, porousKey: porousKey) else { continue }
                touched = true
                guard found.t < best else { continue }
                best = found.t
                var normal = SIMD3(c * found.normal.x - s * found.normal.y, s * found.normal.x + c * found.normal.y, found.normal.z)
                if (normal * direction).sum() > 0 { normal = -normal }
                let colour = part.material == .paint || part.material == .foliage ? solid.colour : part.material.colour
                let reflectivity = part.material == .paint ? solid.reflectivity : part.material.reflectivity
                hit = RayHit(t: found.t, normal: normal, material: part.material, colour: colour, reflectivity: reflectivity, actor: solid.actor)
            }
            if touched, let covered { covered[Int(item)] += 1 }
        }
        return hit
    }

    @inline(__always)
    private static func nonZero(_ value: Double) -> Double {
        abs(value) > 1e-30 ? value : (value.sign == .minus ? -1e-30 : 1e-30)
    }

    /// Lane markings: the centre line, lines between lanes and the edge line before the bike lane.
    @inline(__always)
    private func isMarking(_ distance: Double) -> Bool {
        if distance < 0.1 { return true }
        let lanes = Double(road.lanesPerDirection) * road.laneWidth
        if abs(distance - lanes) < 0.08 { return true }
        let lane = distance / road.laneWidth
        let nearest = lane.rounded()
        return nearest >= 1 && nearest < Double(road.lanesPerDirection) && abs(lane - nearest) * road.laneWidth < 0.06
    }
}

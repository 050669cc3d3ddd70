import Foundation

/// Lays out clutter and traffic along the road, 100 m block by 100 m block, each block from a random
/// stream keyed by (seed, what, side or lane, block), so a block's contents do not depend on which
/// other blocks were laid out.
struct WorldBuilder {
    let scene: SceneDescription
    let road: RoadPath
    let ground: Ground
    let sideMargin: Double
    let floorMargin: Double
    private(set) var parts: [Part] = []
    private(set) var statics: [Solid] = []
    /// Actors with a stable key (what, side/lane, block, index in block) for ordering.
    private var pending: [(key: [Int], actor: Actor)] = []

    init(scene: SceneDescription, road: RoadPath, ground: Ground, sideMargin: Double, floorMargin: Double) {
        self.scene = scene
        self.road = road
        self.ground = ground
        self.sideMargin = sideMargin
        self.floorMargin = floorMargin
    }

    private enum Kind: Int { case parked = 1, moving, cyclist, pedestrian, pole, tree, bush, building }

    private func random(_ kind: Kind, _ lane: Int, _ block: Int) -> SceneRandom {
        SceneRandom(seed: scene.seed, key: UInt64(kind.rawValue) << 48 ^ UInt64(lane & 0xFFFF) << 32 ^ UInt64(UInt32(bitPattern: Int32(block))))
    }

    /// Blocks whose road might hold something within `cullRadius` of the ego during the run, for
    /// things moving at `speed` along the road.
    private func blocks(egoStartS: Double, egoSpeed: Double, duration: Double, speed: Double, cullRadius: Double) -> ClosedRange<Int> {
        let relative = (egoSpeed - speed) * duration
        let low = egoStartS - cullRadius + min(0, relative), high = egoStartS + cullRadius + max(0, relative)
        return Int((low / WorldBuilder.blockLength).rounded(.down))...Int((high / WorldBuilder.blockLength).rounded(.down))
    }

    private static let blockLength = SyntheticWorld.blockLength

    mutating func build(egoStartS: Double, egoSpeed: Double, egoLane: Int, duration: Double, cullRadius: Double) {
        let r = scene.road
        let halfWidth = r.halfWidth
        let staticBlocks = blocks(egoStartS: egoStartS, egoSpeed: egoSpeed, duration: duration, speed: 0, cullRadius: cullRadius)
        for side in [-1, 1] {
            let sign = Double(side), sideKey = side < 0 ? 0 : 1
            // Clutter.
            for block in staticBlocks {
                placeClutter(block: block, side: sideKey, sign: sign, halfWidth: halfWidth)
            }
            // Parked vehicles, facing the direction of travel on their side.
            if scene.traffic.parked.values.contains(where: { $0 > 0 }) {
                let lateral = sign * (halfWidth - r.parkingLaneWidth / 2)
                for block in staticBlocks {
                    placeVehicles(kind: .parked, lane: sideKey, block: block, densities: scene.traffic.parked, lateral: lateral, speed: 0,
                                  yawOffset: side < 0 ? 0 : .pi, minimumGap: 1.2,
                                  allowed: (halfWidth - r.parkingLaneWidth - 0.25)...(halfWidth - 0.1))
                }
            }
            // Travel lanes: right side with the road, left side against it.
            for lane in 0..<r.lanesPerDirection {
                let speeds = side < 0 ? scene.traffic.sameDirectionSpeeds : scene.traffic.oncomingSpeeds
                var speed = speeds[min(lane, speeds.count - 1)]
                if side < 0 && lane == egoLane { speed = egoSpeed }
                let signed = side < 0 ? speed : -speed
                let laneKey = sideKey * 8 + lane
                let lateral = sign * (Double(lane) + 0.5) * r.laneWidth
                for block in blocks(egoStartS: egoStartS, egoSpeed: egoSpeed, duration: duration, speed: signed, cullRadius: cullRadius) {
                    placeVehicles(kind: .moving, lane: laneKey, block: block, densities: scene.traffic.moving, lateral: lateral, speed: signed,
                                  yawOffset: side < 0 ? 0 : .pi, minimumGap: 8,
                                  allowed: (Double(lane) * r.laneWidth + 0.05)...(Double(lane + 1) * r.laneWidth - 0.05),
                                  keepClearOf: side < 0 && lane == egoLane ? egoStartS : nil)
                }
            }
            // Cyclists in the bike lane.
            if r.bikeLaneWidth >= 1, scene.traffic.cyclists > 0 {
                let speed = side < 0 ? scene.traffic.cyclistSpeed : -scene.traffic.cyclistSpeed
                let lateral = sign * (Double(r.lanesPerDirection) * r.laneWidth + r.bikeLaneWidth / 2)
                for block in blocks(egoStartS: egoStartS, egoSpeed: egoSpeed, duration: duration, speed: speed, cullRadius: cullRadius) {
                    placeVehicles(kind: .cyclist, lane: sideKey, block: block, densities: ["Cyclist": scene.traffic.cyclists], lateral: lateral,
                                  speed: speed, yawOffset: side < 0 ? 0 : .pi, minimumGap: 3, allowed: nil)
                }
            }
            // Pedestrians in bands along the sidewalk: the outermost band stands, the others walk.
            let bandCount = Int(((r.sidewalkWidth - 1.2) / 1.0).rounded(.down))
            if bandCount >= 1, scene.traffic.pedestrians > 0 {
                for band in 0..<bandCount {
                    let standing = band == bandCount - 1
                    var bandRandom = random(.pedestrian, sideKey * 8 + band, Int(Int32.min))
                    let speed = standing ? 0 : (bandRandom.unit() < 0.5 ? -1 : 1) * bandRandom.uniform(0.9, 1.6)
                    let share = bandCount == 1 ? 1 : (standing ? 0.25 : 0.75 / Double(bandCount - 1))
                    let lateral = sign * (halfWidth + 1.5 + Double(band))
                    for block in blocks(egoStartS: egoStartS, egoSpeed: egoSpeed, duration: duration, speed: speed, cullRadius: cullRadius) {
                        placeVehicles(kind: .pedestrian, lane: sideKey * 8 + band, block: block,
                                      densities: ["Pedestrian": scene.traffic.pedestrians * share], lateral: lateral, speed: speed,
                                      yawOffset: speed < 0 ? .pi : 0, minimumGap: 1.0, allowed: nil, standing: standing)
                    }
                }
            }
        }
    }

    // MARK: - Traffic

    private mutating func placeVehicles(kind: Kind, lane: Int, block: Int, densities: [String: Double], lateral: Double, speed: Double,
                                        yawOffset: Double, minimumGap: Double, allowed: ClosedRange<Double>?,
                                        keepClearOf egoS: Double? = nil, standing: Bool = false) {
        let classes = densities.keys.sorted().filter { densities[$0]! > 0 }
        guard !classes.isEmpty else { return }
        let weights = classes.map { densities[$0]! }
        let perHundred = weights.reduce(0, +)
        var rng = random(kind, lane, block)
        let meanLength = zip(classes, weights).reduce(0) { $0 + ClassSize.of($1.0).mean.x * $1.1 } / perHundred
        let meanGap = max(minimumGap, 100 / perHundred - meanLength)
        let blockStart = Double(block) * Self.blockLength, blockEnd = blockStart + Self.blockLength
        var cursor = blockStart + 1
        var index = 0
        while true {
            cursor += minimumGap + rng.exponential(mean: max(meanGap - minimumGap, 0.01))
            let category = classes[rng.pick(weights)]
            let size = ClassSize.of(category).draw(&rng)
            let colour = ActorShapes.colour(category: category, &rng)
            let reflectivity = rng.uniform(0.15, 0.55)
            let extraYaw = standing ? (rng.unit() < 0.5 ? 0 : .pi) + rng.uniform(-0.5, 0.5) : 0
            if cursor + size.x + 1 > blockEnd { break }
            let s = cursor + size.x / 2
            cursor += size.x
            index += 1
            if let egoS, abs(s - egoS) < size.x / 2 + 2.5 + 8 { continue }
            if s < 0 { continue }
            let motion = ActorMotion(startS: s, speed: speed, lateral: lateral, yawOffset: yawOffset + extraYaw)
            if let allowed, !fits(size: size, motion: motion, within: allowed) { continue }
            let shape = ActorShapes.parts(category: category, size: size, margin: sideMargin, floor: floorMargin, walking: !standing)
            let range = parts.count..<(parts.count + shape.count)
            parts += shape
            let actor = Actor(id: -1, category: category, size: size, parts: range, colour: colour, reflectivity: reflectivity, motion: motion)
            pending.append(([kind.rawValue, lane, block, index], actor))
        }
    }

    /// Whether a vehicle's footprint corners stay within `allowed` distance of the centreline where it
    /// starts (lanes follow the road, so it stays there).
    private func fits(size: SIMD3<Double>, motion: ActorMotion, within allowed: ClosedRange<Double>) -> Bool {
        let placed = road.place(s: motion.startS, d: motion.lateral)
        let yaw = placed.heading + motion.yawOffset
        let c = cos(yaw), s = sin(yaw)
        for (u, v) in [(1.0, 1.0), (1, -1), (-1, 1), (-1, -1)] {
            let p = placed.position + SIMD2(c * u * size.x / 2 - s * v * size.y / 2, s * u * size.x / 2 + c * v * size.y / 2)
            if !allowed.contains(road.distance(from: p)) { return false }
        }
        return true
    }

    /// Actors in the order they first come within `labelRange` of the ego (ties by layout key), with
    /// ids 0, 1, 2... in that order; actors never that close follow. The order depends only on the
    /// frames up to an actor's first appearance, so ids agree between runs of different lengths.
    func orderedActors(frameCount: Int, frameRate: Double, labelRange: Double, egoPosition: (Double) -> SIMD2<Double>) -> [Actor] {
        var first = [Int](repeating: Int.max, count: pending.count)
        for frame in 0..<frameCount {
            let t = Double(frame) / frameRate
            let ego = egoPosition(t)
            for (index, entry) in pending.enumerated() where first[index] == Int.max {
                let motion = entry.actor.motion
                let p = road.place(s: motion.startS + motion.speed * t, d: motion.lateral).position - ego
                if (p * p).sum().squareRoot() <= labelRange { first[index] = frame }
            }
        }
        let order = pending.indices.sorted { a, b in
            first[a] != first[b] ? first[a] < first[b] : pending[a].key.lexicographicallyPrecedes(pending[b].key)
        }
        return order.enumerated().map { id, index in
            var actor = pending[index].actor
            actor.id = id
            return actor
        }
    }

    // MARK: - Clutter

    private mutating func addStatic(at s: Double, lateral: Double, yawOffset: Double = 0, parts shape: [Part], colour: SIMD3<Double>,
                                    reflectivity: Double) {
        let placed = road.place(s: s, d: lateral)
        let yaw = placed.heading + yawOffset
        let range = parts.count..<(parts.count + shape.count)
        parts += shape
        let base = SIMD3(placed.position.x, placed.position.y, ground.height(placed.position))
        statics.append(Solid(origin: base, cosYaw: cos(yaw), sinYaw: sin(yaw), parts: range,
                             radius: shape.map(\.horizontalReach).max() ?? 0, actor: -1, colour: colour, reflectivity: reflectivity))
    }

    private mutating func placeClutter(block: Int, side: Int, sign: Double, halfWidth: Double) {
        let c = scene.clutter
        let blockStart = Double(block) * Self.blockLength
        let strip = halfWidth + 0.5
        // Poles and trees at the kerb.
        if c.poles > 0 {
            var rng = random(.pole, side, block)
            var s = blockStart + rng.exponential(mean: 100 / c.poles)
            while s < blockStart + Self.blockLength {
                let radius = rng.uniform(0.07, 0.13), height = rng.uniform(5, 9)
                addStatic(at: s, lateral: sign * strip, parts: [Part(shape: .cylinder, low: SIMD3(0, 0, -0.2), high: SIMD3(radius, 0, height), material: .metal)],
                          colour: Material.metal.colour, reflectivity: Material.metal.reflectivity)
                s += max(3, rng.exponential(mean: 100 / c.poles))
            }
        }
        if c.trees > 0 {
            var rng = random(.tree, side, block)
            var s = blockStart + rng.exponential(mean: 100 / c.trees)
            while s < blockStart + Self.blockLength {
                let crown = rng.uniform(1.3, 2.4), trunk = rng.uniform(0.12, 0.22)
                let green = SIMD3(rng.uniform(0.12, 0.25), rng.uniform(0.32, 0.5), rng.uniform(0.08, 0.18))
                addStatic(at: s, lateral: sign * strip,
                          parts: [Part(shape: .cylinder, low: SIMD3(0, 0, -0.2), high: SIMD3(trunk, 0, 5.2), material: .bark),
                                  Part(shape: .porousSphere, low: SIMD3(0, 0, 5 + 0.6 * crown), high: SIMD3(crown, 0, 0), material: .foliage)],
                          colour: green, reflectivity: Material.foliage.reflectivity)
                s += max(4, rng.exponential(mean: 100 / c.trees))
            }
        }
        let outer = halfWidth + scene.road.sidewalkWidth
        if c.bushes > 0, c.buildingSetback >= 1.6 {
            var rng = random(.bush, side, block)
            var s = blockStart + rng.exponential(mean: 100 / c.bushes)
            while s < blockStart + Self.blockLength {
                let radius = min(rng.uniform(0.5, 0.9), c.buildingSetback / 2 - 0.3)
                let lateral = outer + rng.uniform(radius + 0.3, c.buildingSetback - radius - 0.3)
                let green = SIMD3(rng.uniform(0.1, 0.22), rng.uniform(0.3, 0.45), rng.uniform(0.06, 0.15))
                addStatic(at: s, lateral: sign * lateral,
                          parts: [Part(shape: .porousSphere, low: SIMD3(0, 0, radius * 0.6), high: SIMD3(radius, 0, 0), material: .foliage)],
                          colour: green, reflectivity: Material.foliage.reflectivity)
                s += max(1, rng.exponential(mean: 100 / c.bushes))
            }
        }
        if c.buildings {
            var rng = random(.building, side, block)
            let front = outer + c.buildingSetback
            var s = blockStart + rng.uniform(0, 6)
            let facades: [SIMD3<Double>] = [SIMD3(0.7, 0.65, 0.55), SIMD3(0.55, 0.35, 0.28), SIMD3(0.8, 0.78, 0.72), SIMD3(0.45, 0.47, 0.5),
                                            SIMD3(0.75, 0.6, 0.45)]
            while true {
                let length = rng.uniform(10, 30), depth = rng.uniform(8, 16), height = rng.uniform(5, 22)
                let facade = facades[Int(rng.unit() * Double(facades.count))]
                let reflectivity = rng.uniform(0.25, 0.5)
                guard s + length <= blockStart + Self.blockLength else { break }
                let center = s + length / 2
                s += length + rng.uniform(2, 10)
                // Local frame: x along the road, y away from it (left on the left side).
                let low = SIMD3(-length / 2, sign > 0 ? 0 : -depth, -0.5), high = SIMD3(length / 2, sign > 0 ? depth : 0, height)
                let placed = road.place(s: center, d: sign * front)
                let c = cos(placed.heading), sn = sin(placed.heading)
                // On the inside of a bend the block's corners can swing towards the road: skip those.
                var clear = true
                for (u, v) in [(low.x, low.y), (low.x, high.y), (high.x, low.y), (high.x, high.y)] {
                    let p = placed.position + SIMD2(c * u - sn * v, sn * u + c * v)
                    if road.distance(from: p) < front - 0.01 { clear = false }
                }
                guard clear else { continue }
                // A darker band of ground-floor windows facing the road, 5 cm proud of the facade.
                let windows = Part.box(SIMD3(-length / 2 + 1, -0.05, 0.9), SIMD3(length / 2 - 1, 0.05, 2.6), .glass)
                addStatic(at: center, lateral: sign * front, parts: [.box(low, high, .paint), windows], colour: facade, reflectivity: reflectivity)
            }
        }
    }
}

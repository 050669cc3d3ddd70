import CuboidFormats
import CuboidIO
import Foundation

/// What a synthetic scene holds: the road, the ego drive, the traffic, the clutter beside the road
/// and the sensors. Read from a small JSON file (see ``SceneDescription/decode(_:)``); every key is
/// optional and falls back to the defaults documented on each property.
///
/// Frames and units: the world frame is x east, y north, z up, in metres; angles in the file are in
/// degrees, speeds in metres per second. The road centreline starts at the world origin heading
/// east; the ego drives on the right-hand side.
public struct SceneDescription: Sendable, Hashable, Codable {
    /// The scene's name (written into the output).
    public var name = "default"
    /// The random seed; the same seed and scene give byte-identical output.
    public var seed: UInt64 = 1
    /// Sweeps (and camera frames) per second.
    public var frameRate = 10.0
    /// Objects are labelled out to this horizontal distance from the lidar, in metres.
    public var labelRange = 100.0
    public var road = Road()
    public var ego = Ego()
    public var traffic = Traffic()
    public var clutter = Clutter()
    public var lidar = Lidar()
    public var camera = CameraSetup()

    public init() {}

    /// The road's cross-section (from the centreline outwards, the same on both sides) and its surface.
    public struct Road: Sendable, Hashable, Codable {
        /// Travel lanes per direction (default 2).
        public var lanesPerDirection = 2
        /// Travel lane width (default 3.5 m).
        public var laneWidth = 3.5
        /// Bike lane width per side, 0 for none (default 1.5 m).
        public var bikeLaneWidth = 1.5
        /// Parking lane width per side (default 2.4 m).
        public var parkingLaneWidth = 2.4
        /// Sidewalk width per side, beyond the kerb (default 4 m).
        public var sidewalkWidth = 4.0
        /// Kerb height: the sidewalk stands this much above the road (default 0.15 m).
        public var kerbHeight = 0.15
        /// Ground slope along world x and y (rise over run; default 0.012, -0.006).
        public var grade = SIMD2<Double>(0.012, -0.006)
        /// Ground curvature along x and y: height adds `c.x * dx^2 + c.y * dy^2`, with d measured from
        /// the ego's start (default 3e-5, -2e-5 per metre).
        public var curvature = SIMD2<Double>(3e-5, -2e-5)

        /// Distance from the centreline to the kerb.
        public var halfWidth: Double { Double(lanesPerDirection) * laneWidth + bikeLaneWidth + parkingLaneWidth }
    }

    /// One piece of the road (and ego) path.
    public enum PathSegment: Sendable, Hashable, Codable {
        /// Straight ahead for `length` metres.
        case straight(length: Double)
        /// A circular arc of `radius` metres through `angle` radians, positive turning left.
        case turn(radius: Double, angle: Double)

        /// Arc length in metres.
        public var length: Double {
            switch self {
            case .straight(let length): length
            case .turn(let radius, let angle): radius * abs(angle)
            }
        }
    }

    /// The ego vehicle's drive.
    public struct Ego: Sendable, Hashable, Codable {
        /// Ego speed (default 9 m/s).
        public var speed = 9.0
        /// Travel lane the ego drives in, 0 next to the centreline (default: the outer lane).
        public var lane: Int?
        /// The road path the ego follows (default: 60 m straight, a 40 m left turn through 60
        /// degrees, 80 m straight, a 60 m right turn through 45 degrees, 100 m straight). The path is
        /// extended with straights at both ends so that traffic has road to drive on.
        public var path: [PathSegment] = [.straight(length: 60), .turn(radius: 40, angle: .pi / 3), .straight(length: 80),
                                          .turn(radius: 60, angle: -.pi / 4), .straight(length: 100)]
    }

    /// Road users, as densities per 100 m of road per side (or per lane).
    public struct Traffic: Sendable, Hashable, Codable {
        /// Parked vehicles per 100 m per side, by class (default Car 9, Van 1.5, Truck 0.5).
        public var parked: [String: Double] = ["Car": 9, "Van": 1.5, "Truck": 0.5]
        /// Moving vehicles per 100 m per travel lane, by class (default Car 2.5, Van 0.5, Truck 0.3).
        public var moving: [String: Double] = ["Car": 2.5, "Van": 0.5, "Truck": 0.3]
        /// Lane speeds in the ego's direction, lane 0 first; the ego's lane moves at the ego's speed
        /// (default 13, 9 m/s).
        public var sameDirectionSpeeds: [Double] = [13, 9]
        /// Lane speeds of oncoming traffic, lane 0 first (default 12, 10 m/s).
        public var oncomingSpeeds: [Double] = [12, 10]
        /// Cyclists per 100 m per bike lane (default 1.5), riding at `cyclistSpeed` (default 5 m/s).
        public var cyclists = 1.5
        public var cyclistSpeed = 5.0
        /// Pedestrians per 100 m per sidewalk (default 8); a quarter of them stand.
        public var pedestrians = 8.0
    }

    /// Static things beside the road.
    public struct Clutter: Sendable, Hashable, Codable {
        /// Whether buildings line the road (default true).
        public var buildings = true
        /// Gap between the sidewalk and the buildings (default 3 m); bushes grow in it.
        public var buildingSetback = 3.0
        /// Poles per 100 m per side, at the kerb (default 5).
        public var poles = 5.0
        /// Trees per 100 m per side, at the kerb (default 4).
        public var trees = 4.0
        /// Bushes per 100 m per side, between sidewalk and buildings (default 6).
        public var bushes = 6.0
    }

    /// The spinning lidar.
    public struct Lidar: Sendable, Hashable, Codable {
        /// Beam elevations in degrees, top first (default: a 64-beam HDL-64E-like table, 32 beams from
        /// +2 to -8.33 degrees and 32 from -8.83 to -24.8).
        public var elevations: [Double] = Lidar.hdl64Elevations
        /// Azimuth step between firings, in degrees (default 0.17).
        public var azimuthStep = 0.17
        /// Returns beyond this range (metres) are lost (default 120).
        public var maximumRange = 120.0
        /// Sensor height above the ground under the ego (default 1.73 m, as KITTI's).
        public var mountHeight = 1.73
        /// Standard deviation of the range noise (default 0.008 m). Noise is bounded at 3.46 sigma.
        public var rangeNoise = 0.008
        /// Probability that a return is lost (default 0.01), rising for dark surfaces far away.
        public var dropout = 0.01

        /// HDL-64E-like elevations: upper block +2 to -8.33 degrees at 1/3 degree spacing, lower block
        /// -8.83 to -24.8 degrees at ~0.515 degree spacing.
        public static let hdl64Elevations: [Double] =
            (0..<32).map { 2.0 - Double($0) / 3 } + (0..<32).map { -8.83 - Double($0) * (24.8 - 8.83) / 31 }
    }

    /// The camera (KITTI's left colour camera `image_02` by default).
    public struct CameraSetup: Sendable, Hashable, Codable {
        public var width = 1242
        public var height = 375
        /// Focal length in pixels (default 721.5377, as KITTI's).
        public var focalLength = 721.5377
        /// Principal point (default KITTI's 609.5593, 172.854).
        public var principalPoint = SIMD2<Double>(609.5593, 172.854)
        /// Reference camera (camera 0) position in the lidar frame (default 0.27 m ahead, 0.08 m below).
        public var position = SIMD3<Double>(0.27, -0.01, -0.08)
        /// Small misalignment of camera 0 (roll, pitch, yaw in degrees) from looking straight ahead.
        public var misalignment = SIMD3<Double>(0.2, -0.4, 0.3)
        /// Distance of `image_02` to the left of camera 0 (default 0.06 m).
        public var baseline = 0.06
    }
}

/// A malformed scene file.
public enum SceneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not JSON.
    case syntax(line: Int, column: Int, expected: String)
    /// A key the scene format does not have (a typo, usually).
    case unknownKey(line: Int, key: String, allowed: [String])
    /// A value of the wrong kind or out of range.
    case invalidValue(line: Int, key: String, expected: String)

    public var description: String {
        switch self {
        case .syntax(let line, let column, let expected): "line \(line), column \(column): expected \(expected)"
        case .unknownKey(let line, let key, let allowed):
            "line \(line): unknown key \"\(Excerpt.of(key))\"; expected one of \(allowed.joined(separator: ", "))"
        case .invalidValue(let line, let key, let expected): "line \(line), \(key): expected \(expected)"
        }
    }
}

extension SceneDescription {
    /// The classes the simulator knows.
    public static let classes = ["Car", "Van", "Truck", "Pedestrian", "Cyclist"]

    /// Parses a scene file. Keys are snake_case as in the README (`frame_rate`, `label_range`, `road`,
    /// `ego`, `traffic`, `clutter`, `lidar`, `camera`); unknown keys are errors so typos do not pass
    /// silently.
    /// - Throws: ``SceneError`` with the line of the offending value.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(SceneError) -> SceneDescription {
        let root: JSONNode
        do { root = try parseJSON(bytes) } catch { throw .syntax(line: error.line, column: error.column, expected: error.expected) }
        var scene = SceneDescription()
        let reader = SceneReader()
        let top = try reader.members(root, "scene", allowed: ["name", "seed", "frame_rate", "label_range", "road", "ego", "traffic", "clutter", "lidar", "camera"])
        if let node = top["name"] { scene.name = try reader.text(node, "name") }
        if let node = top["seed"] {
            let value = try reader.number(node, "seed", in: 0...9.0e15)
            guard value.rounded() == value else { throw .invalidValue(line: node.line, key: "seed", expected: "a whole number") }
            scene.seed = UInt64(value)
        }
        if let node = top["frame_rate"] { scene.frameRate = try reader.number(node, "frame_rate", in: 1...100) }
        if let node = top["label_range"] { scene.labelRange = try reader.number(node, "label_range", in: 1...500) }
        if let node = top["road"] {
            let road = try reader.members(node, "road", allowed: ["lanes_per_direction", "lane_width", "bike_lane_width", "parking_lane_width",
                                                                 "sidewalk_width", "kerb_height", "grade", "curvature"])
            if let n = road["lanes_per_direction"] { scene.road.lanesPerDirection = try reader.integer(n, "road.lanes_per_direction", in: 1...4) }
            if let n = road["lane_width"] { scene.road.laneWidth = try reader.number(n, "road.lane_width", in: 3...5) }
            if let n = road["bike_lane_width"] { scene.road.bikeLaneWidth = try reader.number(n, "road.bike_lane_width", in: 0...3) }
            if let n = road["parking_lane_width"] { scene.road.parkingLaneWidth = try reader.number(n, "road.parking_lane_width", in: 2.2...4) }
            if let n = road["sidewalk_width"] { scene.road.sidewalkWidth = try reader.number(n, "road.sidewalk_width", in: 2...10) }
            if let n = road["kerb_height"] { scene.road.kerbHeight = try reader.number(n, "road.kerb_height", in: 0...0.3) }
            if let n = road["grade"] { scene.road.grade = try reader.pair(n, "road.grade", in: -0.08...0.08) }
            if let n = road["curvature"] { scene.road.curvature = try reader.pair(n, "road.curvature", in: -1e-4...1e-4) }
        }
        if let node = top["ego"] {
            let ego = try reader.members(node, "ego", allowed: ["speed", "lane", "path"])
            if let n = ego["speed"] { scene.ego.speed = try reader.number(n, "ego.speed", in: 0...40) }
            if let n = ego["lane"] { scene.ego.lane = try reader.integer(n, "ego.lane", in: 0...3) }
            if let n = ego["path"] {
                guard let elements = n.elements, !elements.isEmpty else { throw .invalidValue(line: n.line, key: "ego.path", expected: "a non-empty array of segments") }
                scene.ego.path = try elements.map { (element) throws(SceneError) in
                    let segment = try reader.members(element, "ego.path[]", allowed: ["straight", "turn", "radius"])
                    if let length = segment["straight"] {
                        guard segment.count == 1 else { throw .invalidValue(line: element.line, key: "ego.path[]", expected: "either {\"straight\": metres} or {\"turn\": degrees, \"radius\": metres}") }
                        return .straight(length: try reader.number(length, "straight", in: 0.1...10_000))
                    }
                    guard let turn = segment["turn"], let radius = segment["radius"] else {
                        throw .invalidValue(line: element.line, key: "ego.path[]", expected: "either {\"straight\": metres} or {\"turn\": degrees, \"radius\": metres}")
                    }
                    let degrees = try reader.number(turn, "turn", in: -180...180)
                    return .turn(radius: try reader.number(radius, "radius", in: 30...10_000), angle: degrees * .pi / 180)
                }
            }
        }
        if let node = top["traffic"] {
            let traffic = try reader.members(node, "traffic", allowed: ["parked", "moving", "same_direction_speeds", "oncoming_speeds", "cyclists",
                                                                       "cyclist_speed", "pedestrians"])
            func densities(_ n: JSONNode, _ key: String, allowed: [String]) throws(SceneError) -> [String: Double] {
                let members = try reader.members(n, key, allowed: Set(allowed))
                var out: [String: Double] = [:]
                for (name, value) in members { out[name] = try reader.number(value, key + "." + name, in: 0...50) }
                return out
            }
            if let n = traffic["parked"] { scene.traffic.parked = try densities(n, "traffic.parked", allowed: ["Car", "Van", "Truck"]) }
            if let n = traffic["moving"] { scene.traffic.moving = try densities(n, "traffic.moving", allowed: ["Car", "Van", "Truck"]) }
            if let n = traffic["same_direction_speeds"] { scene.traffic.sameDirectionSpeeds = try reader.numbers(n, "traffic.same_direction_speeds", in: 0...40) }
            if let n = traffic["oncoming_speeds"] { scene.traffic.oncomingSpeeds = try reader.numbers(n, "traffic.oncoming_speeds", in: 0...40) }
            if let n = traffic["cyclists"] { scene.traffic.cyclists = try reader.number(n, "traffic.cyclists", in: 0...50) }
            if let n = traffic["cyclist_speed"] { scene.traffic.cyclistSpeed = try reader.number(n, "traffic.cyclist_speed", in: 0...15) }
            if let n = traffic["pedestrians"] { scene.traffic.pedestrians = try reader.number(n, "traffic.pedestrians", in: 0...50) }
        }
        if let node = top["clutter"] {
            let clutter = try reader.members(node, "clutter", allowed: ["buildings", "building_setback", "poles", "trees", "bushes"])
            if let n = clutter["buildings"] {
                guard let value = n.bool else { throw .invalidValue(line: n.line, key: "clutter.buildings", expected: "true or false") }
                scene.clutter.buildings = value
            }
            if let n = clutter["building_setback"] { scene.clutter.buildingSetback = try reader.number(n, "clutter.building_setback", in: 0...50) }
            if let n = clutter["poles"] { scene.clutter.poles = try reader.number(n, "clutter.poles", in: 0...50) }
            if let n = clutter["trees"] { scene.clutter.trees = try reader.number(n, "clutter.trees", in: 0...50) }
            if let n = clutter["bushes"] { scene.clutter.bushes = try reader.number(n, "clutter.bushes", in: 0...50) }
        }
        if let node = top["lidar"] {
            let lidar = try reader.members(node, "lidar", allowed: ["beams", "elevations", "azimuth_step", "maximum_range", "mount_height", "range_noise", "dropout"])
            if let n = lidar["elevations"] {
                scene.lidar.elevations = try reader.numbers(n, "lidar.elevations", in: -89...89)
            } else if let n = lidar["beams"] {
                // A beam count spreads the default span (+2 to -24.8 degrees) evenly.
                let beams = try reader.integer(n, "lidar.beams", in: 1...512)
                scene.lidar.elevations = beams == 1 ? [0] : (0..<beams).map { 2.0 - 26.8 * Double($0) / Double(beams - 1) }
            }
            if let n = lidar["azimuth_step"] { scene.lidar.azimuthStep = try reader.number(n, "lidar.azimuth_step", in: 0.01...10) }
            if let n = lidar["maximum_range"] { scene.lidar.maximumRange = try reader.number(n, "lidar.maximum_range", in: 5...500) }
            if let n = lidar["mount_height"] { scene.lidar.mountHeight = try reader.number(n, "lidar.mount_height", in: 0.3...5) }
            if let n = lidar["range_noise"] { scene.lidar.rangeNoise = try reader.number(n, "lidar.range_noise", in: 0...0.1) }
            if let n = lidar["dropout"] { scene.lidar.dropout = try reader.number(n, "lidar.dropout", in: 0...0.9) }
        }
        if let node = top["camera"] {
            let camera = try reader.members(node, "camera", allowed: ["width", "height", "focal_length", "principal_point", "position", "misalignment", "baseline"])
            if let n = camera["width"] { scene.camera.width = try reader.integer(n, "camera.width", in: 16...8192) }
            if let n = camera["height"] { scene.camera.height = try reader.integer(n, "camera.height", in: 16...8192) }
            if let n = camera["focal_length"] { scene.camera.focalLength = try reader.number(n, "camera.focal_length", in: 10...20_000) }
            if let n = camera["principal_point"] { scene.camera.principalPoint = try reader.pair(n, "camera.principal_point", in: 0...8192) }
            if let n = camera["position"] { scene.camera.position = try reader.triple(n, "camera.position", in: -5...5) }
            if let n = camera["misalignment"] { scene.camera.misalignment = try reader.triple(n, "camera.misalignment", in: -10...10) }
            if let n = camera["baseline"] { scene.camera.baseline = try reader.number(n, "camera.baseline", in: -2...2) }
        }
        return scene
    }

    /// Reads and decodes a scene file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``SceneError``.
    public static func read(_ path: String) throws -> SceneDescription {
        try FileBytes.decode(path, decode)
    }

    /// The scene as JSON in the file format (every key written), so an output folder records exactly
    /// what made it.
    public func encoded() -> [UInt8] {
        func pair(_ v: SIMD2<Double>) -> JSONOutput { .array([.number(v.x), .number(v.y)]) }
        func triple(_ v: SIMD3<Double>) -> JSONOutput { .array([.number(v.x), .number(v.y), .number(v.z)]) }
        func densities(_ d: [String: Double]) -> JSONOutput { .object(d.keys.sorted().map { ($0, .number(d[$0]!)) }) }
        let path: [JSONOutput] = ego.path.map { segment in
            switch segment {
            case .straight(let length): .object([("straight", .number(length))])
            case .turn(let radius, let angle): .object([("turn", .number(angle * 180 / .pi)), ("radius", .number(radius))])
            }
        }
        var egoMembers: [(String, JSONOutput)] = [("speed", .number(ego.speed))]
        if let lane = ego.lane { egoMembers.append(("lane", .number(Double(lane)))) }
        egoMembers.append(("path", .array(path)))
        let document: JSONOutput = .object([
            ("name", .string(name)), ("seed", .number(Double(seed))), ("frame_rate", .number(frameRate)), ("label_range", .number(labelRange)),
            ("road", .object([
                ("lanes_per_direction", .number(Double(road.lanesPerDirection))), ("lane_width", .number(road.laneWidth)),
                ("bike_lane_width", .number(road.bikeLaneWidth)), ("parking_lane_width", .number(road.parkingLaneWidth)),
                ("sidewalk_width", .number(road.sidewalkWidth)), ("kerb_height", .number(road.kerbHeight)),
                ("grade", pair(road.grade)), ("curvature", pair(road.curvature)),
            ])),
            ("ego", .object(egoMembers)),
            ("traffic", .object([
                ("parked", densities(traffic.parked)), ("moving", densities(traffic.moving)),
                ("same_direction_speeds", .array(traffic.sameDirectionSpeeds.map { .number($0) })),
                ("oncoming_speeds", .array(traffic.oncomingSpeeds.map { .number($0) })),
                ("cyclists", .number(traffic.cyclists)), ("cyclist_speed", .number(traffic.cyclistSpeed)),
                ("pedestrians", .number(traffic.pedestrians)),
            ])),
            ("clutter", .object([
                ("buildings", .bool(clutter.buildings)), ("building_setback", .number(clutter.buildingSetback)),
                ("poles", .number(clutter.poles)), ("trees", .number(clutter.trees)), ("bushes", .number(clutter.bushes)),
            ])),
            ("lidar", .object([
                ("elevations", .array(lidar.elevations.map { .number($0) })), ("azimuth_step", .number(lidar.azimuthStep)),
                ("maximum_range", .number(lidar.maximumRange)), ("mount_height", .number(lidar.mountHeight)),
                ("range_noise", .number(lidar.rangeNoise)), ("dropout", .number(lidar.dropout)),
            ])),
            ("camera", .object([
                ("width", .number(Double(camera.width))), ("height", .number(Double(camera.height))),
                ("focal_length", .number(camera.focalLength)), ("principal_point", pair(camera.principalPoint)),
                ("position", triple(camera.position)), ("misalignment", triple(camera.misalignment)), ("baseline", .number(camera.baseline)),
            ])),
        ])
        return Array((document.rendered(indent: 2) + "\n").utf8)
    }
}

/// Typed accessors that name the key and line of a bad value.
private struct SceneReader {
    func members(_ node: JSONNode, _ key: String, allowed: Set<String>) throws(SceneError) -> [String: JSONNode] {
        guard let members = node.members else { throw .invalidValue(line: node.line, key: key, expected: "an object") }
        var out: [String: JSONNode] = [:]
        for (name, value) in members {
            guard allowed.contains(name) else { throw .unknownKey(line: value.line, key: name, allowed: allowed.sorted()) }
            out[name] = value
        }
        return out
    }

    func number(_ node: JSONNode, _ key: String, in range: ClosedRange<Double>) throws(SceneError) -> Double {
        guard let value = node.number, range.contains(value) else {
            throw .invalidValue(line: node.line, key: key, expected: "a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func integer(_ node: JSONNode, _ key: String, in range: ClosedRange<Int>) throws(SceneError) -> Int {
        guard let value = node.number, value.rounded() == value, range.contains(Int(exactly: value) ?? Int.min) else {
            throw .invalidValue(line: node.line, key: key, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(value)
    }

    func text(_ node: JSONNode, _ key: String) throws(SceneError) -> String {
        guard let value = node.string else { throw .invalidValue(line: node.line, key: key, expected: "a string") }
        return value
    }

    func numbers(_ node: JSONNode, _ key: String, in range: ClosedRange<Double>) throws(SceneError) -> [Double] {
        guard let elements = node.elements, !elements.isEmpty else { throw .invalidValue(line: node.line, key: key, expected: "a non-empty array of numbers") }
        return try elements.map { (element) throws(SceneError) in try number(element, key, in: range) }
    }

    func pair(_ node: JSONNode, _ key: String, in range: ClosedRange<Double>) throws(SceneError) -> SIMD2<Double> {
        let values = try numbers(node, key, in: range)
        guard values.count == 2 else { throw .invalidValue(line: node.line, key: key, expected: "2 numbers") }
        return SIMD2(values[0], values[1])
    }

    func triple(_ node: JSONNode, _ key: String, in range: ClosedRange<Double>) throws(SceneError) -> SIMD3<Double> {
        let values = try numbers(node, key, in: range)
        guard values.count == 3 else { throw .invalidValue(line: node.line, key: key, expected: "3 numbers") }
        return SIMD3(values[0], values[1], values[2])
    }
}

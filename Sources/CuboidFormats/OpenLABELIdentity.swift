public import CuboidGeometry

/// JSON kept verbatim: the compact text Cuboid re-renders it as (numbers in their shortest
/// round-trip form, member order as read).
public struct RawJSON: Sendable, Hashable, Codable {
    public var text: String

    public init(text: String) { self.text = text }

    /// The node's text. NaN and infinities (which Python's `json` writes) become `null`.
    init(_ node: JSONNode) { text = node.asOutput.rendered(indent: 0) }
}

/// One named member of a JSON object, kept verbatim.
public struct NamedJSON: Sendable, Hashable, Codable {
    public var name: String
    public var json: RawJSON

    public init(name: String, json: RawJSON) {
        self.name = name
        self.json = json
    }
}

/// A cuboid's `val` as the file gave it, and the sensor-frame box Cuboid read from it: while the
/// object's box is still this one, the writer writes `values` back unchanged.
public struct OpenLABELCuboidAsRead: Sendable, Hashable, Codable {
    /// The 9 or 10 values of `val`, in the cuboid's own coordinate system.
    public var values: [Double]
    /// The box read from them, sensor frame.
    public var cuboid: Box3D
    /// Roll and pitch read from them, radians.
    public var roll: Double
    public var pitch: Double
}

/// What an OpenLABEL object held in one frame beyond Cuboid's label model, kept for writing back.
public struct OpenLABELObjectExtras: Sendable, Hashable, Codable {
    /// The cuboid's `name`.
    public var cuboidName: String?
    /// The coordinate system the cuboid was given in, when not the sensor frame.
    public var coordinateSystem: String?
    /// The cuboid's values as given (see ``OpenLABELCuboidAsRead``).
    public var cuboidAsRead: OpenLABELCuboidAsRead?
    /// The cuboid's `attributes` by type (`num`, `text`, `boolean`, `vec`...), Cuboid's own
    /// `euler_xyz` left out of `vec`.
    public var cuboidAttributes: [NamedJSON] = []
    /// The cuboid's `euler_xyz` vec attribute as given.
    public var eulerXYZ: RawJSON?
    /// Per camera, the members of its `bbox` other than `coordinate_system` and `val` (`name`, `attributes`...).
    public var boxMembers: [String: [NamedJSON]] = [:]
    /// `object_data` members Cuboid does not read (`vec`, `point3d`, `poly2d`...), each its array.
    public var otherData: [NamedJSON] = []
    /// The names of the `num`, `text` and `boolean` entries in the order given (attributes are
    /// written in this order, then any others by name).
    public var attributeOrder: [String] = []
    /// What the object's object-level (static) `object_data` gave it: written back there, as given,
    /// so a frame leaves out a cuboid, box or attribute (the score among them) still equal to it.
    public var staticCuboid: Box3D?
    public var staticBoxes: [String: Box2D] = [:]
    public var staticAttributes: [String: LabelValue] = [:]

    public init() {}

    /// These extras noting what `fixed` (the object as its static data alone gives it) holds.
    func noting(static fixed: LabeledObject) -> OpenLABELObjectExtras {
        var extras = self
        extras.staticCuboid = fixed.cuboid
        extras.staticBoxes = fixed.boxes
        extras.staticAttributes = fixed.attributes
        if let score = fixed.score { extras.staticAttributes["score"] = .number(score) }
        return extras
    }
}

/// What an OpenLABEL frame held beyond Cuboid's label model, kept for writing back.
public struct OpenLABELFrameExtras: Sendable, Hashable, Codable {
    /// `frame_properties` members other than `name`, `timestamp` and `transforms` (`streams`...).
    public var properties: [NamedJSON] = []
    /// The frame's `transforms` as given (Cuboid writes the ego pose as its own transform).
    public var transforms: [NamedJSON] = []
    /// Frame members other than `objects` and `frame_properties` (`contexts`, `relations`,
    /// `actions`, `events`...).
    public var members: [NamedJSON] = []

    public init() {}
}

/// A coordinate system Cuboid's writer does not write itself (not the sensor, a camera or `odom`).
public struct OpenLABELSystem: Sendable, Hashable, Codable {
    public var name: String
    /// The system's `type` (`local_cs`, `sensor_cs`...).
    public var type: String
    /// The pose mapping its coordinates into the sensor frame through static `pose_wrt_parent`
    /// poses alone; nil when only frame-level transforms reach it (it is then not written).
    public var sensorFromSystem: RigidPose?
}

/// What an OpenLABEL document held beyond its frames' labels, kept for writing back.
public struct OpenLABELDocumentExtras: Sendable, Hashable, Codable {
    /// `metadata` members other than `schema_version`.
    public var metadata: [NamedJSON] = []
    /// Top-level sections Cuboid does not read (`contexts`, `relations`, `actions`, `events`,
    /// `ontologies`, `resources`, `tags`...).
    public var sections: [NamedJSON] = []
    /// Per object uid, in document order: its members other than `frame_intervals` and
    /// `object_data_pointers` (which describe its frames, and are written anew), so `name`, `type`,
    /// static `object_data`, `ontology_uid`, `coordinate_system`...
    public var objects: [NamedJSON] = []
    /// Uids of objects no frame holds (objects with static data alone), written as given.
    public var objectsWithoutFrames: Set<String> = []
    /// Coordinate systems besides the sensor, its cameras and the scene.
    public var systems: [OpenLABELSystem] = []
    /// Streams as given, by name: members of the sensor's and cameras' streams that Cuboid does not
    /// write (`uri`, `description`, other `stream_properties`) are added to its own; other streams
    /// are written as given.
    public var streams: [NamedJSON] = []

    public init() {}

    /// How many objects hold object-level members beyond `name` and `type` (static data, ontology uids...).
    public var objectsWithObjectLevelData: Int {
        objects.filter { entry in
            guard case .object(let members)? = (try? parseJSON(Array(entry.json.text.utf8)))?.value else { return false }
            return members.contains { $0.key != "name" && $0.key != "type" }
        }.count
    }
}

extension JSONNode {
    /// The node as output (NaN and infinities as `null`).
    var asOutput: JSONOutput {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): number.isFinite ? .number(number) : .null
        case .string(let text): .string(text)
        case .array(let elements): .array(elements.map(\.asOutput))
        case .object(let members): .object(members.map { ($0.key, $0.value.asOutput) })
        }
    }

    /// The object's members except `excluded`, verbatim.
    func namedMembers(except excluded: Set<String>) -> [NamedJSON] {
        (members ?? []).filter { !excluded.contains($0.key) }.map { NamedJSON(name: $0.key, json: RawJSON($0.value)) }
    }
}

/// Verbatim members as output entries.
func outputMembers(_ members: [NamedJSON]) -> [(String, JSONOutput)] { members.map { ($0.name, JSONOutput.raw($0.json.text)) } }

extension LabelSet {
    /// Every track id of the set (OpenLABEL object uids).
    public var trackIDs: Set<String> { Set(frames.lazy.flatMap(\.objects).compactMap(\.trackID)) }

    /// Gives numbers to the frames that have none (frames added between numbered ones, such as the
    /// sweeps `cuboid interpolate --sequence` fills), so frame numbers stay those of the file.
    ///
    /// The rule: a frame without a number after the frame numbered `a` gets `a + 1`, the next one
    /// `a + 2`, and so on (frames before any numbered frame count up from 0). When that reaches the
    /// number of the next numbered frame, there is no room: that frame and the ones after it move up
    /// as far as needed (and are counted).
    /// - Returns: How many frames that had a number were given another.
    /// - Complexity: O(frames).
    @discardableResult
    public mutating func numberAddedFrames() -> Int {
        guard frames.contains(where: { $0.number != nil }) else { return 0 }
        var last = -1, renumbered = 0
        for k in frames.indices {
            if let number = frames[k].number, number > last {
                last = number
                continue
            }
            if frames[k].number != nil { renumbered += 1 }
            last += 1
            frames[k].number = last
        }
        return renumbered
    }
}

/// What a conversion into `format` cannot keep of what an OpenLABEL file held, one line per kind
/// with its count (empty for OpenLABEL itself, whose writer reports its own losses).
public func identityLosses(_ set: LabelSet, writingAs format: LabelFormat) -> [String] {
    guard format != .openLABEL else { return [] }
    var counts: [(String, Int)] = []
    let objects = set.frames.flatMap(\.objects)
    // Formats with integer track ids renumber the others; formats without track ids drop them all.
    let keepsTextIDs: Set<LabelFormat> = [.susTechPOINTS, .datumaro]
    let keepsIntegerIDs: Set<LabelFormat> = [.kittiTracking, .mot, .cvat]
    let uids = objects.filter { object in
        guard let id = object.trackID, object.openLABEL != nil else { return false }
        if keepsTextIDs.contains(format) { return false }
        if keepsIntegerIDs.contains(format) { return Int(id).map { $0 < 0 } ?? true }
        return true
    }.count
    counts.append(("object uids", uids))
    // Names Cuboid wrote itself (the track id) and its default cuboid name are not the user's.
    counts.append(("object names", objects.filter { !($0.name ?? "").isEmpty && $0.name != $0.trackID }.count))
    // Per-frame formats keep frame names (a number survives as the name it is); the others number frames by position.
    counts.append(("frame numbers", set.frames.enumerated().filter { index, frame in
        guard let number = frame.number else { return false }
        return format.isPerFrame ? Int(frame.name) != number : number != index
    }.count))
    counts.append(("cuboid names", objects.filter { $0.openLABEL?.cuboidName.map { $0 != "cuboid" } ?? false }.count))
    counts.append(("cuboid coordinate systems (written in \(set.sensorName))", objects.filter { $0.openLABEL?.coordinateSystem != nil }.count))
    counts.append(("cuboid-level attributes", objects.reduce(0) { $0 + ($1.openLABEL?.cuboidAttributes.count ?? 0) }))
    counts.append(("other object data (vec, points, polygons...)", objects.reduce(0) { $0 + ($1.openLABEL?.otherData.count ?? 0) }))
    counts.append(("frame data (contexts, relations, events, properties in frames)",
                   set.frames.reduce(0) { $0 + ($1.openLABEL.map { $0.members.count + $0.properties.count } ?? 0) }))
    if let extras = set.openLABEL {
        counts.append(("object-level data (static data, ontology uids...)", extras.objectsWithObjectLevelData))
        let ownMetadata = extras.metadata.allSatisfy { $0.name == "annotator" && $0.json.text == "\"cuboid\"" }
        let sections = (ownMetadata ? [] : ["metadata"]) + extras.sections.map(\.name)
        counts.append(("document sections (" + sections.joined(separator: ", ") + ")", sections.count))
        counts.append(("coordinate systems", extras.systems.count))
        // Streams with more than their type and intrinsics (uris, descriptions, other properties).
        counts.append(("streams (uris, descriptions, properties)", extras.streams.filter { stream in
            guard case .object(let members)? = (try? parseJSON(Array(stream.json.text.utf8)))?.value else { return false }
            return members.contains { $0.key != "type" && $0.key != "stream_properties" }
                || (members.first { $0.key == "stream_properties" }?.value.members ?? []).contains { $0.key != "intrinsics_pinhole" }
        }.count))
    }
    return counts.filter { $0.1 > 0 }.map { "not kept in \(format.rawValue): \($0.1) \($0.0)" }
}

extension OpenLABELFile {
    /// The document's metadata, sections and streams Cuboid does not read, verbatim.
    static func readDocumentExtras(_ root: JSONNode, into extras: inout OpenLABELDocumentExtras) {
        extras.metadata = root["metadata"]?.namedMembers(except: ["schema_version"]) ?? []
        extras.sections = root.namedMembers(except: ["metadata", "coordinate_systems", "streams", "objects", "frames", "frame_intervals"])
        extras.streams = root["streams"]?.namedMembers(except: []) ?? []
    }

    /// A frame's members and properties Cuboid does not read, verbatim; nil when there are none.
    static func frameExtras(_ frame: JSONNode) -> OpenLABELFrameExtras? {
        var extras = OpenLABELFrameExtras()
        extras.members = frame.namedMembers(except: ["objects", "frame_properties"])
        if let properties = frame["frame_properties"] {
            extras.properties = properties.namedMembers(except: ["name", "timestamp", "transforms"])
            extras.transforms = properties["transforms"]?.namedMembers(except: []) ?? []
        }
        return extras.members.isEmpty && extras.properties.isEmpty && extras.transforms.isEmpty ? nil : extras
    }

    /// What an object's `object_data` holds beyond Cuboid's model (the cuboid's name and attributes,
    /// each camera's bbox members, other data types), verbatim. The cuboid's system and values are
    /// filled in by the reader.
    static func objectExtras(_ data: JSONNode) -> OpenLABELObjectExtras {
        var extras = OpenLABELObjectExtras()
        extras.otherData = data.namedMembers(except: ["cuboid", "bbox", "num", "text", "boolean"])
        for type in ["num", "text", "boolean"] {
            extras.attributeOrder += (data[type]?.elements ?? []).compactMap { $0["name"]?.string }
        }
        if let cuboid = data["cuboid"]?.elements?.first {
            extras.cuboidName = cuboid["name"]?.string
            for (type, entries) in cuboid["attributes"]?.members ?? [] {
                guard type == "vec", let elements = entries.elements else {
                    extras.cuboidAttributes.append(NamedJSON(name: type, json: RawJSON(entries)))
                    continue
                }
                let others = elements.filter { $0["name"]?.string != "euler_xyz" }
                if let euler = elements.first(where: { $0["name"]?.string == "euler_xyz" }) { extras.eulerXYZ = RawJSON(euler) }
                if !others.isEmpty {
                    extras.cuboidAttributes.append(NamedJSON(name: type, json: RawJSON(text: JSONOutput.array(others.map(\.asOutput)).rendered(indent: 0))))
                }
            }
        }
        for bbox in data["bbox"]?.elements ?? [] {
            let camera = bbox["coordinate_system"]?.string ?? bbox["name"]?.string ?? "image"
            if extras.boxMembers[camera] == nil { extras.boxMembers[camera] = bbox.namedMembers(except: ["coordinate_system", "val"]) }
        }
        return extras
    }
}

extension OpenLABELFile {
    /// A stream's members: Cuboid's own, then those of the stream as the file gave it that Cuboid
    /// does not write (`uri`, `description`, other `stream_properties`, other intrinsics members such
    /// as `distortion_coeffs_1xN`), merged at every level of objects.
    static func streamMembers(_ name: String, _ written: [(String, JSONOutput)], document: OpenLABELDocumentExtras?) -> [(String, JSONOutput)] {
        guard let given = document?.streams.first(where: { $0.name == name }),
              case .object(let members)? = (try? parseJSON(Array(given.json.text.utf8)))?.value else { return written }
        return merged(written, members.filter { $0.key != "type" })
    }

    /// `own` with the members of `given` it lacks; members both hold as objects are merged in turn.
    private static func merged(_ own: [(String, JSONOutput)], _ given: [(key: String, value: JSONNode)]) -> [(String, JSONOutput)] {
        var out = own
        for (key, value) in given {
            if let k = out.firstIndex(where: { $0.0 == key }) {
                if case .object(let inner) = out[k].1, let members = value.members { out[k].1 = .object(merged(inner, members)) }
            } else {
                out.append((key, value.asOutput))
            }
        }
        return out
    }

    /// The `object_data` members of one object: its cuboid (in the coordinate system it came in when
    /// the document declares it with a static pose: its values as given while the box is unchanged,
    /// else converted; otherwise in the sensor frame, counted in `losses`), each camera's bbox, its
    /// score and attributes, then the data Cuboid did not read, as given.
    /// - Parameter declared: The coordinate systems the document declares: a 2D box in a camera not
    ///   among them names it only as the box's `name` (a `coordinate_system` must be declared).
    static func objectData(_ object: LabeledObject, sensor: String, systems: OpenLABELWrittenSystems, declared: Set<String>,
                           losses: inout [String: Int]) -> [(String, JSONOutput)] {
        let extras = object.openLABEL
        var data: [(String, JSONOutput)] = []
        if let box = object.cuboid, box != extras?.staticCuboid {
            var system = extras?.coordinateSystem
            if let name = system, systems.poses[name] == nil {
                losses["cuboids written in \(sensor) (their coordinate system has no static pose to it)", default: 0] += 1
                system = nil
            }
            var vec = [JSONOutput]()
            let val: [Double]
            if let read = extras?.cuboidAsRead, read.cuboid == box, read.roll == object.roll, read.pitch == object.pitch,
               system == extras?.coordinateSystem, system.map(systems.asRead.contains) ?? true {
                // Unchanged: the values as given.
                val = read.values
                if let euler = extras?.eulerXYZ { vec.append(.raw(euler.text)) }
            } else if let name = system {
                let inSystem = object.transformed(by: systems.poses[name]!.inverse)
                let b = inSystem.cuboid!, q = inSystem.orientation
                val = [b.x, b.y, b.z, q.x, q.y, q.z, q.w, b.length, b.width, b.height]
            } else {
                let q = object.orientation
                val = [box.x, box.y, box.z, q.x, q.y, q.z, q.w, box.length, box.width, box.height]
                vec.append(.object([("name", .string("euler_xyz")), ("val", .numbers([object.roll, object.pitch, box.yaw]))]))
            }
            var attributes = outputMembers(extras?.cuboidAttributes ?? [])
            if !vec.isEmpty {
                if let k = attributes.firstIndex(where: { $0.0 == "vec" }), let given = extras?.cuboidAttributes.first(where: { $0.name == "vec" }),
                   case .array(let old)? = (try? parseJSON(Array(given.json.text.utf8)))?.asOutput {
                    attributes[k].1 = .array(old + vec)
                } else {
                    attributes.append(("vec", .array(vec)))
                }
            }
            var cuboid: [(String, JSONOutput)] = [("name", .string(extras?.cuboidName ?? "cuboid")), ("coordinate_system", .string(system ?? sensor)),
                                                  ("val", .numbers(val))]
            if !attributes.isEmpty { cuboid.append(("attributes", .object(attributes))) }
            data.append(("cuboid", .array([.object(cuboid)])))
        }
        let boxes = object.boxes.filter { extras?.staticBoxes[$0.key] != $0.value }
        if !boxes.isEmpty {
            data.append(("bbox", .array(boxes.sorted { $0.key < $1.key }.map { camera, box in
                let given = extras?.boxMembers[camera] ?? []
                let name = given.first { $0.name == "name" }.map { JSONOutput.raw($0.json.text) } ?? .string(camera)
                return .object([("name", name)] + (declared.contains(camera) ? [("coordinate_system", .string(camera))] : [])
                               + [("val", .numbers([(box.minX + box.maxX) / 2, (box.minY + box.maxY) / 2, box.width, box.height]))]
                               + outputMembers(given.filter { $0.name != "name" }))
            })))
        }
        var numbers: [JSONOutput] = [], texts: [JSONOutput] = [], flags: [JSONOutput] = []
        var values = object.attributes
        if let score = object.score { values["score"] = .number(score) }
        for (name, value) in extras?.staticAttributes ?? [:] where values[name] == value { values[name] = nil }
        // The order given (else the score first), then the others by name.
        var rank = Dictionary((extras?.attributeOrder ?? []).enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
        if rank["score"] == nil { rank["score"] = -1 }
        let ordered = values.sorted { a, b in
            switch (rank[a.key], rank[b.key]) {
            case let (x?, y?): x < y
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a.key < b.key
            }
        }
        for (name, value) in ordered {
            switch value {
            case .number(let number): numbers.append(.object([("name", .string(name)), ("val", .number(number))]))
            case .text(let text): texts.append(.object([("name", .string(name)), ("val", .string(text))]))
            case .flag(let flag): flags.append(.object([("name", .string(name)), ("val", .bool(flag))]))
            }
        }
        if !numbers.isEmpty { data.append(("num", .array(numbers))) }
        if !texts.isEmpty { data.append(("text", .array(texts))) }
        if !flags.isEmpty { data.append(("boolean", .array(flags))) }
        data += outputMembers(extras?.otherData ?? [])
        return data
    }
}

/// The coordinate systems an OpenLABEL document is written with: each one's pose into the sensor
/// frame, and those whose pose is the one the file was read with (a cuboid in them keeps its values).
struct OpenLABELWrittenSystems {
    var poses: [String: RigidPose] = [:]
    var asRead: Set<String> = []

    init(cameras: [Camera], document: OpenLABELDocumentExtras?) {
        for system in document?.systems ?? [] {
            guard let pose = system.sensorFromSystem else { continue }
            poses[system.name] = pose
            asRead.insert(system.name)
        }
        for camera in cameras {
            let written = camera.sensorFromCamera
            if let read = poses[camera.name], zip(read.matrix, written.matrix).contains(where: { abs($0 - $1) > 1e-12 }) {
                asRead.remove(camera.name)
            }
            poses[camera.name] = written
        }
    }
}

import CuboidGeometry
import CuboidIO
import Foundation

/// Segments.ai's 3D point cloud cuboid labels, as its public label-format reference describes them and
/// the `segments-ai` SDK's pydantic models (`segments.typing`) read them.
///
/// A folder holding three JSON files:
/// - `label.json`: the label's `attributes`, what `SegmentsClient.add_label(sample_uuid, labelset,
///   attributes)` takes. For several frames a point cloud **sequence** cuboid label
///   (`PointcloudSequenceCuboidLabelAttributes`): `format_version` "0.2" and `frames`, one per frame in
///   order, each with its `annotations` and, when the frame has a time, its `timestamp` (integer
///   nanoseconds, the form Segments.ai computes kinematics from). For one frame a point cloud cuboid
///   label (`PointcloudCuboidLabelAttributes`): `format_version` and `annotations`.
///   An annotation: `id` (the object id, >= 1; in a sequence the track's id, equal to `track_id`),
///   `category_id`, `type` "cuboid", `position` the box's centre and `dimensions` x = length, y = width,
///   z = height (metres), `yaw` (radians, counter-clockwise about +z from +x, in [-π, π]: Cuboid's own
///   sign), `rotation` (`qx qy qz qw`) only for a box that is tilted in the written frame (roll or
///   pitch over ``tiltTolerance``), then `yaw` is the heading of its length axis; `attributes` (the score and the labels'
///   attributes); in a sequence `track_id` and `is_keyframe` (false only for a box whose `keyframe`
///   attribute is false).
/// - `task_attributes.json`: the dataset's `task_attributes` (`TaskAttributes`): `format_version` "0.1"
///   and the categories, ids 1, 2, ... in order of first appearance, each declaring the object
///   attributes its boxes carry (`number`, `checkbox` or `text`).
/// - `frames.json`: per frame its `name`, `timestamp` and `ego_pose` (`position`, `heading` quaternion):
///   the fields of the sample's frames (`PointcloudSampleAttributes`) that the positions assume; the
///   point clouds (`pcd`) are the user's to upload with them.
///
/// **Frame.** Segments.ai places cuboids in world coordinates: the point cloud's own frame moved by the
/// frame's `ego_pose` (world from sensor; the SDK's `transform_label_to_ego_coordinates` inverts it).
/// When every frame carries an ego pose, the boxes are written in the frame of the first sweep's
/// sensor: frame k's ego pose is `pose₀⁻¹ · pose_k` (the first is the identity, as Segments.ai advises
/// to keep its float32 coordinates small) and its boxes are its sensor-frame boxes moved by it, so
/// parked cars stay put across frames. Otherwise every ego pose is the identity (left out) and the
/// positions are the point cloud's own frame. Conversions happen only in ``encode(_:)`` and
/// ``decode(label:taskAttributes:frames:)``; read labels are back in the sensor frame, their ego poses
/// relative to the first frame's.
///
/// Track ids are the labels' own when they are distinct whole numbers (plus 1 for every id when one of
/// them is 0, as Segments.ai's ids start at 1), else 1, 2, ... in order of first appearance; an
/// untracked box is an object of its own.
public enum SegmentsAIFile {
    public static let labelFile = "label.json"
    public static let taskAttributesFile = "task_attributes.json"
    public static let framesFile = "frames.json"

    /// The three files of a label set: (name, bytes), the label first.
    /// - Complexity: O(cuboids + frames).
    public static func encode(_ set: LabelSet) -> [(name: String, bytes: [UInt8])] {
        // Objects: one per (track id, class), or per untracked box; categories in order of first appearance.
        let objects = CuboidObjects(set)
        let perFrame = objects.perFrame, owners = objects.owners
        var categories: [String] = []
        var categoryAttributes: [[(String, String)]] = []
        for boxes in perFrame {
            for (object, _) in boxes {
                if !categories.contains(object.category) {
                    categories.append(object.category)
                    categoryAttributes.append([])
                }
                let c = categories.firstIndex(of: object.category)!
                for (name, value) in attributeValues(object) {
                    let type = switch value { case .number: "number"; case .flag: "checkbox"; case .text: "text" }
                    if let known = categoryAttributes[c].firstIndex(where: { $0.0 == name }) {
                        // An attribute with values of several kinds is text.
                        if categoryAttributes[c][known].1 != type { categoryAttributes[c][known].1 = "text" }
                    } else {
                        categoryAttributes[c].append((name, type))
                    }
                }
            }
        }
        var ids = CVATFile.trackIDs(owners)
        if ids.contains(0) { ids = ids.map { $0 + 1 } }

        let poses = egoPoses(set)
        let isSequence = set.frames.count != 1
        var frames: [JSONOutput] = []
        for (f, frame) in set.frames.enumerated() {
            var annotations: [JSONOutput] = []
            for (object, owner) in perFrame[f] {
                let c = categories.firstIndex(of: object.category)!
                let placed = poses.map { object.transformed(by: $0[f]) } ?? object
                let box = placed.cuboid!
                let tilted = abs(placed.roll) > tiltTolerance || abs(placed.pitch) > tiltTolerance
                let q = placed.orientation
                // The heading of the length axis: Rz(yaw) for an upright box, else the rotated x axis's azimuth.
                let yaw = tilted ? atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z)) : box.yaw
                var members: [(String, JSONOutput)] = [
                    ("id", .number(Double(ids[owner]))), ("category_id", .number(Double(c + 1))), ("type", .string("cuboid")),
                    ("position", xyz(box.center)), ("dimensions", xyz(box.size)), ("yaw", .number(yaw)),
                ]
                if tilted {
                    members.append(("rotation", .object([("qx", .number(q.x)), ("qy", .number(q.y)), ("qz", .number(q.z)), ("qw", .number(q.w))])))
                }
                let values = attributeValues(object)
                if !values.isEmpty {
                    members.append(("attributes", .object(values.map { name, value in
                        let type = categoryAttributes[c].first { $0.0 == name }!.1
                        let json: JSONOutput = switch value {
                        case .number(let n): type == "number" ? .number(n) : .string(value.description)
                        case .flag(let b): type == "checkbox" ? .bool(b) : .string(value.description)
                        case .text(let t): .string(t)
                        }
                        return (name, json)
                    })))
                }
                if isSequence {
                    members.append(("track_id", .number(Double(ids[owner]))))
                    members.append(("is_keyframe", .bool(object.attributes["keyframe"] != .flag(false))))
                }
                annotations.append(.object(members))
            }
            var members: [(String, JSONOutput)] = [("format_version", .string("0.2"))]
            if let stamp = frame.timestamp.flatMap(nanoseconds) { members.append(("timestamp", .raw(String(stamp)))) }
            members.append(("annotations", .array(annotations)))
            frames.append(.object(members))
        }
        let label: JSONOutput
        if isSequence {
            label = .object([("format_version", .string("0.2")), ("frames", .array(frames))])
        } else if case .object(let members) = frames[0] {
            label = .object(members.filter { $0.0 != "timestamp" })
        } else {
            preconditionFailure("a frame is an object")
        }
        let task: JSONOutput = .object([
            ("format_version", .string("0.1")),
            ("categories", .array(categories.enumerated().map { c, name in
                var members: [(String, JSONOutput)] = [("id", .number(Double(c + 1))), ("name", .string(name))]
                if !categoryAttributes[c].isEmpty {
                    members.append(("attributes", .array(categoryAttributes[c].map { .object([("name", .string($0.0)), ("input_type", .string($0.1))]) })))
                }
                return .object(members)
            })),
        ])
        let sample: JSONOutput = .object([("frames", .array(set.frames.enumerated().map { f, frame in
            var members: [(String, JSONOutput)] = [("name", .string(frame.name))]
            if let stamp = frame.timestamp.flatMap(nanoseconds) { members.append(("timestamp", .raw(String(stamp)))) }
            if let pose = poses?[f] {
                let q = pose.rotation
                members.append(("ego_pose", .object([("position", xyz(pose.translation)),
                                                     ("heading", .object([("qx", .number(q.x)), ("qy", .number(q.y)), ("qz", .number(q.z)), ("qw", .number(q.w))]))])))
            }
            return .object(members)
        }))])
        func bytes(_ json: JSONOutput) -> [UInt8] { Array((json.rendered(indent: 1) + "\n").utf8) }
        return [(labelFile, bytes(label)), (taskAttributesFile, bytes(task)), (framesFile, bytes(sample))]
    }

    /// The roll or pitch (radians) above which a box is written with its `rotation`; below it the box
    /// is written upright (its yaw alone), within this angle of its own orientation.
    public static let tiltTolerance = 1e-9

    /// Each frame's ego pose, `pose₀⁻¹ · pose_k` (the first exactly the identity), when every frame has
    /// a world-from-sensor pose.
    private static func egoPoses(_ set: LabelSet) -> [RigidPose]? {
        guard let first = set.frames.first?.egoPose, set.frames.allSatisfy({ $0.egoPose != nil }) else { return nil }
        let inverse = first.inverse
        return set.frames.enumerated().map { $0.offset == 0 ? .identity : inverse.composed(with: $0.element.egoPose!) }
    }

    /// Seconds as whole nanoseconds, when they fit.
    private static func nanoseconds(_ seconds: Double) -> Int? {
        let value = (seconds * 1e9).rounded()
        return value.isFinite && abs(value) < 9e18 ? Int(value) : nil
    }

    private static func xyz(_ v: SIMD3<Double>) -> JSONOutput { .object([("x", .number(v.x)), ("y", .number(v.y)), ("z", .number(v.z))]) }

    /// The object's attributes as written: its score, then its attributes by name (not `track_id` or
    /// `keyframe`, which are fields of their own).
    private static func attributeValues(_ object: LabeledObject) -> [(String, LabelValue)] {
        var out: [(String, LabelValue)] = []
        if let score = object.score { out.append(("score", .number(score))) }
        for (name, value) in object.attributes.sorted(by: { $0.key < $1.key }) where !["score", "track_id", "keyframe"].contains(name) {
            out.append((name, value))
        }
        return out
    }

    /// Writes the folder's three files atomically (the folder is created if needed).
    /// - Throws: `FileAccessError` naming the file.
    public static func write(_ set: LabelSet, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in encode(set) { try FileBytes.writeAtomically(file.bytes, to: folder + "/" + file.name) }
    }

    /// Parses a label (sequence or single frame) with its task attributes (category names; without
    /// them a category is named by its id) and sample frames (names, times and ego poses; without them
    /// frames are named by index, 6 digits, and boxes are taken as in the point cloud's frame). Boxes
    /// come back in each frame's sensor frame; `score` becomes the score, `is_keyframe` false the
    /// `keyframe` attribute, `track_id` (else `id`) the track id.
    /// - Throws: ``LabelFileError`` with the line of the field.
    public static func decode(label labelBytes: [UInt8], taskAttributes: [UInt8]? = nil, frames framesBytes: [UInt8]? = nil) throws(LabelFileError) -> LabelSet {
        let label = try parseLabelJSON(labelBytes)
        var names: [Int: String] = [:]
        if let taskAttributes {
            for category in try parseLabelJSON(taskAttributes).array("categories") { names[try category.integer("id")] = try category.string("name") }
        }
        var sampleFrames: [JSONNode] = []
        if let framesBytes { sampleFrames = try parseLabelJSON(framesBytes).array("frames") }
        let labelFrames = label["frames"] != nil ? try label.array("frames") : [label]
        var set = LabelSet()
        for (f, node) in labelFrames.enumerated() {
            let sample = f < sampleFrames.count ? sampleFrames[f] : nil
            var frame = LabeledFrame(name: String(format: "%06d", f))
            if let sample { frame.name = try sample.string("name") }
            var stamp = try node.optionalNumber("timestamp")
            if stamp == nil, let sample { stamp = try sample.optionalNumber("timestamp") }
            if let stamp { frame.timestamp = stamp / 1e9 }
            var pose: RigidPose?
            if let ego = sample?["ego_pose"], !ego.isNull {
                let position = try ego.required("position"), heading = try ego.required("heading")
                let q = Quaternion(w: try heading.number("qw"), x: try heading.number("qx"), y: try heading.number("qy"), z: try heading.number("qz"))
                guard q.norm > 0 else { throw heading.invalid(field: "heading", expected: "a quaternion of non-zero norm") }
                pose = RigidPose(rotation: q.normalized, translation: SIMD3(try position.number("x"), try position.number("y"), try position.number("z")))
                frame.egoPose = pose
            }
            for annotation in try node.array("annotations") {
                guard (try? annotation.string("type")) == "cuboid" else { continue }
                let category = try annotation.integer("category_id")
                let id = annotation["track_id"] != nil ? try annotation.integer("track_id") : try annotation.integer("id")
                func xyz(_ field: String) throws(LabelFileError) -> SIMD3<Double> {
                    let v = try annotation.required(field)
                    return SIMD3(try v.number("x"), try v.number("y"), try v.number("z"))
                }
                let (position, size) = (try xyz("position"), try xyz("dimensions"))
                guard size.x >= 0, size.y >= 0, size.z >= 0 else { throw annotation.invalid(field: "dimensions", expected: "sizes >= 0") }
                var object = LabeledObject(trackID: String(id), category: names[category] ?? String(category))
                if let rotation = annotation["rotation"], !rotation.isNull {
                    let q = Quaternion(w: try rotation.number("qw"), x: try rotation.number("qx"), y: try rotation.number("qy"), z: try rotation.number("qz"))
                    guard q.norm > 0 else { throw rotation.invalid(field: "rotation", expected: "a quaternion of non-zero norm") }
                    let angles = LabeledObject.eulerXYZ(q.normalized)
                    object.cuboid = Box3D(center: position, size: size, yaw: angles.yaw)
                    (object.roll, object.pitch) = (angles.roll, angles.pitch)
                } else {
                    object.cuboid = Box3D(center: position, size: size, yaw: try annotation.number("yaw"))
                }
                if let pose { object = object.transformed(by: pose.inverse) }
                if annotation["is_keyframe"]?.bool == false { object.attributes["keyframe"] = .flag(false) }
                for (name, value) in annotation["attributes"]?.members ?? [] {
                    switch value.value {
                    case .number(let n) where name == "score": object.score = n
                    case .number(let n): object.attributes[name] = .number(n)
                    case .bool(let b): object.attributes[name] = .flag(b)
                    case .string(let s): object.attributes[name] = .text(s)
                    case .null: break
                    default: throw value.invalid(field: name, expected: "a number, string or boolean")
                    }
                }
                frame.objects.append(object)
            }
            set.frames.append(frame)
        }
        return set
    }

    /// Reads a Segments.ai folder (or its `label.json`): the label with `task_attributes.json` and
    /// `frames.json` beside it when they are there.
    /// - Throws: `FileAccessError`, or `FileDecodingError` naming the file.
    public static func read(_ path: String) throws -> LabelSet {
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : Paths.parent(path)
        func optional(_ name: String) throws -> [UInt8]? {
            FileManager.default.fileExists(atPath: folder + "/" + name) ? try FileBytes.read(folder + "/" + name) : nil
        }
        let (task, frames) = (try optional(taskAttributesFile), try optional(framesFile))
        return try FileBytes.decode(folder + "/" + labelFile) { (bytes) throws(LabelFileError) in try decode(label: bytes, taskAttributes: task, frames: frames) }
    }
}

import CuboidGeometry
import CuboidIO
import Foundation

/// CVAT's "Sly Point Cloud Format 1.0": a Supervisely point cloud project as datumaro 1.13 reads it
/// for CVAT.
///
/// A folder holding:
/// - `meta.json`: the classes (`title`, shape `cuboid_3d`) and the tags the objects carry (`score`
///   and every attribute: `any_number` for numbers, `any_string` for text and flags, which are
///   `true`/`false`), `projectType` `point_clouds`.
/// - `key_id_map.json`: the ids of the keys: each frame's key its 0-based index, each object's key
///   its track id (the objects' own when they are distinct whole numbers >= 0, else 1, 2, ... in
///   order; an untracked box is an object of its own), each figure's key 1, 2, ...
/// - `ds0/ann/FRAME.pcd.json`: per frame, the objects present (`key`, `classTitle`, their tags with
///   this frame's values) and one `cuboid_3d` figure per box: `position` the centre, `rotation` roll,
///   pitch and yaw (radians, x y z), `dimensions` length, width, height along the box's x, y and z, in
///   the sensor frame, metres: the numbers CVAT shows.
///
/// Keys are UUID-shaped and derived from the frame and object numbers, so the same labels give the
/// same bytes. The point clouds (`ds0/pointcloud/FRAME.pcd`, which the annotations name) are not
/// written: CVAT matches imported annotations to the task's frames by name (convert sweeps with
/// `cuboid convert` to PCD to build a full dataset).
public enum SlyPointCloudFile {
    public static let metaFile = "meta.json"
    public static let keyIDFile = "key_id_map.json"
    /// The annotation folder, relative to the project folder.
    public static let annotationFolder = "ds0/ann"
    /// What ends an annotation file's name (the point cloud's name and `.json`).
    public static let annotationSuffix = ".pcd.json"

    /// The files of a project: (path relative to the folder, bytes), meta and key map first.
    /// - Complexity: O(cuboids + frames).
    public static func encode(_ set: LabelSet) -> [(path: String, bytes: [UInt8])] {
        // Objects: one per (track id, class), or per untracked box.
        let objects = CuboidObjects(set)
        let perFrame = objects.perFrame, owners = objects.owners
        var classes: [String] = []
        var tags: [String: String] = [:]
        var tagOrder: [String] = []
        for boxes in perFrame {
            for (object, _) in boxes {
                if !classes.contains(object.category) { classes.append(object.category) }
                for (name, value) in tagValues(object) {
                    let type = value.number != nil ? "any_number" : "any_string"
                    if tags[name] == nil { tagOrder.append(name) }
                    // A tag with numbers and text is text (its numbers are written as text then).
                    tags[name] = tags[name] == nil || tags[name] == type ? type : "any_string"
                }
            }
        }
        var ids = CVATFile.trackIDs(owners)
        if ids == Array(owners.indices) { ids = ids.map { $0 + 1 } }

        let meta: JSONOutput = .object([
            ("classes", .array(classes.enumerated().map { .object([("id", .number(Double($0.offset))), ("title", .string($0.element)), ("color", .string("")),
                                                                   ("shape", .string("cuboid_3d")), ("geometry_config", .object([]))]) })),
            ("tags", .array(tagOrder.enumerated().map { n, name in
                .object([("name", .string(name)), ("value_type", .string(tags[name]!)), ("color", .string("")), ("id", .number(Double(n + 1))),
                         ("hotkey", .string("")), ("applicable_type", .string("objectsOnly")), ("classes", .array([]))])
            })),
            ("projectType", .string("point_clouds")),
        ])
        var files: [(path: String, bytes: [UInt8])] = []
        var figureKeys: [(String, JSONOutput)] = []
        var frameKeys: [(String, JSONOutput)] = []
        var figure = 0
        for (f, frame) in set.frames.enumerated() {
            let frameKey = key("frame", f)
            frameKeys.append((frameKey, .number(Double(f))))
            var objects: [JSONOutput] = []
            var present: Set<Int> = []
            var figures: [JSONOutput] = []
            for (object, owner) in perFrame[f] {
                let box = object.cuboid!
                if present.insert(owner).inserted {
                    objects.append(.object([
                        ("key", .string(key("object", owner))), ("classTitle", .string(object.category)),
                        ("tags", .array(tagValues(object).enumerated().map { t, tag in
                            let value: JSONOutput = tags[tag.0] == "any_number" ? .number(tag.1.number!) : .string(tag.1.description)
                            return .object([("key", .string(key("tag", f, figure, t))), ("name", .string(tag.0)), ("value", value)])
                        })),
                    ]))
                }
                figure += 1
                let figureKey = key("figure", figure)
                figureKeys.append((figureKey, .number(Double(figure))))
                func xyz(_ v: SIMD3<Double>) -> JSONOutput { .object([("x", .number(v.x)), ("y", .number(v.y)), ("z", .number(v.z))]) }
                figures.append(.object([
                    ("key", .string(figureKey)), ("objectKey", .string(key("object", owner))), ("geometryType", .string("cuboid_3d")),
                    ("geometry", .object([("position", xyz(box.center)), ("rotation", xyz(SIMD3(object.roll, object.pitch, box.yaw))),
                                          ("dimensions", xyz(box.size))])),
                ]))
            }
            let annotation: JSONOutput = .object([("description", .string("")), ("key", .string(frameKey)), ("tags", .array([])),
                                                  ("objects", .array(objects)), ("figures", .array(figures))])
            files.append((PathComponent.file(in: annotationFolder, name: frame.name, suffix: annotationSuffix), Array((annotation.rendered(indent: 1) + "\n").utf8)))
        }
        let keyMap: JSONOutput = .object([
            ("tags", .object([])),
            ("objects", .object(owners.indices.map { (key("object", $0), .number(Double(ids[$0]))) })),
            ("figures", .object(figureKeys)),
            ("videos", .object(frameKeys)),
        ])
        return [(metaFile, Array((meta.rendered(indent: 1) + "\n").utf8)), (keyIDFile, Array((keyMap.rendered(indent: 1) + "\n").utf8))] + files
    }

    /// The object's tags: its score, then its attributes by name (`occluded` included: Supervisely has
    /// no flag for it).
    private static func tagValues(_ object: LabeledObject) -> [(String, LabelValue)] {
        var out: [(String, LabelValue)] = []
        if let score = object.score { out.append(("score", .number(score))) }
        for (name, value) in object.attributes.sorted(by: { $0.key < $1.key }) where name != "score" && name != "track_id" { out.append((name, value)) }
        return out
    }

    /// A UUID-shaped key, the same for the same kind and number.
    static func key(_ kind: String, _ numbers: Int...) -> String {
        var a = Digest64()
        a.combine(kind + "/" + numbers.map(String.init).joined(separator: "/"))
        var b = a
        b.combine("second half")
        let hex = Digest64.hex(a.value) + Digest64.hex(b.value)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }

    /// Writes the project's files atomically (folders created as needed), then removes the other
    /// annotation files (`*.pcd.json`) of `ds0/ann`, which an earlier export of other frames left and
    /// whose keys the new key map would not hold.
    /// - Throws: `FileAccessError` naming the file.
    public static func write(_ set: LabelSet, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/" + annotationFolder, withIntermediateDirectories: true)
        let files = encode(set)
        for file in files { try FileBytes.writeAtomically(file.bytes, to: folder + "/" + file.path) }
        let written = Set(files.map { Paths.lastComponent($0.path) })
        for name in try FileBytes.listFolder(folder + "/" + annotationFolder).names where name.hasSuffix(annotationSuffix) && !written.contains(name) {
            try FileManager.default.removeItem(atPath: folder + "/" + annotationFolder + "/" + name)
        }
    }

    /// The ids of a key map: (object key -> track id, frame key -> frame index).
    /// - Throws: ``LabelFileError`` with the line.
    public static func decodeKeyMap(_ bytes: [UInt8]) throws(LabelFileError) -> (objects: [String: Int], frames: [String: Int]) {
        let map = try parseLabelJSON(bytes)
        func ids(_ section: String) throws(LabelFileError) -> [String: Int] {
            var out: [String: Int] = [:]
            for (key, _) in try map.object(section) { out[key] = try map.required(section).integer(key) }
            return out
        }
        return (try ids("objects"), try ids("videos"))
    }

    /// Parses one frame's annotation file: its index (from the key map) and its labels, named by the
    /// file (without `.pcd.json`), objects' track ids from the key map, tags as attributes (`score`
    /// as the score, `true`/`false` as flags).
    /// - Throws: ``LabelFileError`` with the line; a key that is not in the key map is invalid.
    public static func decodeFrame(_ bytes: [UInt8], name file: String, keyMap: (objects: [String: Int], frames: [String: Int])) throws(LabelFileError) -> (index: Int, frame: LabeledFrame) {
        let root = try parseLabelJSON(bytes)
        guard let index = keyMap.frames[try root.string("key")] else { throw root["key"]!.invalid(field: "key", expected: "a key of key_id_map.json's videos") }
        var name = file
        for suffix in [".json", ".pcd"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        var frame = LabeledFrame(name: PathComponent.unescaped(name))
        var objects: [String: LabeledObject] = [:]
        for object in try root.array("objects") {
            let key = try object.string("key")
            guard let id = keyMap.objects[key] else { throw object["key"]!.invalid(field: "key", expected: "a key of key_id_map.json's objects") }
            var labeled = LabeledObject(trackID: String(id), category: try object.string("classTitle"))
            for tag in object["tags"]?.elements ?? [] {
                let name = try tag.string("name")
                switch tag["value"]?.value {
                case .number(let number): if name == "score" { labeled.score = number } else { labeled.attributes[name] = .number(number) }
                case .string(let text): labeled.attributes[name] = text == "true" || text == "false" ? .flag(text == "true") : .text(text)
                case .bool(let flag): labeled.attributes[name] = .flag(flag)
                default: throw tag.invalid(field: "value", expected: "a number, string or boolean")
                }
            }
            objects[key] = labeled
        }
        for figure in try root.array("figures") where figure["geometryType"]?.string == "cuboid_3d" {
            guard var object = objects[try figure.string("objectKey")] else {
                throw figure["objectKey"]!.invalid(field: "objectKey", expected: "the key of an object of this frame")
            }
            let geometry = try figure.required("geometry")
            func xyz(_ field: String) throws(LabelFileError) -> SIMD3<Double> {
                let node = try geometry.required(field)
                return SIMD3(try node.number("x"), try node.number("y"), try node.number("z"))
            }
            let (position, rotation, size) = (try xyz("position"), try xyz("rotation"), try xyz("dimensions"))
            guard size.x >= 0, size.y >= 0, size.z >= 0 else { throw geometry.invalid(field: "dimensions", expected: "sizes >= 0") }
            object.cuboid = Box3D(center: position, size: size, yaw: rotation.z)
            object.roll = rotation.x
            object.pitch = rotation.y
            frame.objects.append(object)
        }
        return (index, frame)
    }

    /// Reads a Sly Point Cloud folder: `key_id_map.json` and `ds0/ann/*.json`, frames in the order of
    /// their index in the key map.
    /// - Throws: `FileAccessError`, or `FileDecodingError` naming the file.
    public static func read(_ folder: String) throws -> LabelSet {
        let keyMap = try FileBytes.decode(folder + "/" + keyIDFile, decodeKeyMap)
        let annotationPath = folder + "/" + annotationFolder
        var frames: [(index: Int, frame: LabeledFrame)] = []
        for name in try FileBytes.listFolder(annotationPath).names.sorted() where name.hasSuffix(".json") {
            frames.append(try FileBytes.decode(annotationPath + "/" + name) { (bytes) throws(LabelFileError) in try decodeFrame(bytes, name: name, keyMap: keyMap) })
        }
        return LabelSet(frames: frames.sorted { $0.index < $1.index }.map(\.frame))
    }
}

import CuboidGeometry
import CuboidIO

/// Datumaro's JSON format for point clouds (`annotations/default.json`), the form CVAT's
/// "Datumaro 3D" import and export use for cuboids.
///
/// One item per frame (`id` is the frame's name, `point_cloud.path` `FRAME.EXT`), `media_type` 6
/// (point cloud), and one `cuboid_3d` annotation per object: `position` (box centre), `rotation`
/// `[roll, pitch, yaw]` (radians, Euler XYZ) and `scale` `[length, width, height]`, in the sensor
/// frame. The track id goes in the attribute `track_id` (an integer when it reads as one), the score
/// in `score`, other attributes as they are.
public enum DatumaroFile {
    /// Writes a label set's cuboids.
    /// - Parameter set: The labels; their cuboids are written, in the sensor frame.
    /// - Parameter pointCloudExtension: Extension of the point cloud files the items name (default `pcd`).
    public static func encode(_ set: LabelSet, pointCloudExtension: String = "pcd") -> [UInt8] {
        var labels: [String] = []
        var items: [JSONOutput] = []
        var nextID = 0
        for (index, frame) in set.frames.enumerated() {
            var annotations: [JSONOutput] = []
            for object in frame.objects {
                guard let box = object.cuboid else { continue }
                if !labels.contains(object.category) { labels.append(object.category) }
                var attributes: [(String, JSONOutput)] = []
                if let track = object.trackID { attributes.append(("track_id", Int(track).map { .number(Double($0)) } ?? .string(track))) }
                if let score = object.score { attributes.append(("score", .number(score))) }
                for (name, value) in object.attributes.sorted(by: { $0.key < $1.key }) {
                    switch value {
                    case .number(let number): attributes.append((name, .number(number)))
                    case .text(let text): attributes.append((name, .string(text)))
                    case .flag(let flag): attributes.append((name, .bool(flag)))
                    }
                }
                nextID += 1
                annotations.append(.object([
                    ("id", .number(Double(nextID))), ("type", .string("cuboid_3d")), ("attributes", .object(attributes)),
                    ("group", .number(0)), ("label_id", .number(Double(labels.firstIndex(of: object.category)!))),
                    ("position", .numbers([box.x, box.y, box.z])), ("rotation", .numbers([object.roll, object.pitch, box.yaw])),
                    ("scale", .numbers([box.length, box.width, box.height])),
                ]))
            }
            items.append(.object([
                ("id", .string(frame.name)), ("annotations", .array(annotations)), ("attr", .object([("frame", .number(Double(index)))])),
                ("point_cloud", .object([("path", .string(frame.name + "." + pointCloudExtension))])),
            ]))
        }
        let categories: JSONOutput = .object([("label", .object([
            ("labels", .array(labels.map { .object([("name", .string($0)), ("parent", .string("")), ("attributes", .array([]))]) })),
            ("attributes", .array([])),
        ]))])
        return Array((JSONOutput.object([("dm_format_version", .string("1.0")), ("media_type", .number(6)), ("infos", .object([])),
                                         ("categories", categories), ("items", .array(items))]).rendered(indent: 1) + "\n").utf8)
    }

    /// Parses a Datumaro point cloud file into frames in item order.
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> LabelSet {
        let root = try parseLabelJSON(bytes)
        var labels: [String] = []
        for label in try root.required("categories").required("label").array("labels") { labels.append(try label.string("name")) }
        var set = LabelSet()
        for item in try root.array("items") {
            var frame = LabeledFrame(name: try item.string("id"))
            for annotation in item["annotations"]?.elements ?? [] where annotation["type"]?.string == "cuboid_3d" {
                let position = try annotation.numbers("position", count: 3), rotation = try annotation.numbers("rotation", count: 3)
                let scale = try annotation.numbers("scale", count: 3)
                guard scale.allSatisfy({ $0 >= 0 }) else { throw .invalidField(line: annotation.line, field: "scale", expected: "sizes >= 0") }
                let labelID = try annotation.integer("label_id")
                guard labels.indices.contains(labelID) else { throw .unknownClass(line: annotation.line, name: String(labelID)) }
                var object = LabeledObject(category: labels[labelID],
                                           cuboid: Box3D(center: SIMD3(position[0], position[1], position[2]),
                                                         size: SIMD3(scale[0], scale[1], scale[2]), yaw: rotation[2]),
                                           roll: rotation[0], pitch: rotation[1])
                for (name, value) in annotation["attributes"]?.members ?? [] {
                    switch value.value {
                    case .number(let number):
                        if name == "track_id" { object.trackID = JSONWriter.number(number) } else if name == "score" { object.score = number } else { object.attributes[name] = .number(number) }
                    case .string(let text): if name == "track_id" { object.trackID = text } else { object.attributes[name] = .text(text) }
                    case .bool(let flag): object.attributes[name] = .flag(flag)
                    default: throw .invalidField(line: value.line, field: name, expected: "a number, string or boolean")
                    }
                }
                frame.objects.append(object)
            }
            set.frames.append(frame)
        }
        return set
    }
}

import CuboidGeometry
import CuboidIO

/// nuScenes: the devkit's detection results JSON, and mmdetection3d's info files (`.pkl` turned
/// into JSON) for gold boxes and calibration.
public enum NuScenesResultsFile {
    /// The ten classes the nuScenes detection benchmark scores.
    public static let detectionClasses = ["car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle",
                                          "bicycle", "traffic_cone", "barrier"]

    /// Writes detection results as the devkit's submission JSON: `meta` (lidar only) and `results`,
    /// one list per sample token (the frame's name). Boxes go to the **global** frame through each
    /// frame's ego pose (world from sensor); without one, the label set's frame is taken as global.
    /// `size` is `[width, length, height]`, `rotation` `[w, x, y, z]`, `velocity` the attributes
    /// `velocity_x`/`velocity_y` (m/s, global; 0 when absent), `attribute_name` the text attribute of
    /// that name (or empty).
    /// `detection_name` is the class as ``ClassNames/nuScenesDetectionClass(_:classes:)`` names it
    /// (`Car` -> `car`, `Van` -> `car`, `Cyclist` -> `bicycle`, `Person_sitting` -> `pedestrian`).
    /// - Throws: ``LabelFileError/unmappedClass(name:format:)`` for a class nuScenes detection has no class for.
    public static func encode(_ set: LabelSet) throws(LabelFileError) -> [UInt8] {
        var results: [(String, JSONOutput)] = []
        for frame in set.frames {
            var boxes: [JSONOutput] = []
            let pose = frame.egoPose ?? .identity
            for object in frame.objects {
                guard let box = object.cuboid else { continue }
                guard let name = ClassNames.nuScenesDetectionClass(object.category, classes: detectionClasses) else {
                    throw .unmappedClass(name: object.category, format: "nuScenes detection")
                }
                let center = pose.apply(to: box.center)
                let rotation = pose.rotation * object.orientation
                boxes.append(.object([
                    ("sample_token", .string(frame.name)),
                    ("translation", .numbers([center.x, center.y, center.z])),
                    ("size", .numbers([box.width, box.length, box.height])),
                    ("rotation", .numbers([rotation.w, rotation.x, rotation.y, rotation.z])),
                    ("velocity", .numbers([object.attributes["velocity_x"]?.number ?? 0, object.attributes["velocity_y"]?.number ?? 0])),
                    ("detection_name", .string(name)),
                    ("detection_score", .number(object.score ?? 1)),
                    ("attribute_name", .string(object.attributes["attribute_name"]?.text ?? "")),
                ]))
            }
            results.append((frame.name, .array(boxes)))
        }
        let meta: JSONOutput = .object([("use_camera", .bool(false)), ("use_lidar", .bool(true)), ("use_radar", .bool(false)),
                                        ("use_map", .bool(false)), ("use_external", .bool(false))])
        return Array((JSONOutput.object([("meta", meta), ("results", .object(results))]).rendered(indent: 1) + "\n").utf8)
    }

    /// Parses a results file into a label set in the **global** frame (`sensorName` `global`), one
    /// frame per sample token in file order.
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> LabelSet {
        let root = try parseLabelJSON(bytes)
        var set = LabelSet(sensorName: "global")
        for (token, list) in try root.object("results") {
            guard let boxes = list.elements else { throw .invalidField(line: list.line, field: token, expected: "an array of boxes") }
            var frame = LabeledFrame(name: token)
            for box in boxes {
                let t = try box.numbers("translation", count: 3), size = try box.numbers("size", count: 3)
                let r = try box.numbers("rotation", count: 4)
                let rotation = Quaternion(w: r[0], x: r[1], y: r[2], z: r[3])
                guard abs(rotation.norm - 1) < 1e-4 else { throw .invalidField(line: box.line, field: "rotation", expected: "a unit quaternion [w, x, y, z]") }
                guard size.allSatisfy({ $0 >= 0 }) else { throw .invalidField(line: box.line, field: "size", expected: "sizes >= 0") }
                let (roll, pitch, yaw) = LabeledObject.eulerXYZ(rotation.normalized)
                var object = LabeledObject(category: try box.string("detection_name"),
                                           cuboid: Box3D(center: SIMD3(t[0], t[1], t[2]), size: SIMD3(size[1], size[0], size[2]), yaw: yaw),
                                           roll: roll, pitch: pitch, score: try box.optionalNumber("detection_score"))
                if box["velocity"] != nil {
                    let v = try box.numbers("velocity", count: 2, 3)
                    object.attributes["velocity_x"] = .number(v[0])
                    object.attributes["velocity_y"] = .number(v[1])
                }
                if let attribute = box["attribute_name"]?.string, !attribute.isEmpty { object.attributes["attribute_name"] = .text(attribute) }
                frame.objects.append(object)
            }
            set.frames.append(frame)
        }
        return set
    }

    /// Reads and decodes a results file.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path, decode) }
}

/// mmdetection3d's nuScenes info file (version 1.1, its `.pkl` saved as JSON): gold boxes in the
/// LIDAR_TOP frame with calibration and poses.
///
/// Each entry of `data_list` becomes a frame named by its sample `token`, with its `timestamp`, the
/// ego pose `ego2global * lidar2ego` (world from lidar), and one object per `instances` entry:
/// `bbox_3d` = `[x, y, z, l, w, h, yaw]` with z the **gravity centre** (checked against
/// `num_lidar_pts` on the real file), the class from `metainfo.categories` (`ignore` for label -1,
/// mmdetection3d's mark for classes outside its list), and `num_lidar_pts`,
/// `velocity_x`, `velocity_y` as attributes. Cameras come from the first entry's `images`
/// (`cam2img` as K, `lidar2cam` as camera from lidar).
public enum NuScenesInfoFile {
    /// Parses an info file.
    /// - Parameter bytes: The file's contents (JSON).
    /// - Parameter imageSize: The cameras' image size (the file holds none; nuScenes' is 1600 x 900).
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decode(_ bytes: [UInt8], imageSize: (width: Int, height: Int) = (1600, 900)) throws(LabelFileError) -> LabelSet {
        try decode(root: try parseLabelJSON(bytes), imageSize: imageSize)
    }

    /// The labels and, per entry, the files it names (the lidar sweep and the images by camera), from
    /// one parse.
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decodeWithFiles(_ bytes: [UInt8], imageSize: (width: Int, height: Int) = (1600, 900))
        throws(LabelFileError) -> (labels: LabelSet, files: [(lidar: String, images: [(String, String)])]) {
        let root = try parseLabelJSON(bytes)
        var files: [(lidar: String, images: [(String, String)])] = []
        for entry in try root.array("data_list") {
            let lidar = try entry.required("lidar_points").string("lidar_path")
            var images: [(String, String)] = []
            for (camera, image) in entry["images"]?.members ?? [] { images.append((camera, try image.string("img_path"))) }
            files.append((lidar, images))
        }
        return (try decode(root: root, imageSize: imageSize), files)
    }

    private static func decode(root: JSONNode, imageSize: (width: Int, height: Int)) throws(LabelFileError) -> LabelSet {
        var names: [Int: String] = [:]
        for (name, index) in try root.required("metainfo").object("categories") {
            guard let value = index.number, value == value.rounded(), abs(value) <= 1e9 else {
                throw .invalidField(line: index.line, field: name, expected: "a class index")
            }
            names[Int(value)] = name
        }
        var set = LabelSet()
        func matrix(_ node: JSONNode, _ key: String, rows: Int) throws(LabelFileError) -> [Double] {
            let list = try node.array(key)
            guard list.count == rows else { throw .invalidField(line: node.line, field: key, expected: "\(rows) rows") }
            var out: [Double] = []
            for row in list { out += try row.asNumbers(field: key, counts: [rows == 3 ? 3 : 4]) }
            return out
        }
        for (index, entry) in try root.array("data_list").enumerated() {
            var frame = LabeledFrame(name: try entry.string("token"), timestamp: try entry.optionalNumber("timestamp"))
            let lidar = try entry.required("lidar_points")
            let lidarToEgo = try rigidPose(try matrix(lidar, "lidar2ego", rows: 4), line: lidar.line, field: "lidar2ego")
            let egoToGlobal = try rigidPose(try matrix(entry, "ego2global", rows: 4), line: entry.line, field: "ego2global")
            frame.egoPose = egoToGlobal.composed(with: lidarToEgo)
            for instance in try entry.array("instances") {
                let box = try instance.numbers("bbox_3d", count: 7)
                guard box[3] >= 0, box[4] >= 0, box[5] >= 0 else { throw .invalidField(line: instance.line, field: "bbox_3d", expected: "sizes >= 0") }
                let label = try instance.integer("bbox_label_3d")
                // mmdetection3d marks objects of classes outside its list (animals, say) with -1.
                guard let category = label == -1 ? "ignore" : names[label] else {
                    throw .unknownClass(line: instance.line, name: String(label))
                }
                var object = LabeledObject(category: category, cuboid: Box3D(x: box[0], y: box[1], z: box[2], length: box[3],
                                                                             width: box[4], height: box[5], yaw: box[6]))
                if let points = try instance.optionalNumber("num_lidar_pts") { object.attributes["num_lidar_pts"] = .number(points) }
                // Unknown velocities are NaN in the real files: leave them out.
                if let v = instance["velocity"]?.elements?.compactMap(\.number), v.count == 2 {
                    object.attributes["velocity_x"] = .number(v[0])
                    object.attributes["velocity_y"] = .number(v[1])
                }
                frame.objects.append(object)
            }
            if index == 0, let images = entry["images"]?.members {
                for (name, image) in images {
                    let k = try matrix(image, "cam2img", rows: 3)
                    guard k[0] > 0, k[4] > 0 else {
                        throw .invalidField(line: image.line, field: "cam2img", expected: "positive focal lengths (found \(k[0]), \(k[4]))")
                    }
                    let extrinsic = try rigidPose(try matrix(image, "lidar2cam", rows: 4), line: image.line, field: "lidar2cam")
                    set.cameras.append(Camera(name: name, intrinsics: CameraIntrinsics(fx: k[0], fy: k[4], cx: k[2], cy: k[5], skew: k[1],
                                                                                       width: imageSize.width, height: imageSize.height),
                                              cameraFromSensor: extrinsic))
                }
            }
            set.frames.append(frame)
        }
        return set
    }

    /// Reads and decodes an info file.
    public static func read(_ path: String) throws -> LabelSet { try FileBytes.decode(path) { (bytes) throws(LabelFileError) in try decode(bytes) } }
}

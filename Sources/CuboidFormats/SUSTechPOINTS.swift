public import CuboidGeometry
import CuboidIO

/// SUSTechPOINTS label files (`label/FRAME.json`): one JSON array of objects per frame, each with
/// `psr` (`position`, `scale`, `rotation`, each `{x, y, z}`), `obj_type` and `obj_id`.
///
/// SUSTechPOINTS boxes are in the lidar frame, centred on the box, `scale` ordered length, width,
/// height, and `rotation` Euler angles applied as three.js does by default (intrinsic XYZ), which is
/// exactly ``LabeledObject``'s roll, pitch and yaw. Newer versions wrap the array as
/// `{"objs": [...]}`; both read. Optional `obj_attr` (a free-text attribute) is kept.
public enum SUSTechPOINTSLabelFile {
    /// Parses one frame's labels.
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(LabelFileError) -> [LabeledObject] {
        let document = try parseLabelJSON(bytes)
        let list: [JSONNode]
        if let elements = document.elements {
            list = elements
        } else if document.members != nil {
            list = try document.array("objs")
        } else {
            throw .invalidField(line: document.line, field: "labels", expected: "an array of objects or {\"objs\": [...]}")
        }
        var objects: [LabeledObject] = []
        for entry in list {
            let psr = try entry.required("psr")
            func vector(_ key: String) throws(LabelFileError) -> SIMD3<Double> {
                let node = try psr.required(key)
                return SIMD3(try node.number("x"), try node.number("y"), try node.number("z"))
            }
            let position = try vector("position"), scale = try vector("scale"), rotation = try vector("rotation")
            guard scale.x >= 0, scale.y >= 0, scale.z >= 0 else {
                throw .invalidField(line: psr.line, field: "scale", expected: "sizes >= 0")
            }
            let type = try entry.string("obj_type")
            let idNode = try entry.required("obj_id")
            let id: String
            if let text = idNode.string {
                id = text
            } else if let number = idNode.number {
                id = JSONWriter.number(number)
            } else {
                throw .invalidField(line: idNode.line, field: "obj_id", expected: "a string or number")
            }
            var object = LabeledObject(trackID: id, category: type, cuboid: Box3D(center: position, size: scale, yaw: rotation.z),
                                       roll: rotation.x, pitch: rotation.y)
            if let attribute = entry["obj_attr"]?.string { object.attributes["obj_attr"] = .text(attribute) }
            objects.append(object)
        }
        return objects
    }

    /// Writes one frame's labels as SUSTechPOINTS saves them (a single line, `", "` and `": "`
    /// separators). Objects without a cuboid are skipped; without a track id they get their index.
    public static func encode(_ objects: [LabeledObject]) -> [UInt8] {
        var entries: [JSONOutput] = []
        for (index, object) in objects.enumerated() {
            guard let box = object.cuboid else { continue }
            func xyz(_ v: SIMD3<Double>) -> JSONOutput { .object([("x", .number(v.x)), ("y", .number(v.y)), ("z", .number(v.z))]) }
            var members: [(String, JSONOutput)] = [
                ("psr", .object([("position", xyz(box.center)), ("scale", xyz(box.size)),
                                 ("rotation", xyz(SIMD3(object.roll, object.pitch, box.yaw)))])),
                ("obj_type", .string(object.category)),
                ("obj_id", .string(object.trackID ?? String(index))),
            ]
            if let attribute = object.attributes["obj_attr"]?.text { members.append(("obj_attr", .string(attribute))) }
            entries.append(.object(members))
        }
        return Array(JSONOutput.array(entries).renderedInline().utf8)
    }

    /// Reads and decodes a label file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``LabelFileError``.
    public static func read(_ path: String) throws -> [LabeledObject] { try FileBytes.decode(path, decode) }
}

/// A camera calibration JSON file: SUSTechPOINTS' `calib/camera/NAME.json` and Cuboid's plain
/// intrinsics + extrinsics form.
///
/// Keys: `intrinsic` or `intrinsics` (row-major 3 x 3 K, 9 numbers, or a 3 x 4 P, 12), `extrinsic` or
/// `extrinsics` or `camera_from_lidar` (row-major 4 x 4 or 3 x 4 matrix mapping **lidar points into
/// the camera frame**, x right, y down, z forward), and optional `width`, `height` in pixels (needed
/// when no image gives them).
public enum CameraCalibrationFile {
    /// Parses a camera calibration.
    /// - Parameters:
    ///   - bytes: The calibration file's contents (JSON).
    ///   - name: The camera's name.
    ///   - imageSize: Width and height when the file has none (read them from an image header).
    /// - Throws: ``LabelFileError`` with the line of the offending value.
    public static func decode(_ bytes: [UInt8], name: String, imageSize: (width: Int, height: Int)? = nil) throws(LabelFileError) -> Camera {
        let document = try parseLabelJSON(bytes)
        func first(_ keys: [String]) throws(LabelFileError) -> (key: String, node: JSONNode) {
            for key in keys { if let node = document[key] { return (key, node) } }
            throw .missingField(line: document.line, field: keys.joined(separator: " or "))
        }
        let intrinsic = try first(["intrinsic", "intrinsics"])
        let k = try intrinsic.node.asNumbers(field: intrinsic.key, counts: [9, 12])
        let extrinsic = try first(["extrinsic", "extrinsics", "camera_from_lidar"])
        let e = try extrinsic.node.asNumbers(field: extrinsic.key, counts: [16, 12])
        let pose = try rigidPose(e, line: extrinsic.node.line, field: extrinsic.key)
        var width = imageSize?.width ?? 0, height = imageSize?.height ?? 0
        if let w = try document.optionalNumber("width"), let h = try document.optionalNumber("height") {
            guard w > 0, h > 0, w == w.rounded(), h == h.rounded(), w < 1e6, h < 1e6 else {
                throw .invalidField(line: document.line, field: "width/height", expected: "positive whole pixel counts")
            }
            width = Int(w)
            height = Int(h)
        }
        guard width > 0, height > 0 else { throw .missingContext("camera \(name): no width and height in the file and no image to read them from") }
        let intrinsics = k.count == 9
            ? CameraIntrinsics(fx: k[0], fy: k[4], cx: k[2], cy: k[5], skew: k[1], width: width, height: height)
            : CameraIntrinsics(matrix: k, width: width, height: height)
        guard intrinsics.fx > 0, intrinsics.fy > 0 else {
            throw .invalidField(line: intrinsic.node.line, field: intrinsic.key, expected: "positive focal lengths")
        }
        return Camera(name: name, intrinsics: intrinsics, cameraFromSensor: pose)
    }

    /// Writes a camera in the plain form (`intrinsic` 9, `extrinsic` 16, `width`, `height`).
    public static func encode(_ camera: Camera) -> [UInt8] {
        Array((JSONOutput.object([
            ("intrinsic", .numbers(camera.intrinsics.matrix)), ("extrinsic", .numbers(camera.cameraFromSensor.matrix)),
            ("width", .number(Double(camera.intrinsics.width))), ("height", .number(Double(camera.intrinsics.height))),
        ]).rendered() + "\n").utf8)
    }
}

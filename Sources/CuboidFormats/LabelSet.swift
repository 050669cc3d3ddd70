public import CuboidGeometry
public import CuboidKernels
import CuboidIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value a label format carries beside the geometry (KITTI's truncation, CVAT's attributes, a
/// nuScenes attribute name), kept so that conversions lose nothing the target format can hold.
public enum LabelValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Double)
    case text(String)
    case flag(Bool)

    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var description: String {
        switch self {
        case .number(let value): JSONWriter.number(value)
        case .text(let value): value
        case .flag(let value): String(value)
        }
    }
}

/// One labelled object in one frame, in Cuboid's conventions.
///
/// `cuboid` is in the **sensor frame** of the label set (normally the lidar frame: x forward, y left,
/// z up, metres), centred on the box's geometric centre, with the yaw of its length axis
/// counter-clockwise from +x. Labels drawn with roll and pitch (SUSTechPOINTS) keep them in
/// ``roll`` and ``pitch``: the full rotation is `Rx(roll) * Ry(pitch) * Rz(yaw)` (intrinsic XYZ, the
/// three.js order SUSTechPOINTS uses). `boxes` are image boxes per camera name, pixels.
public struct LabeledObject: Sendable, Hashable, Codable {
    /// The identity that links the object across frames (a track id), when the format has one.
    public var trackID: String?
    /// Class name as the source format spells it.
    public var category: String
    /// The 3D box in the sensor frame, when the object has one.
    public var cuboid: Box3D?
    /// Rotation about x, radians, applied after pitch and yaw (0 for yaw-only boxes).
    public var roll: Double
    /// Rotation about y, radians (0 for yaw-only boxes).
    public var pitch: Double
    /// 2D boxes by camera name.
    public var boxes: [String: Box2D]
    /// Confidence for results; nil for gold labels.
    public var score: Double?
    /// Further values the source format holds, by name.
    public var attributes: [String: LabelValue]
    /// The object's name, when the format gives one apart from its identity (OpenLABEL's object
    /// `name`; may be empty or shared by several objects: ``trackID`` is the identity).
    public var name: String?
    /// What an OpenLABEL object held in this frame that the fields above do not, kept to be written back.
    public var openLABEL: OpenLABELObjectExtras?

    public init(trackID: String? = nil, category: String, cuboid: Box3D? = nil, roll: Double = 0, pitch: Double = 0,
                boxes: [String: Box2D] = [:], score: Double? = nil, attributes: [String: LabelValue] = [:], name: String? = nil) {
        self.name = name
        self.trackID = trackID
        self.category = category
        self.cuboid = cuboid
        self.roll = roll
        self.pitch = pitch
        self.boxes = boxes
        self.score = score
        self.attributes = attributes
    }

    /// The full orientation `Rx(roll) * Ry(pitch) * Rz(yaw)` as a unit quaternion.
    public var orientation: Quaternion {
        let yaw = cuboid?.yaw ?? 0
        func axis(_ angle: Double, _ x: Double, _ y: Double, _ z: Double) -> Quaternion {
            Quaternion(w: cos(angle / 2), x: x * sin(angle / 2), y: y * sin(angle / 2), z: z * sin(angle / 2))
        }
        return axis(roll, 1, 0, 0) * axis(pitch, 0, 1, 0) * axis(yaw, 0, 0, 1)
    }

    /// The object expressed in a parent frame: `pose` maps the object's frame into the parent.
    ///
    /// The centre is mapped exactly and the full orientation becomes `pose.rotation * orientation`,
    /// read back as roll, pitch and yaw (``eulerXYZ(_:)``); everything else is kept. Unlike
    /// `Box3D.transformed(by:)`, which keeps a yaw-only box, a tilted pose gives the box a roll and
    /// pitch. An object without a cuboid is returned unchanged.
    /// - Complexity: O(1).
    public func transformed(by pose: RigidPose) -> LabeledObject {
        guard let cuboid else { return self }
        var object = self
        let angles = LabeledObject.eulerXYZ(pose.rotation * orientation)
        object.cuboid = Box3D(center: pose.apply(to: cuboid.center), size: cuboid.size, yaw: angles.yaw)
        object.roll = angles.roll
        object.pitch = angles.pitch
        return object
    }

    /// Roll, pitch and yaw of a rotation, inverting ``orientation`` (intrinsic XYZ).
    public static func eulerXYZ(_ rotation: Quaternion) -> (roll: Double, pitch: Double, yaw: Double) {
        // The entries of the rotation matrix that are needed (those of `rotation.rotationMatrix`,
        // computed here without building the matrix: this runs once per box in interpolation).
        let (w, x, y, z) = (rotation.w, rotation.x, rotation.y, rotation.z)
        let (ww, xx, yy, zz) = (w * w, x * x, y * y, z * z)
        let m00 = ww + xx - yy - zz, m01 = 2 * (x * y - w * z), m02 = 2 * (x * z + w * y)
        let m12 = 2 * (y * z - w * x), m22 = ww - xx - yy + zz
        // R = Rx Ry Rz: m02 = sin(pitch), m12 = -sin(roll) cos(pitch), m01 = -cos(pitch) sin(yaw).
        let pitch = asin(max(-1, min(1, m02)))
        if abs(m02) < 0.9999999 {
            return (atan2(-m12, m22), pitch, atan2(-m01, m00))
        }
        // Gimbal lock: fold the whole turn about z into yaw.
        let m10 = 2 * (x * y + w * z), m11 = ww - xx + yy - zz
        return (0, pitch, atan2(m10, m11))
    }
}

/// One frame's labels.
public struct LabeledFrame: Sendable, Hashable, Codable {
    /// The frame's name in its dataset (a file stem such as `000001`, or an index).
    public var name: String
    /// Seconds, when known.
    public var timestamp: Double?
    /// World-from-sensor pose, when known.
    public var egoPose: RigidPose?
    /// The frame's objects.
    public var objects: [LabeledObject]
    /// The frame's number in its file (OpenLABEL's frame key), when it has one; nil for frames a
    /// format numbers by position, and for frames Cuboid adds (see ``LabelSet/numberAddedFrames()``).
    public var number: Int?
    /// What an OpenLABEL frame held that the fields above do not, kept to be written back.
    public var openLABEL: OpenLABELFrameExtras?
    /// The frame's KITTI calibration, when its labels came with one (KITTI object and tracking
    /// labels, or an OpenLABEL file whose camera `image_2` reaches the sensor frame): KITTI export
    /// uses it when no `--calib`/`--dataset` is given, and OpenLABEL writes it as camera streams and
    /// coordinate systems.
    public var kittiCalibration: KITTICalibration? = nil

    public init(name: String, timestamp: Double? = nil, egoPose: RigidPose? = nil, objects: [LabeledObject] = [], number: Int? = nil) {
        self.number = number
        self.name = name
        self.timestamp = timestamp
        self.egoPose = egoPose
        self.objects = objects
    }
}

/// Labels for a sequence of frames: Cuboid's in-memory interchange form, which every label format
/// reads into and writes from.
public struct LabelSet: Sendable, Hashable, Codable {
    /// Name of the frame the cuboids live in (`lidar` unless a format names its own).
    public var sensorName: String
    /// Cameras the 2D boxes refer to, when known.
    public var cameras: [Camera]
    /// Frames in order.
    public var frames: [LabeledFrame]
    /// What an OpenLABEL document held beyond its frames' labels (metadata, contexts, relations,
    /// events, object-level data...), kept to be written back.
    public var openLABEL: OpenLABELDocumentExtras?

    public init(sensorName: String = "lidar", cameras: [Camera] = [], frames: [LabeledFrame] = []) {
        self.sensorName = sensorName
        self.cameras = cameras
        self.frames = frames
    }

    /// Number of objects over all frames.
    public var objectCount: Int { frames.reduce(0) { $0 + $1.objects.count } }
}

/// A label file that parses but does not hold what its format requires.
public enum LabelFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not UTF-8 at this offset.
    case notText(offset: Int)
    /// A syntax error in JSON or XML.
    case syntax(line: Int, column: Int, expected: String)
    /// A required field is missing.
    case missingField(line: Int, field: String)
    /// A field has the wrong type or shape.
    case invalidField(line: Int, field: String, expected: String)
    /// A field of a one-line document has the wrong type or shape, at this 0-based byte offset.
    case invalidFieldAt(byte: Int, field: String, expected: String)
    /// A required field of a one-line document is missing from the object at this byte offset.
    case missingFieldAt(byte: Int, field: String)
    /// A CSV row has the wrong number of columns.
    case wrongFieldCount(line: Int, expected: String, found: Int)
    /// A class name that the format (or the given class list) does not know.
    case unknownClass(line: Int, name: String)
    /// A class the target format has no name for (map it before converting).
    case unmappedClass(name: String, format: String)
    /// The data needs something the caller did not give (a calibration, a class list, a camera).
    case missingContext(String)

    public var description: String {
        switch self {
        case .notText(let offset): "byte \(offset): expected UTF-8 text"
        case .syntax(let line, let column, let expected): "line \(line), column \(column): expected \(expected)"
        case .missingField(let line, let field): "line \(line): missing \"\(Excerpt.of(field))\""
        case .invalidField(let line, let field, let expected): "line \(line), \(Excerpt.of(field)): expected \(Excerpt.of(expected))"
        case .invalidFieldAt(let byte, let field, let expected): "byte \(byte), \(Excerpt.of(field)): expected \(Excerpt.of(expected))"
        case .missingFieldAt(let byte, let field): "byte \(byte): missing \"\(Excerpt.of(field))\""
        case .wrongFieldCount(let line, let expected, let found): "line \(line): expected \(expected) fields, found \(found)"
        case .unknownClass(let line, let name): "line \(line): unknown class \"\(Excerpt.of(name))\""
        case .unmappedClass(let name, let format): "\(format) has no class \"\(Excerpt.of(name))\"; map it to one of the format's classes"
        case .missingContext(let what): what
        }
    }
}

/// Typed accessors over parsed JSON that fail with the line and the field's name.
extension JSONNode {
    /// The error for this value's field: by byte offset in a one-line document, else by line.
    func invalid(field: String, expected: String) -> LabelFileError {
        if let offset { return .invalidFieldAt(byte: offset, field: field, expected: expected) }
        return .invalidField(line: line, field: field, expected: expected)
    }

    /// The error for a field missing from this object: by byte offset in a one-line document, else by line.
    func missing(field: String) -> LabelFileError {
        if let offset { return .missingFieldAt(byte: offset, field: field) }
        return .missingField(line: line, field: field)
    }

    func required(_ key: String) throws(LabelFileError) -> JSONNode {
        guard let node = self[key] else { throw missing(field: key) }
        return node
    }

    func number(_ key: String) throws(LabelFileError) -> Double {
        let node = try required(key)
        guard let value = node.number else { throw node.invalid(field: key, expected: "a number") }
        return value
    }

    /// An integer id: a whole number within ±2^53 (a larger or fractional one would not convert to `Int`).
    func integer(_ key: String) throws(LabelFileError) -> Int {
        let value = try number(key)
        guard value == value.rounded(), abs(value) <= 9_007_199_254_740_992 else {
            throw self[key]!.invalid(field: key, expected: "an integer")
        }
        return Int(value)
    }

    func optionalNumber(_ key: String) throws(LabelFileError) -> Double? {
        guard let node = self[key], !node.isNull else { return nil }
        guard let value = node.number else { throw node.invalid(field: key, expected: "a number") }
        return value
    }

    func string(_ key: String) throws(LabelFileError) -> String {
        let node = try required(key)
        guard let value = node.string else { throw node.invalid(field: key, expected: "a string") }
        return value
    }

    func array(_ key: String) throws(LabelFileError) -> [JSONNode] {
        let node = try required(key)
        guard let value = node.elements else { throw node.invalid(field: key, expected: "an array") }
        return value
    }

    func object(_ key: String) throws(LabelFileError) -> [(key: String, value: JSONNode)] {
        let node = try required(key)
        guard let value = node.members else { throw node.invalid(field: key, expected: "an object") }
        return value
    }

    /// An array of exactly `counts` numbers (one of the counts).
    func numbers(_ key: String, count counts: Int...) throws(LabelFileError) -> [Double] {
        let node = try required(key)
        return try node.asNumbers(field: key, counts: counts)
    }

    func asNumbers(field: String, counts: [Int]) throws(LabelFileError) -> [Double] {
        let expected = "an array of " + counts.map(String.init).joined(separator: " or ") + " numbers"
        guard let elements = elements, counts.isEmpty || counts.contains(elements.count) else {
            throw invalid(field: field, expected: expected)
        }
        var out: [Double] = []
        out.reserveCapacity(elements.count)
        for element in elements {
            guard let value = element.number else { throw element.invalid(field: field, expected: expected) }
            out.append(value)
        }
        return out
    }
}

/// Parses JSON label bytes, mapping syntax errors to ``LabelFileError``.
func parseLabelJSON(_ bytes: [UInt8]) throws(LabelFileError) -> JSONNode {
    do {
        return try parseJSON(bytes)
    } catch {
        if error.expected == "UTF-8 text" { throw .notText(offset: 0) }
        throw .syntax(line: error.line, column: error.column, expected: error.expected)
    }
}

/// A rigid pose from 12 or 16 row-major values read from a file, refusing matrices whose 3 x 3 part
/// is not a rotation.
func rigidPose(_ values: [Double], line: Int, field: String) throws(LabelFileError) -> RigidPose {
    guard let pose = RigidPose(validatingMatrix: values) else {
        throw .invalidField(line: line, field: field, expected: "a rigid transform (its 3 x 3 part a rotation)")
    }
    return pose
}

extension ProjectionSilhouette {
    /// The solid a class's cuboid stands for: the inscribed elliptic cylinder for people (KITTI's
    /// `Pedestrian` and `Person_sitting`, nuScenes' `pedestrian`, any `person`; case-insensitive),
    /// the cuboid for everything else.
    public init(className: String) {
        self = ["pedestrian", "person_sitting", "person"].contains(className.lowercased()) ? .ellipticCylinder : .cuboid
    }
}

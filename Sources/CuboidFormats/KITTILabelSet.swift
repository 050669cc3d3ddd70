public import CuboidGeometry
import CuboidIO
import CuboidKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a KITTI tracking label file (`label_02/SEQ.txt`): the frame number and track id in
/// front of an object label's 15 fields (16 with a score). DontCare regions have track id -1.
public struct KITTITrackingLabel: Sendable, Hashable, Codable {
    /// Frame number in the sequence.
    public var frame: Int
    /// Track id, -1 for DontCare.
    public var trackID: Int
    /// The object, in KITTI's camera conventions.
    public var object: KITTIObjectLabel

    public init(frame: Int, trackID: Int, object: KITTIObjectLabel) {
        self.frame = frame
        self.trackID = trackID
        self.object = object
    }
}

/// KITTI tracking label files.
public enum KITTITrackingLabelFile {
    /// Parses a tracking label file.
    /// - Throws: ``KITTILabelError`` with the line.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(KITTILabelError) -> [KITTITrackingLabel] {
        var labels: [KITTITrackingLabel] = []
        for (number, line) in try numberedLines(bytes, notText: { _ in KITTILabelError.notText }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard fields.count == 17 || fields.count == 18 else { throw .wrongTrackingFieldCount(line: number, found: fields.count) }
            guard let frame = Int(fields[0]), frame >= 0 else { throw .invalidNumber(line: number, field: "frame", text: String(fields[0])) }
            guard let track = Int(fields[1]), track >= -1 else { throw .invalidNumber(line: number, field: "track_id", text: String(fields[1])) }
            labels.append(KITTITrackingLabel(frame: frame, trackID: track, object: try KITTILabelFile.parse(fields[2...], line: number)))
        }
        return labels
    }

    /// Writes tracking labels as the tracking benchmark prints them: truncation and occlusion as
    /// integers, every other value with six decimals (`%f`).
    public static func encode(_ labels: [KITTITrackingLabel]) -> [UInt8] {
        var out = ""
        for label in labels {
            var fields = KITTILabelFile.fields(label.object, decimals: 6)
            // Clamped: a truncation read from a file is finite but may be huge, and Int() would trap on it.
            fields[1] = String(Int(max(-1e9, min(1e9, label.object.truncated.rounded()))))
            for k in 3..<fields.count where fields[k] == placeholder(Double(fields[k]) ?? .nan) && !fields[k].contains(".") {
                fields[k] = fixed(Double(fields[k])!, decimals: 6)
            }
            out += "\(label.frame) \(label.trackID) " + fields.joined(separator: " ") + "\n"
        }
        return Array(out.utf8)
    }

    /// Reads and decodes a tracking label file.
    public static func read(_ path: String) throws -> [KITTITrackingLabel] { try FileBytes.decode(path, decode) }
}

extension LabeledObject {
    /// The camera name KITTI's 2D boxes belong to (the left colour camera).
    public static let kittiCamera = "image_2"

    /// The object's 2D box in a camera. KITTI spells its left colour camera `image_2` in the object
    /// benchmark and its labels (``kittiCamera``) and `image_02` in raw recordings and tracking
    /// sequences: a box under one spelling is found under the other.
    public func box(inCamera name: String) -> Box2D? {
        if let box = boxes[name] { return box }
        switch name {
        case "image_2": return boxes["image_02"]
        case "image_02": return boxes["image_2"]
        default: return nil
        }
    }

    /// A KITTI label in Cuboid's terms: the cuboid in the Velodyne frame (none for DontCare), the 2D
    /// box under ``kittiCamera``, and `truncated`, `occluded` and `alpha` kept as attributes.
    ///
    /// KITTI boxes turn about the camera's y axis, which leans about 0.01 rad from the Velodyne's z.
    /// That lean is kept in ``roll`` and ``pitch`` (the cuboid's yaw is the heading's direction in the
    /// Velodyne x/y plane, as ``KITTIObjectLabel/box(calibration:)`` gives it), so converting back
    /// reproduces `rotation_y` to rounding error, not only to KITTI's two printed decimals.
    public init(kitti label: KITTIObjectLabel, calibration: KITTICalibration, trackID: String? = nil) {
        self.init(trackID: trackID, category: label.type, boxes: [Self.kittiCamera: label.boundingBox], score: label.score,
                  attributes: ["truncated": .number(label.truncated), "occluded": .number(Double(label.occluded)),
                               "alpha": .number(label.alpha)])
        guard !label.isDontCare else { return }
        // The box's axes in the rectified camera frame: length (cos ry, 0, -sin ry), width (sin ry, 0, cos ry), up (0, -1, 0).
        let c = cos(label.rotationY), s = sin(label.rotationY)
        let rotation = calibration.rectifiedFromVelodyne.inverse.rotation
        let axes = [SIMD3(c, 0, -s), SIMD3(s, 0, c), SIMD3<Double>(0, -1, 0)].map { rotation.rotate($0) }
        let matrix = (0..<3).map { row in (0..<3).map { column in axes[column][row] } }
        let (roll, pitch, yaw) = LabeledObject.eulerXYZ(Quaternion(rotationMatrix: matrix))
        var box = label.box(calibration: calibration)
        box.yaw = yaw
        cuboid = box
        self.roll = roll
        self.pitch = pitch
    }
}

extension KITTIObjectLabel {
    /// The KITTI label for a labelled object: camera-frame box from the cuboid and calibration, the
    /// 2D box from ``LabeledObject/kittiCamera`` (or, without one, the cuboid projected into camera 2
    /// when `imageSize` is given), `truncated`, `occluded` and `alpha` from the attributes when present.
    /// Objects without a cuboid become DontCare rows.
    /// - Throws: ``LabelFileError/unmappedClass(name:format:)`` for classes KITTI does not have (map
    ///   them first), ``LabelFileError/missingContext(_:)`` when no 2D box can be had.
    public init(_ object: LabeledObject, calibration: KITTICalibration, imageSize: (width: Int, height: Int)? = nil) throws(LabelFileError) {
        // Class names match without case (`car` is KITTI's `Car`).
        guard let category = KITTIObjectLabel.classes.first(where: { $0.lowercased() == object.category.lowercased() }) else {
            throw .unmappedClass(name: object.category, format: "KITTI")
        }
        var boundingBox = object.boxes[LabeledObject.kittiCamera]
        guard let box = object.cuboid, category != "DontCare" else {
            guard let boundingBox else { throw .missingContext("a DontCare region needs a 2D box") }
            self.init(type: "DontCare", truncated: -1, occluded: -1, alpha: -10, boundingBox: boundingBox,
                      dimensions: SIMD3(-1, -1, -1), location: SIMD3(-1000, -1000, -1000), rotationY: -10, score: object.score)
            return
        }
        if boundingBox == nil, let imageSize, let camera = try? calibration.camera(2, width: imageSize.width, height: imageSize.height) {
            boundingBox = projectedBox(box, camera: camera, silhouette: ProjectionSilhouette(className: object.category))
        }
        guard let boundingBox else {
            let name = "\(object.category)\(object.trackID.map { " \($0)" } ?? "")"
            if imageSize == nil {
                throw .missingContext("\(name): KITTI needs a 2D box in \(LabeledObject.kittiCamera); give the image size to project the cuboid")
            }
            throw .missingContext("\(name) does not project into \(LabeledObject.kittiCamera), and KITTI labels only what the camera sees; leave it out (--drop-class) or give its 2D box")
        }
        self.init(type: category, box: box, calibration: calibration, boundingBox: boundingBox,
                  truncated: object.attributes["truncated"]?.number ?? 0,
                  occluded: Int(max(-1, min(1000, (object.attributes["occluded"]?.number ?? 0).rounded()))), score: object.score)
        if object.roll != 0 || object.pitch != 0 {
            // The full orientation's length axis, in the camera frame.
            let heading = calibration.rectifiedFromVelodyne.rotation.rotate(object.orientation.rotate(SIMD3(1, 0, 0)))
            rotationY = atan2(-heading.z, heading.x)
            alpha = normalizedYaw(rotationY - atan2(location.x, location.z))
        }
        if let alpha = object.attributes["alpha"]?.number { self.alpha = alpha }
    }
}

extension KITTICalibration {
    /// The calibration that makes `camera` KITTI's camera 2 (and 0): `P0` and `P2` are its intrinsics
    /// `K [I | 0]`, `R0_rect` the identity and `Tr_velo_to_cam` its pose from the labels' sensor frame,
    /// so labels land in that camera's frame and ``camera(_:width:height:)`` of index 2 gives it back.
    /// Used when the labels carry their cameras (OpenLABEL streams) and no KITTI calibration is given.
    public init(camera: Camera) {
        let k = camera.intrinsics
        let p = [k.fx, k.skew, k.cx, 0, 0, k.fy, k.cy, 0, 0, 0, 1, 0]
        self.init(projections: [0: p, 2: p], rectification: [1, 0, 0, 0, 1, 0, 0, 0, 1],
                  velodyneToCamera: Array(camera.cameraFromSensor.matrix.prefix(12)))
    }
}

/// KITTI labels only what camera 2 sees; 360-degree labels are cut to that view by this rule
/// (`labels convert --kitti-in-view`):
///
/// - an object that already has a 2D box in ``LabeledObject/kittiCamera`` is kept as it is;
/// - an object without a cuboid (a DontCare region) is kept as it is;
/// - a cuboid is projected into camera 2 as `projectedBox(_:camera:silhouette:nearPlane:clippedToImage:)`
///   does (the part behind the 0.1 m near plane cut away, people as elliptic cylinders): it is kept
///   when the projection clipped to the image `[0, width] x [0, height]` has a positive area, with that
///   clipped box as its 2D box and KITTI's truncation `1 - clipped area / unclipped area` (0 inside
///   the image, towards 1 as it leaves it) as its `truncated` attribute; otherwise it is left out.
public enum KITTIInView {
    /// The objects camera 2 sees, with 2D boxes and truncation for those it projected.
    /// - Parameters:
    ///   - objects: One frame's objects, lidar frame.
    ///   - camera: KITTI's camera 2 (``KITTICalibration/camera(_:width:height:)`` of index 2).
    /// - Returns: The kept objects in input order, and how many were left out.
    public static func select(_ objects: [LabeledObject], camera: Camera) -> (kept: [LabeledObject], leftOut: Int) {
        var kept: [LabeledObject] = []
        for object in objects {
            guard object.boxes[LabeledObject.kittiCamera] == nil, let cuboid = object.cuboid else {
                kept.append(object)
                continue
            }
            let silhouette = ProjectionSilhouette(className: object.category)
            guard let clipped = projectedBox(cuboid, camera: camera, silhouette: silhouette), clipped.area > 0,
                  let whole = projectedBox(cuboid, camera: camera, silhouette: silhouette, clippedToImage: false), whole.area > 0 else { continue }
            var seen = object
            seen.boxes[LabeledObject.kittiCamera] = clipped
            seen.attributes["truncated"] = .number(max(0, min(1, 1 - clipped.area / whole.area)))
            kept.append(seen)
        }
        return (kept, objects.count - kept.count)
    }
}

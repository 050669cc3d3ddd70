public import CuboidGeometry
public import CuboidKernels
import CuboidIO
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A malformed KITTI object label file.
public enum KITTILabelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line has neither 15 fields (gold) nor 16 (with a score).
    case wrongFieldCount(line: Int, found: Int)
    /// A field is not a finite number.
    case invalidNumber(line: Int, field: String, text: String)
    /// The object type is not one of KITTI's classes.
    case unknownClass(line: Int, name: String)
    /// A dimension is negative (KITTI writes -1 for DontCare only).
    case negativeSize(line: Int, field: String, value: Double)
    /// A tracking line has neither 17 fields (gold) nor 18 (with a score).
    case wrongTrackingFieldCount(line: Int, found: Int)
    /// The file is not UTF-8 text.
    case notText

    public var description: String {
        switch self {
        case .wrongFieldCount(let line, let found): "line \(line): expected 15 fields (16 with a score), found \(found)"
        case .invalidNumber(let line, let field, let text): "line \(line), \(field): expected a finite number, found \"\(Excerpt.of(text))\""
        case .unknownClass(let line, let name):
            "line \(line): unknown class \"\(Excerpt.of(name))\" (expected one of \(KITTIObjectLabel.classes.joined(separator: ", ")))"
        case .negativeSize(let line, let field, let value): "line \(line), \(field): a size cannot be negative (\(value))"
        case .wrongTrackingFieldCount(let line, let found): "line \(line): expected 17 fields (18 with a score), found \(found)"
        case .notText: "expected UTF-8 text"
        }
    }
}

/// One line of a KITTI object label file (`label_2/*.txt`), in KITTI's own conventions.
///
/// KITTI boxes live in the **rectified camera 0 frame** (x right, y down, z forward). `location` is the
/// **bottom centre** of the box; `dimensions` are ordered height, width, length; `rotationY` turns
/// about the camera's y axis, 0 meaning the length points along +x (right). `alpha` is the
/// observation angle `rotationY - atan2(x, z)`. Convert to Cuboid's lidar-frame `Box3D` with
/// ``box(calibration:)`` and back with ``init(type:box:calibration:boundingBox:truncated:occluded:score:)``.
public struct KITTIObjectLabel: Sendable, Hashable, Codable {
    /// KITTI's classes.
    public static let classes = ["Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare"]

    /// Object class, one of ``classes``.
    public var type: String
    /// 0 (in the image) to 1 (leaving it); -1 for DontCare.
    public var truncated: Double
    /// 0 fully visible, 1 partly occluded, 2 largely occluded, 3 unknown; -1 for DontCare.
    public var occluded: Int
    /// Observation angle, radians in [-pi, pi].
    public var alpha: Double
    /// 2D box in the left colour image (image_2), pixels.
    public var boundingBox: Box2D
    /// `(height, width, length)`, metres.
    public var dimensions: SIMD3<Double>
    /// Bottom centre in the rectified camera frame, metres.
    public var location: SIMD3<Double>
    /// Rotation about the camera's y axis, radians in [-pi, pi].
    public var rotationY: Double
    /// Detection confidence (results files only).
    public var score: Double?

    public init(type: String, truncated: Double, occluded: Int, alpha: Double, boundingBox: Box2D,
                dimensions: SIMD3<Double>, location: SIMD3<Double>, rotationY: Double, score: Double? = nil) {
        self.type = type
        self.truncated = truncated
        self.occluded = occluded
        self.alpha = alpha
        self.boundingBox = boundingBox
        self.dimensions = dimensions
        self.location = location
        self.rotationY = rotationY
        self.score = score
    }

    /// True for the `DontCare` regions, which carry no 3D box.
    public var isDontCare: Bool { type == "DontCare" }

    /// The solid to project when this label's cuboid stands in for its 2D box: an elliptic cylinder
    /// for people (`Pedestrian`, `Person_sitting`), the cuboid for everything else.
    public var silhouette: ProjectionSilhouette {
        ProjectionSilhouette(className: type)
    }

    /// The box in the Velodyne frame as Cuboid's geometric-centre, yaw-only cuboid.
    ///
    /// The centre is lifted from the bottom by half the height (y points down), mapped through the
    /// inverse of `R0_rect * Tr_velo_to_cam`; the heading `(cos ry, 0, -sin ry)` is mapped the same way
    /// and its direction in the x/y plane gives the yaw.
    public func box(calibration: KITTICalibration) -> Box3D {
        let velodyneFromRectified = calibration.rectifiedFromVelodyne.inverse
        let height = dimensions.x
        let center = velodyneFromRectified.apply(to: location - SIMD3(0, height / 2, 0))
        let heading = velodyneFromRectified.rotation.rotate(SIMD3(cos(rotationY), 0, -sin(rotationY)))
        return Box3D(center: center, size: SIMD3(dimensions.z, dimensions.y, height), yaw: atan2(heading.y, heading.x))
    }

    /// A label for a Velodyne-frame cuboid: location, dimensions, rotation_y and alpha computed with
    /// the calibration; the 2D box, truncation and occlusion as given.
    public init(type: String, box: Box3D, calibration: KITTICalibration, boundingBox: Box2D,
                truncated: Double = 0, occluded: Int = 0, score: Double? = nil) {
        let rectifiedFromVelodyne = calibration.rectifiedFromVelodyne
        let center = rectifiedFromVelodyne.apply(to: box.center)
        let heading = rectifiedFromVelodyne.rotation.rotate(SIMD3(cos(box.yaw), sin(box.yaw), 0))
        let rotationY = atan2(-heading.z, heading.x)
        let location = center + SIMD3(0, box.height / 2, 0)
        self.init(type: type, truncated: truncated, occluded: occluded,
                  alpha: normalizedYaw(rotationY - atan2(location.x, location.z)), boundingBox: boundingBox,
                  dimensions: SIMD3(box.height, box.width, box.length), location: location, rotationY: rotationY,
                  score: score)
    }
}

/// KITTI object label files: one object per line, 15 space-separated fields (16 with a score).
public enum KITTILabelFile {
    /// Parses a label file.
    /// - Throws: ``KITTILabelError`` with the line.
    /// - Complexity: O(bytes).
    public static func decode(_ bytes: [UInt8]) throws(KITTILabelError) -> [KITTIObjectLabel] {
        var labels: [KITTIObjectLabel] = []
        for (number, line) in try numberedLines(bytes, notText: { _ in KITTILabelError.notText }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard fields.count == 15 || fields.count == 16 else { throw .wrongFieldCount(line: number, found: fields.count) }
            labels.append(try parse(fields[...], line: number))
        }
        return labels
    }

    /// One object from its 15 or 16 fields (type first).
    static func parse(_ fields: ArraySlice<Substring>, line number: Int) throws(KITTILabelError) -> KITTIObjectLabel {
        let fields = Array(fields)
        let type = String(fields[0])
        guard KITTIObjectLabel.classes.contains(type) else { throw .unknownClass(line: number, name: type) }
        let names = ["type", "truncated", "occluded", "alpha", "left", "top", "right", "bottom", "height", "width",
                     "length", "x", "y", "z", "rotation_y", "score"]
        var values: [Double] = [0]
        for k in 1..<fields.count {
            guard let value = finiteNumber(fields[k]) else {
                throw .invalidNumber(line: number, field: names[k], text: String(fields[k]))
            }
            values.append(value)
        }
        if type != "DontCare" {
            for k in 8...10 where values[k] < 0 { throw .negativeSize(line: number, field: names[k], value: values[k]) }
        }
        // Occlusion is a small integer (0-3, -1 unknown); a huge one would not even convert to Int.
        guard values[2] == values[2].rounded(), abs(values[2]) <= 1000 else {
            throw .invalidNumber(line: number, field: "occluded", text: String(fields[2]))
        }
        return KITTIObjectLabel(
            type: type, truncated: values[1], occluded: Int(values[2]), alpha: values[3],
            boundingBox: Box2D(minX: values[4], minY: values[5], maxX: values[6], maxY: values[7]),
            dimensions: SIMD3(values[8], values[9], values[10]), location: SIMD3(values[11], values[12], values[13]),
            rotationY: values[14], score: fields.count == 16 ? values[15] : nil)
    }

    /// One label's fields in KITTI's printed form (see ``encode(_:decimals:)``).
    static func fields(_ label: KITTIObjectLabel, decimals: Int = 2) -> [String] {
        // DontCare rows carry integer placeholders (-1, -10, -1000), which KITTI prints without decimals,
        // as results files print an unknown truncation (-1).
        let dontCare = label.isDontCare
        func number(_ value: Double) -> String { dontCare ? placeholder(value, decimals: decimals) : fixed(value, decimals: decimals) }
        let truncated = label.truncated == -1 ? "-1" : number(label.truncated)
        var fields: [String] = [label.type, truncated, String(label.occluded), number(label.alpha)]
        for value in [label.boundingBox.minX, label.boundingBox.minY, label.boundingBox.maxX, label.boundingBox.maxY] {
            fields.append(fixed(value, decimals: decimals))
        }
        for value in [label.dimensions.x, label.dimensions.y, label.dimensions.z,
                      label.location.x, label.location.y, label.location.z, label.rotationY] {
            fields.append(number(value))
        }
        if let score = label.score { fields.append(fixed(score, decimals: decimals)) }
        return fields
    }

    /// Writes labels in KITTI's printed form: `decimals` decimals for every value (2, as the
    /// benchmark's gold files have them; results files often use 4), DontCare placeholders and an
    /// unknown truncation (-1) as integers, plus the score when present.
    public static func encode(_ labels: [KITTIObjectLabel], decimals: Int = 2) -> [UInt8] {
        Array(labels.map { fields($0, decimals: decimals).joined(separator: " ") + "\n" }.joined().utf8)
    }

    /// Reads and decodes a label file.
    /// - Throws: `FileAccessError`, or `FileDecodingError` wrapping a ``KITTILabelError``.
    public static func read(_ path: String) throws -> [KITTIObjectLabel] {
        try FileBytes.decode(path, decode)
    }
}

/// An integral value without decimals (DontCare placeholders), anything else with `decimals`.
func placeholder(_ value: Double, decimals: Int = 2) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : fixed(value, decimals: decimals)
}

/// `value` with `decimals` decimals (at most 9), rounded half away from zero, and without a minus
/// sign on zero (without Foundation's `String(format:)`, which is slow). Values too large for 64-bit
/// integers once scaled are printed by `String(format:)`.
package func fixed(_ value: Double, decimals: Int = 2) -> String {
    precondition((0...9).contains(decimals), "decimals must be 0...9")
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    if scaled == 0 { return decimals == 0 ? "0" : "0." + String(repeating: "0", count: decimals) }
    guard abs(scaled) < 9e18 else { return value.isFinite ? String(format: "%.\(decimals)f", value) : "\(value)" }
    let magnitude = Int64(abs(scaled))
    let unit = Int64(scale)
    var text = (scaled < 0 ? "-" : "") + "\(magnitude / unit)"
    if decimals > 0 {
        let fraction = String(magnitude % unit)
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return text
}

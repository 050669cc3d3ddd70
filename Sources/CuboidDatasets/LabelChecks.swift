public import CuboidFormats
public import CuboidGeometry
import CuboidKernels
import Foundation
public import CuboidPointClouds

/// Plausible box sizes for a class: length, width and height ranges in metres.
public struct ClassSizeRange: Sendable, Hashable, Codable {
    public var length: ClosedRange<Double>
    public var width: ClosedRange<Double>
    public var height: ClosedRange<Double>

    public init(length: ClosedRange<Double>, width: ClosedRange<Double>, height: ClosedRange<Double>) {
        self.length = length
        self.width = width
        self.height = height
    }

    public func contains(_ box: Box3D) -> Bool {
        length.contains(box.length) && width.contains(box.width) && height.contains(box.height)
    }

    /// Generous ranges for the classes of KITTI, nuScenes, SUSTechPOINTS and Waymo (lower-cased
    /// names), wide enough for real vehicles and people, narrow enough to catch swapped or
    /// centimetre-scaled dimensions.
    public static let defaults: [String: ClassSizeRange] = {
        let car = ClassSizeRange(length: 2.4...6.5, width: 1.3...2.6, height: 0.9...2.6)
        let van = ClassSizeRange(length: 3.5...8.0, width: 1.6...2.8, height: 1.6...3.5)
        let truck = ClassSizeRange(length: 3.5...25, width: 1.6...3.6, height: 1.6...5.0)
        let bus = ClassSizeRange(length: 6...20, width: 2.0...3.6, height: 2.2...5.0)
        let person = ClassSizeRange(length: 0.15...1.6, width: 0.15...1.3, height: 0.7...2.3)
        let cycle = ClassSizeRange(length: 0.8...2.8, width: 0.25...1.5, height: 0.7...2.4)
        var table: [String: ClassSizeRange] = [:]
        for name in ["car", "vehicle", "sedan"] { table[name] = car }
        for name in ["van", "suv"] { table[name] = van }
        for name in ["truck", "construction_vehicle", "trailer"] { table[name] = truck }
        table["trailer"] = ClassSizeRange(length: 2...20, width: 1.2...3.6, height: 1.0...5.0)
        for name in ["bus", "tram"] { table[name] = bus }
        table["tram"] = ClassSizeRange(length: 10...60, width: 2.0...3.6, height: 2.5...5.0)
        for name in ["pedestrian", "person_sitting", "person"] { table[name] = person }
        table["person_sitting"] = ClassSizeRange(length: 0.2...1.6, width: 0.2...1.3, height: 0.5...1.6)
        for name in ["cyclist", "bicycle", "motorcycle", "motor", "rider", "bicyclerider", "motorcyclist"] { table[name] = cycle }
        return table
    }()
}

/// Something ``checkLabels(_:pointClouds:sizes:)`` found.
public struct LabelFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A box whose size is outside its class's range.
        case impossibleSize = "impossible-size"
        /// A track whose heading turns by more than 135 degrees between consecutive frames.
        case yawFlip = "yaw-flip"
        /// A track missing from frames between two of its appearances.
        case trackGap = "track-gap"
        /// A cuboid that holds no lidar point.
        case emptyBox = "empty-box"
    }

    public var kind: Kind
    /// The frame's name (the later frame for flips, the first missing one for gaps).
    public var frame: String
    public var trackID: String?
    public var category: String
    /// What was found, with the numbers.
    public var detail: String

    public var description: String {
        "\(kind.rawValue) frame \(frame) \(category)\(trackID.map { " track \($0)" } ?? ""): \(detail)"
    }
}

/// Checks a label set for boxes with impossible sizes for their class, yaw flips within a track,
/// tracks with gaps and, when the frames' point clouds are given, boxes that hold no point.
/// - Parameters:
///   - set: The labels.
///   - pointClouds: Returns frame `i`'s cloud in the labels' frame, or nil to skip the empty-box check there.
///   - sizes: Class ranges by lower-cased class name (default ``ClassSizeRange/defaults``).
/// - Returns: Findings in frame order.
/// - Complexity: O(objects) plus one point-in-cuboid pass per frame with a cloud.
public func checkLabels(_ set: LabelSet, pointClouds: ((Int) throws -> PointCloud?)? = nil,
                        sizes: [String: ClassSizeRange] = ClassSizeRange.defaults) throws -> [LabelFinding] {
    var findings: [LabelFinding] = []
    var last: [String: (frame: Int, yaw: Double)] = [:]
    func format(_ value: Double) -> String { String((value * 100).rounded() / 100) }
    for (index, frame) in set.frames.enumerated() {
        for object in frame.objects {
            guard let box = object.cuboid else { continue }
            if let range = sizes[object.category.lowercased()], !range.contains(box) {
                findings.append(LabelFinding(kind: .impossibleSize, frame: frame.name, trackID: object.trackID, category: object.category,
                                             detail: "l \(format(box.length)) w \(format(box.width)) h \(format(box.height)) m; expected l \(format(range.length.lowerBound))-\(format(range.length.upperBound)), w \(format(range.width.lowerBound))-\(format(range.width.upperBound)), h \(format(range.height.lowerBound))-\(format(range.height.upperBound))"))
            }
            guard let track = object.trackID else { continue }
            let key = track + "\u{0}" + object.category
            if let previous = last[key] {
                if index > previous.frame + 1 {
                    findings.append(LabelFinding(kind: .trackGap, frame: set.frames[previous.frame + 1].name, trackID: track, category: object.category,
                                                 detail: "absent from \(index - previous.frame - 1) frame(s) between \(set.frames[previous.frame].name) and \(frame.name)"))
                }
                let turn = shortestArc(from: previous.yaw, to: box.yaw)
                if abs(turn) > 135 * Double.pi / 180 {
                    findings.append(LabelFinding(kind: .yawFlip, frame: frame.name, trackID: track, category: object.category,
                                                 detail: "heading turns \(format(turn * 180 / .pi)) degrees since \(set.frames[previous.frame].name)"))
                }
            }
            last[key] = (index, box.yaw)
        }
        if let pointClouds, let cloud = try pointClouds(index) {
            let objects = frame.objects.filter { $0.cuboid != nil }
            let counts = cloud.points(inside: objects.map { $0.cuboid! }).counts
            for (object, count) in zip(objects, counts) where count == 0 {
                findings.append(LabelFinding(kind: .emptyBox, frame: frame.name, trackID: object.trackID, category: object.category,
                                             detail: "no lidar point inside the box at (\(format(object.cuboid!.x)), \(format(object.cuboid!.y)), \(format(object.cuboid!.z)))"))
            }
        }
    }
    return findings
}

extension LabeledObject {
    /// Whether a point (in the labels' sensor frame) lies inside the cuboid, with its full
    /// orientation (roll and pitch included). False without a cuboid.
    public func contains(_ point: SIMD3<Double>) -> Bool {
        guard let box = cuboid else { return false }
        let local = orientation.conjugate.rotate(point - box.center)
        return abs(local.x) <= box.length / 2 && abs(local.y) <= box.width / 2 && abs(local.z) <= box.height / 2
    }
}

extension PointCloud {
    /// How many points lie inside each object's cuboid, with its full orientation (0 for objects
    /// without a cuboid).
    ///
    /// Candidates come from `CuboidKernels.PointsInCuboids` over yaw-only boxes grown to cover the
    /// roll and pitch, then each is tested exactly.
    /// - Complexity: O(P + C + candidates).
    public func pointCounts(inside objects: [LabeledObject]) -> [Int] {
        let grown = objects.map { object -> Box3D in
            guard let box = object.cuboid else { return Box3D(x: 0, y: 0, z: -1e9, length: 0, width: 0, height: 0, yaw: 0) }
            let lean = sin(min(Double.pi / 2, max(abs(object.roll), abs(object.pitch))))
            let grow = 2 * lean * max(box.length, box.width, box.height) + 0.01
            return Box3D(center: box.center, size: box.size + SIMD3(repeating: grow), yaw: box.yaw)
        }
        let candidates = points(inside: grown)
        return objects.indices.map { index in
            candidates.indices[index].reduce(0) { count, point in
                count + (objects[index].contains(SIMD3(Double(x[point]), Double(y[point]), Double(z[point]))) ? 1 : 0)
            }
        }
    }
}

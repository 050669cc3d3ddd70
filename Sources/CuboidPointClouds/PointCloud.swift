/// One named per-point attribute: intensity, ring, timestamp, rgb, normals, or anything a file holds.
public struct PointAttribute: Sendable, Hashable {
    /// The attribute's name as the file spells it (`intensity`, `ring`, `rgb`, `normal_x`, ...).
    public var name: String
    /// Values per point (PCD's COUNT; 1 for nearly everything, 0 or several for descriptors).
    public var componentCount: Int
    /// `pointCount * componentCount` values, point-major.
    public var values: AttributeValues

    /// Creates an attribute.
    /// - Precondition: `name` is not empty and is not `x`, `y` or `z`; `componentCount >= 0`.
    public init(name: String, componentCount: Int = 1, values: AttributeValues) {
        precondition(!name.isEmpty, "attribute name must not be empty")
        precondition(!["x", "y", "z"].contains(name), "x, y and z are the cloud's positions, not attributes")
        precondition(componentCount >= 0, "componentCount must not be negative")
        self.name = name
        self.componentCount = componentCount
        self.values = values
    }

    /// The element type.
    public var scalarType: ScalarType { values.scalarType }
}

/// Names of attributes with a common meaning across datasets.
public enum StandardAttribute {
    /// Return strength; KITTI stores 0...1, nuScenes and Waymo raw sensor values.
    public static let intensity = "intensity"
    /// The laser (beam) index.
    public static let ring = "ring"
    /// Per-point time, seconds unless a dataset documents otherwise.
    public static let timestamp = "timestamp"
    /// PCL's packed colour: 0x00RRGGBB in the bits of a 4-byte field.
    public static let rgb = "rgb"
    /// PCL's packed colour with alpha: 0xAARRGGBB.
    public static let rgba = "rgba"
    /// Surface normal components.
    public static let normalX = "normal_x", normalY = "normal_y", normalZ = "normal_z"
}

/// A sensor position and orientation stored with a cloud (PCD's VIEWPOINT): translation in metres,
/// rotation as a unit quaternion (w, x, y, z). Identity when the file gives none.
public struct Viewpoint: Sendable, Hashable, Codable {
    public var translation: SIMD3<Double>
    /// Quaternion (w, x, y, z).
    public var rotation: SIMD4<Double>

    public init(translation: SIMD3<Double> = .zero, rotation: SIMD4<Double> = SIMD4(1, 0, 0, 0)) {
        self.translation = translation
        self.rotation = rotation
    }

    /// No translation, no rotation.
    public static let identity = Viewpoint()
}

/// A point cloud in structure-of-arrays form: positions plus typed optional attributes.
///
/// Positions are in the sensor (lidar) frame of the file they came from, in metres, as `Float`
/// (the precision of KITTI, nuScenes, Waymo and PCL's `PointXYZ`); the Conventions article gives the
/// axes. Files that store positions as another type are converted on reading. A cloud may be
/// *organised* (`height > 1`: a `width x height` grid, row-major, as depth cameras give), in which
/// case invalid points are kept as NaN so the grid stays intact.
///
/// Two clouds are equal when layout, viewpoint, attribute names and order and every value are
/// bit-identical.
public struct PointCloud: Sendable, Hashable {
    /// X coordinates, metres.
    public private(set) var x: [Float]
    /// Y coordinates, metres.
    public private(set) var y: [Float]
    /// Z coordinates, metres.
    public private(set) var z: [Float]
    /// The other per-point attributes, in file order.
    public private(set) var attributes: [PointAttribute]
    /// Points per row (equals ``count`` for an unorganised cloud).
    public private(set) var width: Int
    /// Rows: 1 for an unorganised cloud.
    public private(set) var height: Int
    /// Sensor pose stored with the cloud.
    public var viewpoint: Viewpoint

    /// Creates an unorganised cloud, or an organised one with `width` and `height`.
    ///
    /// - Precondition: `x`, `y`, `z` have equal counts; every attribute has
    ///   `count * componentCount` values; names are unique; `width * height == count` when given.
    public init(
        x: [Float], y: [Float], z: [Float], attributes: [PointAttribute] = [],
        width: Int? = nil, height: Int = 1, viewpoint: Viewpoint = .identity
    ) {
        precondition(x.count == y.count && y.count == z.count, "x, y and z must have the same count")
        let count = x.count
        for attribute in attributes {
            precondition(
                attribute.values.count == count * attribute.componentCount,
                "attribute \(attribute.name) needs \(count * attribute.componentCount) values, has \(attribute.values.count)")
        }
        precondition(Set(attributes.map(\.name)).count == attributes.count, "attribute names must be unique")
        let width = width ?? (height == 0 ? 0 : count / max(height, 1))
        precondition(width >= 0 && height >= 0 && width * height == count, "width x height must equal the point count")
        self.x = x
        self.y = y
        self.z = z
        self.attributes = attributes
        self.width = width
        self.height = height
        self.viewpoint = viewpoint
    }

    /// Number of points.
    public var count: Int { x.count }

    /// Whether the cloud is a grid (`height > 1`).
    public var isOrganized: Bool { height > 1 }

    /// The attribute with this name, if any.
    public func attribute(named name: String) -> PointAttribute? {
        attributes.first { $0.name == name }
    }

    /// Adds an attribute, or replaces the one with the same name in place.
    /// - Precondition: it has `count * componentCount` values.
    public mutating func setAttribute(_ attribute: PointAttribute) {
        precondition(
            attribute.values.count == count * attribute.componentCount,
            "attribute \(attribute.name) needs \(count * attribute.componentCount) values")
        if let index = attributes.firstIndex(where: { $0.name == attribute.name }) {
            attributes[index] = attribute
        } else {
            attributes.append(attribute)
        }
    }

    /// Removes the attribute with this name; returns it if it was there.
    @discardableResult
    public mutating func removeAttribute(named name: String) -> PointAttribute? {
        guard let index = attributes.firstIndex(where: { $0.name == name }) else { return nil }
        return attributes.remove(at: index)
    }

    /// Position `index` as a vector.
    public subscript(position index: Int) -> SIMD3<Float> { SIMD3(x[index], y[index], z[index]) }

    /// Number of points with a NaN or infinite coordinate (an organised cloud's holes).
    /// - Complexity: O(n).
    public var nonFiniteCount: Int {
        var result = 0
        for i in 0..<count where !(x[i].isFinite && y[i].isFinite && z[i].isFinite) { result += 1 }
        return result
    }

    /// The axis-aligned bounds of the finite points, or nil when there are none.
    /// - Complexity: O(n).
    public var bounds: (min: SIMD3<Float>, max: SIMD3<Float>)? {
        var low = SIMD3<Float>(repeating: .infinity)
        var high = SIMD3<Float>(repeating: -.infinity)
        var any = false
        for i in 0..<count {
            let p = SIMD3(x[i], y[i], z[i])
            guard p.x.isFinite && p.y.isFinite && p.z.isFinite else { continue }
            low = pointwiseMin(low, p)
            high = pointwiseMax(high, p)
            any = true
        }
        return any ? (low, high) : nil
    }

    public static func == (lhs: PointCloud, rhs: PointCloud) -> Bool {
        lhs.width == rhs.width && lhs.height == rhs.height && lhs.viewpoint == rhs.viewpoint
            && AttributeValues.float32(lhs.x) == .float32(rhs.x) && AttributeValues.float32(lhs.y) == .float32(rhs.y)
            && AttributeValues.float32(lhs.z) == .float32(rhs.z) && lhs.attributes == rhs.attributes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(width)
        hasher.combine(height)
        hasher.combine(AttributeValues.float32(x))
        hasher.combine(attributes.count)
    }
}

/// A field as a file declares it: positions and attributes alike, for reports such as
/// `cuboid inspect`.
public struct PointField: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    public var type: ScalarType
    public var count: Int

    public init(name: String, type: ScalarType, count: Int = 1) {
        self.name = name
        self.type = type
        self.count = count
    }

    public var description: String { count == 1 ? "\(name):\(type.rawValue)" : "\(name):\(type.rawValue)[\(count)]" }
}

extension PointCloud {
    /// The cloud's fields: `x`, `y`, `z` as float32, then the attributes.
    public var fields: [PointField] {
        [PointField(name: "x", type: .float32), PointField(name: "y", type: .float32), PointField(name: "z", type: .float32)]
            + attributes.map { PointField(name: $0.name, type: $0.scalarType, count: $0.componentCount) }
    }
}

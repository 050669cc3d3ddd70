/// The numeric type of a point attribute, as the file formats declare them.
///
/// PCD spells these as TYPE/SIZE pairs (`U 1` is ``uint8``, `F 4` is ``float32``); PLY as names
/// (`uchar`, `float`, `double`). Formats that cannot store a type say so in
/// ``PointCloudCodec/losses(encoding:as:)``.
public enum ScalarType: String, Sendable, Hashable, Codable, CaseIterable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64

    /// Bytes per value.
    public var byteCount: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    /// Whether the type is `float32` or `float64`.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// Whether the type is a signed integer.
    public var isSignedInteger: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }
}

/// The Swift types that back ``ScalarType``: all fixed-width and trivially copyable.
public protocol PointScalar: Numeric, Sendable, Hashable, LosslessStringConvertible, BitwiseCopyable {
    /// The file-format type this Swift type stores.
    static var scalarType: ScalarType { get }
    /// The value converted to Double (exact for all but 64-bit integers beyond 2^53).
    var doubleValue: Double { get }
    /// The value converted to Float.
    var floatValue: Float { get }
    /// The value with its bytes reversed (for big-endian files).
    var byteSwappedValue: Self { get }
}

extension Int8: PointScalar {
    public static var scalarType: ScalarType { .int8 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: Int8 { self }
}
extension UInt8: PointScalar {
    public static var scalarType: ScalarType { .uint8 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: UInt8 { self }
}
extension Int16: PointScalar {
    public static var scalarType: ScalarType { .int16 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: Int16 { byteSwapped }
}
extension UInt16: PointScalar {
    public static var scalarType: ScalarType { .uint16 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: UInt16 { byteSwapped }
}
extension Int32: PointScalar {
    public static var scalarType: ScalarType { .int32 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: Int32 { byteSwapped }
}
extension UInt32: PointScalar {
    public static var scalarType: ScalarType { .uint32 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: UInt32 { byteSwapped }
}
extension Int64: PointScalar {
    public static var scalarType: ScalarType { .int64 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: Int64 { byteSwapped }
}
extension UInt64: PointScalar {
    public static var scalarType: ScalarType { .uint64 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: UInt64 { byteSwapped }
}
extension Float: PointScalar {
    public static var scalarType: ScalarType { .float32 }
    public var doubleValue: Double { Double(self) }
    public var floatValue: Float { self }
    public var byteSwappedValue: Float { Float(bitPattern: bitPattern.byteSwapped) }
}
extension Double: PointScalar {
    public static var scalarType: ScalarType { .float64 }
    public var doubleValue: Double { self }
    public var floatValue: Float { Float(self) }
    public var byteSwappedValue: Double { Double(bitPattern: bitPattern.byteSwapped) }
}

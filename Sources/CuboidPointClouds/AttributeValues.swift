/// The values of one point attribute, in one typed array.
///
/// Values are point-major: with `componentCount` values per point, point `i` owns indices
/// `i * componentCount ..< (i + 1) * componentCount`. Two value arrays are equal when their types
/// match and every value is bit-identical, so NaNs with the same payload compare equal (an organised
/// cloud's NaN points survive a round trip) and `0.0` differs from `-0.0`.
public enum AttributeValues: Sendable, CustomStringConvertible {
    case int8([Int8])
    case uint8([UInt8])
    case int16([Int16])
    case uint16([UInt16])
    case int32([Int32])
    case uint32([UInt32])
    case int64([Int64])
    case uint64([UInt64])
    case float32([Float])
    case float64([Double])

    /// Wraps a typed array.
    public init<T: PointScalar>(_ values: [T]) {
        switch values {
        case let v as [Int8]: self = .int8(v)
        case let v as [UInt8]: self = .uint8(v)
        case let v as [Int16]: self = .int16(v)
        case let v as [UInt16]: self = .uint16(v)
        case let v as [Int32]: self = .int32(v)
        case let v as [UInt32]: self = .uint32(v)
        case let v as [Int64]: self = .int64(v)
        case let v as [UInt64]: self = .uint64(v)
        case let v as [Float]: self = .float32(v)
        case let v as [Double]: self = .float64(v)
        default: preconditionFailure("unsupported scalar type \(T.self)")
        }
    }

    /// The element type.
    public var scalarType: ScalarType {
        switch self {
        case .int8: .int8
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .uint32: .uint32
        case .int64: .int64
        case .uint64: .uint64
        case .float32: .float32
        case .float64: .float64
        }
    }

    /// Number of values (points times components).
    public var count: Int { withUnsafeBytes { $0.count } / scalarType.byteCount }

    /// Value `index` converted to Double.
    public subscript(index: Int) -> Double {
        switch self {
        case .int8(let v): v[index].doubleValue
        case .uint8(let v): v[index].doubleValue
        case .int16(let v): v[index].doubleValue
        case .uint16(let v): v[index].doubleValue
        case .int32(let v): v[index].doubleValue
        case .uint32(let v): v[index].doubleValue
        case .int64(let v): v[index].doubleValue
        case .uint64(let v): v[index].doubleValue
        case .float32(let v): v[index].doubleValue
        case .float64(let v): v[index].doubleValue
        }
    }

    /// The values converted to Float (the working type of the geometry kernels).
    public func floats() -> [Float] {
        switch self {
        case .float32(let v): v
        case .int8(let v): v.map(\.floatValue)
        case .uint8(let v): v.map(\.floatValue)
        case .int16(let v): v.map(\.floatValue)
        case .uint16(let v): v.map(\.floatValue)
        case .int32(let v): v.map(\.floatValue)
        case .uint32(let v): v.map(\.floatValue)
        case .int64(let v): v.map(\.floatValue)
        case .uint64(let v): v.map(\.floatValue)
        case .float64(let v): v.map(\.floatValue)
        }
    }

    /// Calls `body` with the values' raw bytes (host byte order).
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .int8(let v): try v.withUnsafeBytes(body)
        case .uint8(let v): try v.withUnsafeBytes(body)
        case .int16(let v): try v.withUnsafeBytes(body)
        case .uint16(let v): try v.withUnsafeBytes(body)
        case .int32(let v): try v.withUnsafeBytes(body)
        case .uint32(let v): try v.withUnsafeBytes(body)
        case .int64(let v): try v.withUnsafeBytes(body)
        case .uint64(let v): try v.withUnsafeBytes(body)
        case .float32(let v): try v.withUnsafeBytes(body)
        case .float64(let v): try v.withUnsafeBytes(body)
        }
    }

    /// Creates `count` values of `type` whose bytes `fill` writes; `fill` must initialise every byte.
    static func make(
        _ type: ScalarType, count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows -> AttributeValues {
        func build<T: PointScalar>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                try fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
        switch type {
        case .int8: return .int8(try build(Int8.self))
        case .uint8: return .uint8(try build(UInt8.self))
        case .int16: return .int16(try build(Int16.self))
        case .uint16: return .uint16(try build(UInt16.self))
        case .int32: return .int32(try build(Int32.self))
        case .uint32: return .uint32(try build(UInt32.self))
        case .int64: return .int64(try build(Int64.self))
        case .uint64: return .uint64(try build(UInt64.self))
        case .float32: return .float32(try build(Float.self))
        case .float64: return .float64(try build(Double.self))
        }
    }

    public var description: String { "\(scalarType.rawValue)[\(count)]" }
}

extension AttributeValues: Hashable {
    public static func == (lhs: AttributeValues, rhs: AttributeValues) -> Bool {
        guard lhs.scalarType == rhs.scalarType else { return false }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scalarType)
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

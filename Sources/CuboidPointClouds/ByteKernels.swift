// The internal, unsafe inner loops of the decoders and encoders. Every function here assumes its
// caller checked that all offsets it will touch lie inside the buffers.

/// Copies `count` chunks of `chunkSize` bytes from `source + i * stride` to
/// `destination + i * chunkSize`, reversing each `elementSize`-byte element when `swap` is set.
@inline(__always)
func gatherChunks(
    from source: UnsafeRawPointer, stride: Int, chunkSize: Int, count: Int,
    to destination: UnsafeMutableRawPointer, elementSize: Int, swap: Bool
) {
    if swap && elementSize > 1 {
        let elements = chunkSize / elementSize
        for i in 0..<count {
            let from = source + i * stride
            let to = destination + i * chunkSize
            for e in 0..<elements {
                for b in 0..<elementSize {
                    to.storeBytes(
                        of: from.load(fromByteOffset: e * elementSize + elementSize - 1 - b, as: UInt8.self),
                        toByteOffset: e * elementSize + b, as: UInt8.self)
                }
            }
        }
        return
    }
    switch chunkSize {
    case 1:
        for i in 0..<count { destination.storeBytes(of: source.load(fromByteOffset: i * stride, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
    case 2:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * stride, as: UInt16.self), toByteOffset: i * 2, as: UInt16.self)
        }
    case 4:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * stride, as: UInt32.self), toByteOffset: i * 4, as: UInt32.self)
        }
    case 8:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * stride, as: UInt64.self), toByteOffset: i * 8, as: UInt64.self)
        }
    default:
        if stride == chunkSize {
            destination.copyMemory(from: source, byteCount: chunkSize * count)
        } else {
            for i in 0..<count { (destination + i * chunkSize).copyMemory(from: source + i * stride, byteCount: chunkSize) }
        }
    }
}

/// Scatters `count` chunks of `chunkSize` bytes from `source + i * chunkSize` to `destination + i * stride`.
@inline(__always)
func scatterChunks(from source: UnsafeRawPointer, chunkSize: Int, count: Int, to destination: UnsafeMutableRawPointer, stride: Int) {
    switch chunkSize {
    case 1:
        for i in 0..<count { destination.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i * stride, as: UInt8.self) }
    case 2:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self), toByteOffset: i * stride, as: UInt16.self)
        }
    case 4:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self), toByteOffset: i * stride, as: UInt32.self)
        }
    case 8:
        for i in 0..<count {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), toByteOffset: i * stride, as: UInt64.self)
        }
    default:
        for i in 0..<count { (destination + i * stride).copyMemory(from: source + i * chunkSize, byteCount: chunkSize) }
    }
}

/// Reads `count` values of `T` at `source + i * stride` and stores them converted to Float.
@inline(__always)
func gatherFloats<T: PointScalar>(
    _: T.Type, from source: UnsafeRawPointer, stride: Int, count: Int, to destination: UnsafeMutablePointer<Float>, swap: Bool
) {
    if swap {
        for i in 0..<count { destination[i] = source.loadUnaligned(fromByteOffset: i * stride, as: T.self).byteSwappedValue.floatValue }
    } else {
        for i in 0..<count { destination[i] = source.loadUnaligned(fromByteOffset: i * stride, as: T.self).floatValue }
    }
}

/// Reads `count` values of `type` at `source + i * stride` into Floats.
func gatherFloats(
    _ type: ScalarType, from source: UnsafeRawPointer, stride: Int, count: Int, to destination: UnsafeMutablePointer<Float>, swap: Bool
) {
    switch type {
    case .float32:
        if !swap {
            gatherChunks(from: source, stride: stride, chunkSize: 4, count: count, to: destination, elementSize: 4, swap: false)
        } else {
            gatherFloats(Float.self, from: source, stride: stride, count: count, to: destination, swap: true)
        }
    case .float64: gatherFloats(Double.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .int8: gatherFloats(Int8.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .uint8: gatherFloats(UInt8.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .int16: gatherFloats(Int16.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .uint16: gatherFloats(UInt16.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .int32: gatherFloats(Int32.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .uint32: gatherFloats(UInt32.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .int64: gatherFloats(Int64.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    case .uint64: gatherFloats(UInt64.self, from: source, stride: stride, count: count, to: destination, swap: swap)
    }
}

/// Makes a Float array of `count` values gathered from a strided field.
func gatherFloatArray(_ type: ScalarType, from source: UnsafeRawPointer, stride: Int, count: Int, swap: Bool) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { gatherFloats(type, from: source, stride: stride, count: count, to: buffer.baseAddress!, swap: swap) }
        initialized = count
    }
}

/// Makes attribute values from a strided field of `componentCount` values per point.
func gatherValues(
    _ type: ScalarType, componentCount: Int, from source: UnsafeRawPointer, stride: Int, count: Int, swap: Bool
) -> AttributeValues {
    let chunk = type.byteCount * componentCount
    return AttributeValues.make(type, count: count * componentCount) { buffer in
        if chunk > 0 && count > 0 {
            gatherChunks(from: source, stride: stride, chunkSize: chunk, count: count, to: buffer.baseAddress!, elementSize: type.byteCount, swap: swap)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body with a typed error: the public `[UInt8]` entry points call the
    /// internal pointer-based decoders through this, so no pointer reaches the public API.
    func withRawBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result = withUnsafeBytes { raw in Result { () throws(E) in try body(raw) } }
        return try result.get()
    }
}

/// Line number (1-based) of byte `offset` in `bytes`.
func lineNumber(of offset: Int, in bytes: UnsafeRawBufferPointer) -> Int {
    1 + newlineCount(bytes, 0..<min(offset, bytes.count))
}

/// Number of newline bytes in `bytes[range]`.
func newlineCount(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
    var lines = 0
    for i in range where bytes[i] == 0x0A { lines += 1 }
    return lines
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses numbers out of ASCII point data with the C library's correctly rounded `strtof`/`strtod`.
///
/// The text must be followed by a NUL byte so the C parsers stop; ``TextScanner`` keeps its own copy
/// of the data section with that terminator.
struct TextScanner {
    let base: UnsafePointer<CChar>
    let end: Int
    var position: Int

    /// Skips spaces, tabs and carriage returns; stops at a newline.
    @inline(__always)
    mutating func skipBlanks() {
        while position < end {
            let c = base[position]
            if c == 0x20 || c == 0x09 || c == 0x0D { position += 1 } else { break }
        }
    }

    /// Skips all white space including newlines.
    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            let c = base[position]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A || c == 0x0B || c == 0x0C { position += 1 } else { break }
        }
    }

    var atLineEnd: Bool { position >= end || base[position] == 0x0A }

    /// The token at the current position (for error messages).
    func token() -> String {
        var stop = position
        while stop < end && stop - position < 40 {
            let c = base[stop]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { break }
            stop += 1
        }
        return String(decoding: UnsafeRawBufferPointer(start: base + position, count: stop - position), as: UTF8.self)
    }

    @inline(__always)
    private func endsToken(_ pointer: UnsafeMutablePointer<CChar>?) -> Int? {
        guard let pointer else { return nil }
        let next = pointer - UnsafeMutablePointer(mutating: base)
        guard next > position, next <= end else { return nil }
        if next < end {
            let c = base[next]
            guard c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A || c == 0x0B || c == 0x0C else { return nil }
        }
        return next
    }

    /// Parses one value of `type` and stores it at `destination` (raw, host order). Returns false
    /// when the token is not a number of that type (or is out of range).
    @inline(__always)
    mutating func parse(_ type: ScalarType, into destination: UnsafeMutableRawPointer) -> Bool {
        var stop: UnsafeMutablePointer<CChar>?
        let start = base + position
        switch type {
        case .float32:
            let value = strtof(start, &stop)
            guard let next = endsToken(stop) else { return false }
            destination.storeBytes(of: value, as: Float.self)
            position = next
        case .float64:
            let value = strtod(start, &stop)
            guard let next = endsToken(stop) else { return false }
            destination.storeBytes(of: value, as: Double.self)
            position = next
        case .uint64:
            if base[position] == 0x2D { return false }  // strtoull accepts "-1"
            errno = 0
            let value = strtoull(start, &stop, 10)
            guard errno == 0, let next = endsToken(stop) else { return false }
            destination.storeBytes(of: UInt64(value), as: UInt64.self)
            position = next
        default:
            errno = 0
            let value = strtoll(start, &stop, 10)
            guard errno == 0, let next = endsToken(stop) else { return false }
            let v = Int64(value)
            switch type {
            case .int8: guard let t = Int8(exactly: v) else { return false }; destination.storeBytes(of: t, as: Int8.self)
            case .uint8: guard let t = UInt8(exactly: v) else { return false }; destination.storeBytes(of: t, as: UInt8.self)
            case .int16: guard let t = Int16(exactly: v) else { return false }; destination.storeBytes(of: t, as: Int16.self)
            case .uint16: guard let t = UInt16(exactly: v) else { return false }; destination.storeBytes(of: t, as: UInt16.self)
            case .int32: guard let t = Int32(exactly: v) else { return false }; destination.storeBytes(of: t, as: Int32.self)
            case .uint32: guard let t = UInt32(exactly: v) else { return false }; destination.storeBytes(of: t, as: UInt32.self)
            default: destination.storeBytes(of: v, as: Int64.self)
            }
            position = next
        }
        return true
    }
}

/// Runs `body` over a NUL-terminated copy of `bytes[range]`.
func withTerminatedText<R>(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (UnsafePointer<CChar>, Int) throws -> R) rethrows -> R {
    var copy = [CChar](repeating: 0, count: range.count + 1)
    copy.withUnsafeMutableBytes { target in
        if !range.isEmpty { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range])) }
    }
    return try copy.withUnsafeBufferPointer { try body($0.baseAddress!, range.count) }
}

/// A growable output byte buffer for the encoders.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append<T: PointScalar>(littleEndian value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    /// Appends `count` uninitialised bytes and lets `fill` write them.
    mutating func appendRaw(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { fill(UnsafeMutableRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }
}

/// Text for one value of a column, as the ASCII formats write it: integers in decimal, floats in the
/// shortest form that reads back to the same value (`nan`, `inf` and `-inf` spelled out).
func formatValue(_ values: AttributeValues, _ index: Int) -> String {
    switch values {
    case .int8(let v): String(v[index])
    case .uint8(let v): String(v[index])
    case .int16(let v): String(v[index])
    case .uint16(let v): String(v[index])
    case .int32(let v): String(v[index])
    case .uint32(let v): String(v[index])
    case .int64(let v): String(v[index])
    case .uint64(let v): String(v[index])
    case .float32(let v): v[index].description
    case .float64(let v): v[index].description
    }
}

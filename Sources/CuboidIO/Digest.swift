/// A 64-bit FNV-1a digest (Fowler, Noll and Vo; offset basis 14695981039346656037, prime
/// 1099511628211), byte by byte, the same on every platform and Swift release.
///
/// It tells whether inputs are the ones an earlier run saw (a sweep's bytes, a configuration's
/// canonical JSON), as caches need: any accidental change of the bytes changes the digest except
/// with probability about 2^-64. It is not cryptographic: do not use it against someone who crafts
/// collisions on purpose. The standard library's `Hasher` is no substitute, as it is seeded anew in
/// every process.
public struct FNV1a64: Sendable, Hashable {
    /// The digest of the bytes combined so far.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The digest of no bytes (the offset basis).
    public init() {}

    /// The digest of `bytes`.
    public init(_ bytes: [UInt8]) { combine(bytes) }

    /// Feeds bytes.
    /// - Complexity: O(n); about 1 ns a byte.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for byte in bytes { h = (h ^ UInt64(byte)) &* Self.prime }
        value = h
    }

    /// Feeds bytes.
    public mutating func combine(_ bytes: [UInt8]) { bytes.withUnsafeBytes { combine($0) } }

    /// Feeds a string's UTF-8 bytes and then a 0xFF byte (which UTF-8 never holds), so that
    /// ("ab", "c") and ("a", "bc") give different digests.
    public mutating func combine(_ string: String) {
        var string = string
        string.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
        value = (value ^ 0xFF) &* Self.prime
    }

    /// Feeds a word as its 8 little-endian bytes.
    public mutating func combine(_ word: UInt64) { withUnsafeBytes(of: word.littleEndian) { combine($0) } }

    /// The digest as 16 lower-case hexadecimal digits.
    public var hex: String { Self.hex(value) }

    /// A 64-bit value as 16 lower-case hexadecimal digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

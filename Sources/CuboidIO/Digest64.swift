/// A 64-bit digest of bytes that tells whether inputs are the ones an earlier run saw (a sweep's
/// bytes, a configuration's canonical JSON), as caches need. The same on every platform and Swift
/// release; the standard library's `Hasher` is no substitute, as it is seeded anew in every process.
///
/// The construction is FNV-1a's (Fowler, Noll and Vo: offset basis 0xCBF29CE484222325, 64-bit prime
/// 0x100000001B3, state = (state ^ input) * prime) taken over 64-bit little-endian words instead of
/// single bytes, each step followed by an xor-shift (state ^= state >> 32) that carries the high bits
/// down, as the multiplication only carries bits up. The 0-7 bytes after the last whole word go one
/// by one as in FNV-1a, and every ``combine(_:)-(UnsafeRawBufferPointer)`` ends by feeding the byte
/// count as a word, so a sequence of chunks is told from another cut of the same bytes. Each step
/// is a bijection of the state, so changing any one word or byte always changes the digest; other
/// accidental changes collide with probability about 2^-64. It is not cryptographic: do not use it
/// against someone who crafts collisions on purpose.
///
/// Words rather than bytes make it 4 to 6 times faster than byte-wise FNV-1a: 0.28-0.63 ns against
/// 1.6-3.2 ns a byte (three rounds over the 60 KITTI raw sweeps of drive 0005, 2 MB each, release
/// build, on a loaded 2-core machine), so a sweep costs 0.6-1.2 ms next to some 100 ms of detection.
public struct Digest64: Sendable, Hashable {
    /// The digest of the chunks combined so far.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The digest of nothing (FNV's offset basis).
    public init() {}

    /// The digest of one chunk of bytes.
    public init(_ bytes: [UInt8]) { combine(bytes) }

    @inline(__always) private static func step(_ state: UInt64, _ word: UInt64) -> UInt64 {
        let h = (state ^ word) &* prime
        return h ^ (h >> 32)
    }

    /// Feeds one chunk: its whole words, its last 0-7 bytes, then its length.
    /// - Complexity: O(n).
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        let words = bytes.count / 8
        var offset = 0
        for _ in 0..<words {
            h = Self.step(h, UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        while offset < bytes.count {
            h = (h ^ UInt64(bytes[offset])) &* Self.prime
            offset += 1
        }
        value = Self.step(h, UInt64(bytes.count))
    }

    /// Feeds one chunk of bytes.
    public mutating func combine(_ bytes: [UInt8]) { bytes.withUnsafeBytes { combine($0) } }

    /// Feeds a string's UTF-8 bytes as one chunk.
    public mutating func combine(_ string: String) {
        var string = string
        string.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    /// The digest as 16 lower-case hexadecimal digits.
    public var hex: String { Self.hex(value) }

    /// A 64-bit value as 16 lower-case hexadecimal digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

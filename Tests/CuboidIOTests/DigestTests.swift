import CuboidIO
import Testing

@Suite struct DigestTests {
    /// With no whole word, a chunk is byte-wise FNV-1a followed by the length step: the published
    /// FNV-1a 64 vectors ("" cbf29ce484222325, "a" af63dc4c8601ec8c, "foobar" 85944171f73967e8) are
    /// what the byte loop leaves before the length is fed.
    @Test(arguments: [("", 0xCBF2_9CE4_8422_2325 as UInt64), ("a", 0xAF63_DC4C_8601_EC8C), ("foobar", 0x8594_4171_F739_67E8)])
    func shortChunksAreFNV1a(_ text: String, _ fnv: UInt64) {
        let h = (fnv ^ UInt64(text.utf8.count)) &* 0x0000_0100_0000_01B3
        #expect(Digest64(Array(text.utf8)).value == h ^ (h >> 32))
    }

    /// The construction as documented, one byte at a time, with nothing of the fast path.
    private func reference(_ bytes: [UInt8]) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func step(_ word: UInt64) {
            h = (h ^ word) &* prime
            h ^= h >> 32
        }
        var index = 0
        while index + 8 <= bytes.count {
            step((0..<8).reduce(0) { $0 | UInt64(bytes[index + $1]) << (8 * UInt64($1)) })
            index += 8
        }
        for byte in bytes[index...] { h = (h ^ UInt64(byte)) &* prime }
        step(UInt64(bytes.count))
        return h
    }

    /// The word loop computes the documented function at every tail length, and a sweep-sized
    /// buffer's digest is pinned: caches written by one build are read by another, so the function
    /// must never change silently.
    @Test func matchesTheDocumentedConstruction() {
        let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 64, 1_000, 100_003] {
            #expect(Digest64(Array(bytes.prefix(count))).value == reference(Array(bytes.prefix(count))), "\(count) bytes")
        }
        #expect(Digest64(bytes).hex == "6794afe5025ac938")
    }

    /// Any one byte changed, anywhere in a word or in the tail, changes the digest.
    @Test func everyByteCounts() {
        let bytes = (0..<37).map { UInt8($0) }
        let reference = Digest64(bytes)
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x80
            #expect(Digest64(changed) != reference, "byte \(index)")
        }
    }

    /// Chunks are delimited: the same bytes cut differently give another digest.
    @Test func chunksAreDelimited() {
        var a = Digest64(), b = Digest64()
        a.combine("ab")
        a.combine("c")
        b.combine("a")
        b.combine("bc")
        #expect(a != b)
        #expect(Digest64.hex(1) == "0000000000000001")
    }
}

@Suite("CuboidVersion")
struct CuboidVersionTests {
    @Test("the build names the version and a digest of the running executable, the same on every call")
    func buildDigest() throws {
        let build = CuboidVersion.build
        #expect(build.hasPrefix(CuboidVersion.current + "+exe."))
        let digest = String(build.dropFirst((CuboidVersion.current + "+exe.").count))
        #expect(digest.count == 16 && digest.allSatisfy(\.isHexDigit))
        // The executable in 1 MiB pieces, each fed to the digest.
        let bytes = try FileBytes.read("/proc/self/exe")
        var pieces = Digest64()
        for start in stride(from: 0, to: bytes.count, by: 1 << 20) { pieces.combine(Array(bytes[start..<min(start + (1 << 20), bytes.count)])) }
        #expect(digest == pieces.hex)
        #expect(CuboidVersion.build == build)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The toolkit's version, one string for `cuboid --version` and for the caches that record what
/// made them (a cache made by another build is not reused).
public enum CuboidVersion {
    /// Semantic version of this release of the toolkit. Raise it with every release.
    public static let current = "0.1.0"

    /// This build: ``current`` and a ``Digest64`` of the running executable's bytes
    /// (`0.1.0+exe.0123456789abcdef`), read once from `/proc/self/exe` in 1 MiB pieces (so the 30 MB
    /// executable never sits in memory whole). Caches record it, so a cache is reused only by the
    /// very program that made it: a rebuilt detector, even one whose version nobody raised, computes
    /// again (a rebuild that yields the same bytes reuses, as it may). Where the executable cannot
    /// be read it is ``current`` alone.
    public static let build: String = executableDigest().map { current + "+exe." + $0.hex } ?? current

    /// The digest of `/proc/self/exe`, one ``Digest64/combine(_:)-([UInt8])`` per 1 MiB piece.
    static func executableDigest() -> Digest64? {
        let descriptor = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var digest = Digest64()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            // Whole pieces (a short read is continued), so the digest does not depend on how reads split.
            var filled = 0
            while filled < buffer.count {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { return nil }
                if count == 0 { break }
                filled += count
            }
            if filled == 0 { return digest }
            buffer.withUnsafeBytes { digest.combine(UnsafeRawBufferPointer(rebasing: $0[..<filled])) }
            if filled < buffer.count { return digest }
        }
    }
}

/// The toolkit's version, one string for `cuboid --version` and for the caches that record what
/// made them (a cache made by another build is not reused).
public enum CuboidVersion {
    /// Semantic version of this release of the toolkit. Raise it with every release.
    public static let current = "0.1.0"

    /// This build: ``current`` and a ``Digest64`` of the running executable's bytes
    /// (`0.1.0+exe.0123456789abcdef`), read once from `/proc/self/exe`. Caches record it, so a cache is
    /// reused only by the very program that made it: a rebuilt detector, even one whose version
    /// nobody raised, computes again (a rebuild that yields the same bytes reuses, as it may). Where
    /// the executable cannot be read it is ``current`` alone.
    public static let build: String = {
        guard let bytes = try? FileBytes.read("/proc/self/exe") else { return current }
        return current + "+exe." + Digest64(bytes).hex
    }()
}

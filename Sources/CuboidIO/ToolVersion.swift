/// The toolkit's version, one string for `cuboid --version` and for the caches that record what
/// made them (a cache made by another version is not reused).
///
/// Raise it with every release, and whenever a change alters what a cached stage computes.
public enum CuboidVersion {
    /// Semantic version of this build of the toolkit.
    public static let current = "0.1.0"
}

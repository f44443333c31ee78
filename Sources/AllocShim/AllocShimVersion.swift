/// AllocShim's version, in one place: `allocshim --version` prints it and reports record it.
/// Bump it with each entry of CHANGELOG.md (semantic versioning; 0.x: the API may still change).
public enum AllocShimVersion {
    /// The version of this checkout, e.g. "0.1.0".
    public static let current = "0.1.0"
}

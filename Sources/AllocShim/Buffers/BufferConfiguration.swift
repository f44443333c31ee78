import Synchronization

/// Process-wide buffer settings: zero-fill mode (`ALLOCSHIM_ZERO_FILL`) and the slab size of
/// the uninitialized-buffer pool (`ALLOCSHIM_POOL_SIZE`).
///
/// Both are read from the environment on first use and can be set in code. An invalid value
/// is a ``BufferConfigurationError`` naming the variable, the value and what is allowed;
/// nothing is cached then, so fixing the environment or setting the value in code recovers.
public enum BufferConfiguration {
    /// Node's default `Buffer.poolSize`: 8 KiB.
    public static let defaultPoolSize = 8 * 1024
    /// Slab sizes accepted: 64 B ... 64 MiB.
    public static let poolSizeRange = 64...(64 << 20)

    private static let zeroFill = EnvironmentFlag(.zeroFill)
    // 0: not read yet; otherwise the slab size.
    private static let poolSizeState = Atomic<Int>(0)

    /// Whether every uninitialized allocation is zeroed (Node's `--zero-fill-buffers`).
    /// One relaxed atomic load once resolved.
    @inline(__always)
    public static func isZeroFillEnabled() throws(BufferConfigurationError) -> Bool {
        try zeroFill.isEnabled()
    }

    /// Turns zero-fill mode on or off for the process, overriding the environment.
    public static func setZeroFill(_ enabled: Bool) {
        zeroFill.set(enabled)
    }

    /// The slab size for pools created from now on.
    public static func poolSize() throws(BufferConfigurationError) -> Int {
        let known = poolSizeState.load(ordering: .relaxed)
        if known != 0 { return known }
        let size = try parsePoolSize(EnvironmentVariable.poolSize.currentValue)
        poolSizeState.store(size, ordering: .relaxed)
        return size
    }

    /// Sets the slab size for pools created from now on (existing pools keep theirs).
    public static func setPoolSize(_ size: Int) throws(BufferConfigurationError) {
        try validatePoolSize(size)
        poolSizeState.store(size, ordering: .relaxed)
    }

    static func validatePoolSize(_ size: Int) throws(BufferConfigurationError) {
        guard poolSizeRange.contains(size) else {
            throw .invalidValue(
                variable: "pool size", value: String(size),
                allowed: "\(poolSizeRange.lowerBound)...\(poolSizeRange.upperBound) bytes")
        }
    }

    /// `ALLOCSHIM_ZERO_FILL`: unset, "", "0", "false", "no", "off" → off; "1", "true", "yes", "on" → on;
    /// case-insensitive. Anything else is an error (no surrounding spaces either: a value that
    /// differs from what was meant should fail, not silently mean "off").
    public static func parseZeroFill(_ value: String?) throws(BufferConfigurationError) -> Bool {
        try EnvironmentFlag.parse(value, of: .zeroFill)
    }

    /// `ALLOCSHIM_POOL_SIZE`: bytes per slab, unset or empty → 8192.
    public static func parsePoolSize(_ value: String?) throws(BufferConfigurationError) -> Int {
        guard let value, !value.isEmpty else { return defaultPoolSize }
        guard let size = Int(value), poolSizeRange.contains(size) else {
            throw .invalidValue(
                variable: EnvironmentVariable.poolSize.rawValue, value: value,
                allowed: "an integer number of bytes from \(poolSizeRange.lowerBound) to \(poolSizeRange.upperBound)")
        }
        return size
    }
}

/// An invalid buffer setting.
public enum BufferConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `variable` holds `value`, which is not what `allowed` describes.
    case invalidValue(variable: String, value: String, allowed: String)

    /// Names the environment variable, the value it had and what is allowed.
    public var description: String {
        switch self {
        case .invalidValue(let variable, let value, let allowed):
            return "\(variable): invalid value '\(EnvironmentVariable.displayed(value))'; allowed: \(allowed)"
        }
    }
}

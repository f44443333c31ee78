/// Poison mode (`ALLOCSHIM_POISON`): every uninitialized allocation AllocShim makes — pooled
/// and unpooled buffers, `OwnedBytes`, and the NIO allocator's blocks — is filled with the
/// process's ``PoisonPattern`` instead of being left with whatever the allocator returned.
/// A byte sent out that was never written then carries the pattern, and the
/// ``ExposureDetector`` finds it (see docs/leaks.md).
///
/// Zero-fill mode wins when both are on: the bytes are zeroed and not poisoned, because
/// zero-fill is the production defence and poison is a staging diagnosis.
///
/// Read from the environment on first use and settable in code. An invalid value is a
/// ``BufferConfigurationError`` naming the variable, the value and what is allowed; nothing
/// is cached then, so fixing the environment or setting the mode in code recovers.
public enum PoisonMode {
    private static let flag = EnvironmentFlag(.poison)

    /// Whether poison mode is on. One relaxed atomic load once resolved.
    @inline(__always)
    public static func isEnabled() throws(BufferConfigurationError) -> Bool {
        try flag.isEnabled()
    }

    /// Turns poison mode on or off for the process, overriding the environment. Affects
    /// allocations made from now on.
    public static func setEnabled(_ enabled: Bool) {
        flag.set(enabled)
    }

    /// `ALLOCSHIM_POISON`: unset, "", "0", "false", "no", "off" → off; "1", "true", "yes", "on" → on.
    public static func parse(_ value: String?) throws(BufferConfigurationError) -> Bool {
        try EnvironmentFlag.parse(value, of: .poison)
    }

    /// Whether uninitialized memory is to be poisoned now: poison on and zero-fill off.
    @inline(__always)
    static func isPoisoning() throws(BufferConfigurationError) -> Bool {
        guard try isEnabled() else { return false }
        return try !BufferConfiguration.isZeroFillEnabled()
    }

    /// Fills `count` fresh uninitialized bytes at `base` (allocation offset 0) with the
    /// pattern when poison mode is on and zero-fill mode is off. The one call at the place
    /// uninitialized regions are made; when off it costs one relaxed atomic load.
    @inline(__always)
    public static func poisonIfEnabled(_ base: UnsafeMutableRawPointer, _ count: Int)
        throws(BufferConfigurationError)
    {
        guard !flag.isKnownOff else { return }
        if try isPoisoning() { PoisonPattern.processWide.fill(base, count: count) }
    }

    /// The same for a grown tail (`realloc`): `base` is allocation offset `start`.
    @inline(__always)
    public static func poisonIfEnabled(
        _ base: UnsafeMutableRawPointer, _ count: Int, startingAtAllocationOffset start: Int
    )
        throws(BufferConfigurationError)
    {
        guard !flag.isKnownOff else { return }
        if try isPoisoning() {
            PoisonPattern.processWide.fill(base, count: count, startingAtAllocationOffset: start)
        }
    }
}

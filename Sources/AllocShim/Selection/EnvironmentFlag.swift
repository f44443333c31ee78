import Synchronization

/// An on/off setting backed by an environment variable (zero-fill, poison mode): read on first
/// use, settable in code, one relaxed atomic load once known. An invalid value is a
/// ``BufferConfigurationError`` naming the variable, the value and what is allowed, and nothing
/// is remembered then, so fixing the environment or setting the value in code recovers.
///
/// A noncopyable value kept in a `static let` of its owner: reading it touches no object.
struct EnvironmentFlag: ~Copyable, Sendable {
    let variable: EnvironmentVariable
    /// 0: not read yet, 1: off, 2: on.
    private let state = Atomic<Int>(0)

    init(_ variable: EnvironmentVariable) { self.variable = variable }

    @inline(__always)
    func isEnabled() throws(BufferConfigurationError) -> Bool {
        switch state.load(ordering: .relaxed) {
        case 1: return false
        case 2: return true
        default:
            let enabled = try Self.parse(variable.currentValue, of: variable)
            state.store(enabled ? 2 : 1, ordering: .relaxed)
            return enabled
        }
    }

    /// Known to be off (read and off, or set off): the fastest check, one relaxed load.
    @inline(__always)
    var isKnownOff: Bool { state.load(ordering: .relaxed) == 1 }

    /// Overrides the environment for the process.
    func set(_ enabled: Bool) { state.store(enabled ? 2 : 1, ordering: .relaxed) }

    /// Unset, "", "0", "false", "no", "off" → off; "1", "true", "yes", "on" → on (any case).
    static func parse(_ value: String?, of variable: EnvironmentVariable) throws(BufferConfigurationError) -> Bool {
        switch value?.lowercased() {
        case nil, "", "0", "false", "no", "off": return false
        case "1", "true", "yes", "on": return true
        default:
            throw .invalidValue(
                variable: variable.rawValue, value: value ?? "",
                allowed: "1, true, yes, on (enable) or 0, false, no, off, empty (disable)")
        }
    }
}

/// Every way to make a buffer, by a stable name, so measurements (residue probe, benchmarks)
/// and configuration can drive them from outside.
public enum AllocationForm: String, CaseIterable, Sendable, Codable {
    /// `SharedBytes.alloc`: zero-filled.
    case alloc
    /// `SharedBytes.allocUnsafe`: uninitialized, pooled below half a slab.
    case allocUnsafe
    /// `SharedBytes.allocUnsafeSlow`: uninitialized, never pooled.
    case allocUnsafeSlow
    /// `OwnedBytes(zeroedCount:)`: zero-filled, noncopyable, no reference counting.
    case ownedZeroed
    /// `OwnedBytes(uninitializedCount:)`: uninitialized, pooled below half a slab, noncopyable.
    case ownedUninitialized
    /// `OwnedBytes(uninitializedUnpooledCount:)`: uninitialized, never pooled, noncopyable.
    case ownedUninitializedUnpooled

    /// Parses a form name, with an error naming the bad value and every valid one.
    public init(parsing name: String) throws(AllocationFormError) {
        guard let form = AllocationForm(rawValue: name) else { throw .unknownForm(name) }
        self = form
    }

    /// Whether the memory may hold an earlier owner's bytes.
    public var isUninitialized: Bool { self != .alloc && self != .ownedZeroed }

    /// Makes a shared buffer of `count` bytes in this form (owned forms are shared after creation).
    public func make(_ count: Int, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        switch self {
        case .alloc: return try .alloc(count, using: source)
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .allocUnsafe: return try .allocUnsafe(count, using: source)
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .allocUnsafeSlow: return try .allocUnsafeSlow(count, using: source)
        case .ownedZeroed: return try OwnedBytes(zeroedCount: count, using: source).share()
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .ownedUninitialized: return try OwnedBytes(uninitializedCount: count, using: source).share()
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .ownedUninitializedUnpooled: return try OwnedBytes(uninitializedUnpooledCount: count, using: source).share()
        }
    }

    /// Makes an owned (noncopyable) buffer of `count` bytes: shared forms map to their owned twin.
    public func makeOwned(_ count: Int, using source: BufferSource? = nil) throws(BufferError) -> OwnedBytes {
        switch self {
        case .alloc, .ownedZeroed: return try OwnedBytes(zeroedCount: count, using: source)
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .allocUnsafe, .ownedUninitialized: return try OwnedBytes(uninitializedCount: count, using: source)
        // allocshim: uninitialized — this names the uninitialized buffer forms so measurements can drive them; each caller writes before it reads
        case .allocUnsafeSlow, .ownedUninitializedUnpooled: return try OwnedBytes(uninitializedUnpooledCount: count, using: source)
        }
    }
}

/// Why `AllocationForm/init(parsing:)` refused a name.
public enum AllocationFormError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an `AllocationForm` raw value.
    case unknownForm(String)

    /// Names the bad value and lists every valid form.
    public var description: String {
        switch self {
        case .unknownForm(let name):
            return "unknown allocation form '\(name)'; valid forms are: \(AllocationForm.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

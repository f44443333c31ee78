/// How a thread workload gets and frees its blocks: through the buffers users call, or
/// through the allocator directly.
public enum BlockForm: String, CaseIterable, Sendable, Codable {
    /// `OwnedBytes(uninitializedCount:using:)`: small sizes are cut from the backend's slabs
    /// (per thread for the built-in backends' shared sources).
    case ownedPooled = "owned-pooled"
    /// `OwnedBytes(uninitializedUnpooledCount:using:)`: one allocator block per buffer.
    case ownedUnpooled = "owned-unpooled"
    /// `SharedBytes.allocUnsafe(_:using:)`: pooled like `owned-pooled`, plus the reference-counted
    /// storage object of a copyable buffer.
    case sharedUnsafe = "shared-unsafe"
    /// `allocateUninitialized(byteCount:)` and `deallocate(_:byteCount:)` on the backend.
    case allocator

    /// Parses a form name; the `MeasureError` names the bad value and every valid one.
    public init(parsing name: String) throws(MeasureError) {
        guard let form = BlockForm(rawValue: name) else {
            throw .invalidArgument(
                "unknown block form '\(name)'; valid forms are: \(BlockForm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = form
    }

    /// Whether a block of this form can be handed to another thread. `SharedBytes` is not
    /// `Sendable` (its copies write through to the same bytes), so only same-thread workloads
    /// drive it.
    public var crossesThreads: Bool { self != .sharedUnsafe }

    /// The call a block of this form is made with, for tables.
    public var call: String {
        switch self {
        case .ownedPooled: return "OwnedBytes(uninitializedCount:)"
        case .ownedUnpooled: return "OwnedBytes(uninitializedUnpooledCount:)"
        case .sharedUnsafe: return "SharedBytes.allocUnsafe"
        case .allocator: return "Allocator.allocateUninitialized"
        }
    }
}

import AllocShim

/// How a thread workload gets and frees its blocks: through the buffers users call, through
/// the allocator directly, through the backend's bare C calls (the floor every other form is
/// read against), or as SwiftNIO `ByteBuffer`s from a tenant's allocator.
package enum BlockForm: String, CaseIterable, Sendable, Codable {
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
    /// The same workload written in C (CShims/CAllocShimsBench/thread_workloads.c) on the
    /// backend's own C call table (`CAllocShims_backend_allocate`/`_deallocate`; a tenant arena's
    /// flags for `jemalloc-arena`): what the allocator itself reaches, so every other row reads
    /// as a fraction of it.
    case c
    /// SwiftNIO `ByteBuffer`s (`buffer(capacity:)`, first and last byte written, dropped) from
    /// `TenantArenas.byteBufferAllocator(for:)`, one tenant shared by every thread: the shape of
    /// a server whose event loops all serve one tenant. Built with the trait `NIO` only; runs on
    /// the `jemalloc-arena` backend (a tenant's memory is a jemalloc arena).
    case nioTenant = "nio-tenant"

    /// The forms this build can measure: every form but `nio-tenant` without the trait `NIO`.
    package static var available: [BlockForm] { allCases.filter(\.isBuilt) }

    /// Whether this build can measure the form.
    package var isBuilt: Bool { self != .nioTenant || NIOTenantForm.isBuilt }

    /// Parses a form name; the `MeasureError` names the bad value and every valid one.
    package init(parsing name: String) throws(MeasureError) {
        let valid = BlockForm.available.map(\.rawValue).joined(separator: ", ")
        guard let form = BlockForm(rawValue: name) else {
            throw .invalidArgument("unknown block form '\(name)'; valid forms are: \(valid)")
        }
        guard form.isBuilt else {
            throw .invalidArgument(
                "block form '\(name)' needs the package trait NIO (swift build --traits NIO); valid forms in this build are: \(valid)")
        }
        self = form
    }

    /// Whether a block of this form can be handed to another thread. `SharedBytes` is not
    /// `Sendable` (its copies write through to the same bytes), so only same-thread workloads
    /// drive it.
    package var crossesThreads: Bool { self != .sharedUnsafe }

    /// Whether the form is measured on `backend`: `nio-tenant` draws from a tenant's jemalloc
    /// arena, so it belongs with `jemalloc-arena` only.
    package func runs(on backend: BackendName) -> Bool { self != .nioTenant || backend == .jemallocArena }

    /// The call a block of this form is made with, for tables.
    package var call: String {
        switch self {
        case .ownedPooled: return "OwnedBytes(uninitializedCount:)"
        case .ownedUnpooled: return "OwnedBytes(uninitializedUnpooledCount:)"
        case .sharedUnsafe: return "SharedBytes.allocUnsafe"
        case .allocator: return "Allocator.allocateUninitialized"
        case .c: return "the backend's C calls, from C (CAllocShims_backend_allocate)"
        case .nioTenant:
            return "ByteBufferAllocator.buffer(capacity:) from TenantArenas.byteBufferAllocator(for:), one tenant for all threads"
        }
    }
}

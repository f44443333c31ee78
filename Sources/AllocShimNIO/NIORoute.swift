#if NIO
import AllocShim
import NIOConcurrencyHelpers

/// One allocator as NIO sees it. Retained by its slot and by every block it made (the block
/// header holds a +1), so a block always frees into the allocator that made it.
final class NIORoute: Sendable {
    let allocator: any Allocator
    /// Zero blocks when made and wipe them on every release, reallocation included: the
    /// fallback route's memory is the shared heap, where nothing of a tenant may stay behind.
    let wipesOnRelease: Bool

    init(allocator: any Allocator, wipesOnRelease: Bool = false) {
        self.allocator = allocator
        self.wipesOnRelease = wipesOnRelease
    }

    /// Zeroed system memory, wiped before it is freed: for allocators whose tenant was
    /// evicted, and for tenants no slot can be given to. Never another tenant's arena.
    static let fallback = NIORoute(allocator: SystemAllocator.shared, wipesOnRelease: true)
}

/// A routing slot: immortal, so the allocate functions can always reach it. Empty (`nil`)
/// means "use the fallback route".
/// Locks here are NIOLock (pthread mutexes) rather than Synchronization.Mutex: under contention
/// ThreadSanitizer reported races on data a Mutex protected (its slow path lives in the
/// uninstrumented runtime library, so TSan misses the ordering); it understands pthread
/// mutexes, so a clean TSan run here means something.
final class NIORouteSlot: Sendable {
    let route = NIOLockedValueBox<NIORoute?>(nil)
}
#endif

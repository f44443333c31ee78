#if NIO
import AllocShim

/// One allocator as NIO sees it: immutable, so a thread that has loaded a route from its slot
/// can use it without a lock. Every block's header names the route that made it, so a block
/// always frees into the allocator that made it.
///
/// Lifetime: an immortal route (the fallback, and routes of plain allocators, which are routed
/// for good) is never released, so its blocks hold no reference to it. A tenant's route is
/// released when its slot no longer publishes it and its last block is gone: its slot holds
/// a +1 while it is published and each block holds one (see `NIORouteTable`).
final class NIORoute: Sendable {
    let allocator: any Allocator
    /// Zero blocks when made and wipe them on every release, reallocation included: the
    /// fallback route's memory is the shared heap, where nothing of a tenant may stay behind.
    let wipesOnRelease: Bool
    /// Never released: blocks take no reference to it.
    let isImmortal: Bool

    /// A tenant route's arena core (a mortal route to a `JemallocArena`): its blocks are made
    /// and freed through the core, counted on the calling thread's share of the arena's
    /// live-block count, which keeps the arena's memory alive; they take no reference to the route.
    let arenaCore: Unmanaged<ArenaCore>?

    init(allocator: any Allocator, wipesOnRelease: Bool = false, isImmortal: Bool) {
        self.allocator = allocator
        self.wipesOnRelease = wipesOnRelease
        self.isImmortal = isImmortal
        // Unretained: the route holds the arena, which holds its core.
        self.arenaCore = isImmortal || wipesOnRelease ? nil : (allocator as? JemallocArena).map { .passUnretained($0.core) }
    }

    /// Zeroed system memory, wiped before it is freed: for allocators whose tenant was
    /// evicted, and for tenants no slot can be given to. Never another tenant's arena.
    static let fallback = NIORoute(allocator: SystemAllocator.shared, wipesOnRelease: true, isImmortal: true)
}
#endif

extension TenantArenas {
    /// How many routing slots AllocShimNIO has: each is a distinct C allocate function, the
    /// only thing NIO's context-free allocator can route by (`NIORouteTable` checks that its
    /// table has exactly this many). A registry whose live tenants could not all hold a slot
    /// would send some of them to the shared fallback, so `maximumTenants` is bounded by it.
    package static let nioRouteCapacity = 1024

    /// jemalloc encodes an arena index in 12 bits of the `mallocx` flags: 4095 arenas in all
    /// (`MALLOCX_ARENA_LIMIT`), automatic ones included; `arenas.create` fails beyond it.
    static let jemallocArenaLimit = 4095

    /// The largest `maximumTenants` this process accepts (0 without jemalloc): the smaller of
    /// the arenas jemalloc can still create beside its automatic ones (`opt.narenas`) and the
    /// NIO routing slots.
    public static var largestMaximumTenants: Int { maximumTenantsLimit().limit }

    /// The bound and what sets it, for the error that names both.
    static func maximumTenantsLimit() -> (limit: Int, reason: String) {
        guard JemallocControl.isAvailable,
            let automatic = try? JemallocControl.read("opt.narenas", as: UInt32.self)
        else { return (0, "jemalloc is not linked") }
        let arenaHeadroom = jemallocArenaLimit - Int(automatic)
        if arenaHeadroom < nioRouteCapacity {
            return (max(arenaHeadroom, 0), "jemalloc allows \(jemallocArenaLimit) arenas, \(automatic) of them automatic")
        }
        return (nioRouteCapacity, "AllocShimNIO routes at most \(nioRouteCapacity) allocators")
    }
}

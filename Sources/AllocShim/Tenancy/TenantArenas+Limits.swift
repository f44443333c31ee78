extension TenantArenas {
    /// jemalloc encodes an arena index in 12 bits of the `mallocx` flags: 4095 arenas in all
    /// (`MALLOCX_ARENA_LIMIT`), automatic ones included; `arenas.create` fails beyond it.
    static let jemallocArenaLimit = 4095

    /// The largest `maximumTenants` this process accepts (0 without jemalloc): the arenas
    /// jemalloc can still create beside its automatic ones (`opt.narenas`). (AllocShimNIO
    /// serves tenants beyond its routes from its fallback; see its `allocShimRouteCapacity`.)
    public static var largestMaximumTenants: Int { maximumTenantsLimit().limit }

    /// The bound and what sets it, for the error that names both.
    static func maximumTenantsLimit() -> (limit: Int, reason: String) {
        guard JemallocControl.isAvailable,
            let automatic = try? JemallocControl.read("opt.narenas", as: UInt32.self)
        else { return (0, "jemalloc is not linked") }
        let arenaHeadroom = jemallocArenaLimit - Int(automatic)
        return (max(arenaHeadroom, 0), "jemalloc allows \(jemallocArenaLimit) arenas, \(automatic) of them automatic")
    }
}

/// One live tenant's arena and its figures at the time of ``TenantArenas/snapshot()``.
public struct TenantArenaSnapshot: Sendable {
    /// The tenant's key, as given to ``TenantArenas/arena(for:)``.
    public let tenant: String
    /// jemalloc's index of the tenant's arena (the `<i>` in `stats.arenas.<i>.*`).
    public let arenaIndex: UInt32
    /// The arena's own figures (``JemallocArena/statistics()``).
    public let statistics: AllocatorStatistics

    /// Creates a snapshot entry (tests and exporters that replay figures).
    public init(tenant: String, arenaIndex: UInt32, statistics: AllocatorStatistics) {
        self.tenant = tenant
        self.arenaIndex = arenaIndex
        self.statistics = statistics
    }
}

extension TenantArenas {
    /// Every live tenant (not the evicted ones whose arenas still await their last buffer),
    /// sorted by tenant key, with its arena's figures. The registry's lock is held only to list
    /// the tenants; statistics are read afterwards, so a tenant evicted meanwhile may still appear.
    public func snapshot() -> [TenantArenaSnapshot] {
        liveArenas()
            .sorted { $0.tenant < $1.tenant }
            .map { TenantArenaSnapshot(tenant: $0.tenant, arenaIndex: $0.arena.index, statistics: $0.arena.statistics()) }
    }
}

// TEMPORARY stand-in until branch `nio` adds `TenantArenas.snapshot()`; delete on `git merge nio`
// (the duplicate type then fails the build, so it cannot be forgotten).
#if Metrics
import AllocShim

public struct TenantArenaSnapshot: Sendable {
    public var tenant: String
    public var arenaIndex: UInt32
    public var statistics: AllocatorStatistics
}

extension TenantArenas {
    func snapshot() -> [TenantArenaSnapshot] {
        tenants.compactMap { tenant in
            guard let arena = try? arena(for: tenant) else { return nil }
            return TenantArenaSnapshot(tenant: tenant, arenaIndex: arena.index, statistics: arena.statistics())
        }
    }
}
#endif

import Synchronization

/// One dedicated jemalloc arena per tenant, so one tenant's freed memory is never handed to
/// another (the `arena-isolated` residue scenario measures 0% at every size).
///
/// Arenas are created on first use and bounded in number: asking for a new tenant when
/// `maximumTenants` are live evicts the least recently used one. Eviction purges the arena's
/// free pages at once and drops this registry's references; the arena itself is destroyed
/// (`arena.<i>.destroy`) when the last buffer, slab or NIO route that still uses it is gone —
/// destroying it earlier would pull memory from under live buffers.
///
/// `maximumTenants` is bounded by ``largestMaximumTenants``: jemalloc's arena limit.
/// ``snapshot()`` lists the live tenants with their figures.
public final class TenantArenas: Sendable {
    /// How many tenants may be live at once; beyond it the least recently used is evicted.
    public let maximumTenants: Int

    private struct Tenant {
        let arena: JemallocArena
        let source: BufferSource
        var lastUse: UInt64
    }

    private struct State {
        var tenants: [String: Tenant] = [:]
        var clock: UInt64 = 0
        var evictionHandlers: [String: @Sendable (String, JemallocArena) -> Void] = [:]
    }

    private let state = LockedValue(State())

    /// Identifies this registry for the process lifetime: unlike an object's address it is never
    /// reused, so integrations (AllocShimNIO's routes) can key on it safely.
    package let registryID: UInt64
    private static let nextRegistryID = Atomic<UInt64>(1)

    /// Throws when jemalloc is not linked (`swift build --disable-default-traits`) or the
    /// maximum is outside `1...TenantArenas.largestMaximumTenants` (jemalloc's arena limit).
    public init(maximumTenants: Int = 32) throws(TenantArenaError) {
        guard JemallocControl.isAvailable else {
            throw .unavailable(BackendSelectionError.unavailable(
                .jemallocArena, reason: BackendName.jemallocArena.absenceReason, remedy: BackendName.jemallocArena.remedy).description)
        }
        let (limit, reason) = Self.maximumTenantsLimit()
        guard maximumTenants >= 1, maximumTenants <= limit else {
            throw .invalidMaximum(maximumTenants, allowed: 1...max(limit, 1), limitedBy: reason)
        }
        self.maximumTenants = maximumTenants
        self.registryID = Self.nextRegistryID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// The tenant's arena, created on first use.
    public func arena(for tenant: String) throws(TenantArenaError) -> JemallocArena {
        try entry(for: tenant).arena
    }

    /// A buffer source (allocator plus its own slab pool) drawing from the tenant's arena.
    public func source(for tenant: String) throws(TenantArenaError) -> BufferSource {
        try entry(for: tenant).source
    }

    /// Forgets the tenant: purges its arena and lets it be destroyed once unused.
    public func evict(_ tenant: String) {
        let removed = state.withLock { state -> (Tenant, [@Sendable (String, JemallocArena) -> Void])? in
            guard let tenant = state.tenants.removeValue(forKey: tenant) else { return nil }
            return (tenant, Array(state.evictionHandlers.values))
        }
        guard let (evicted, handlers) = removed else { return }
        retire(tenant, evicted, handlers)
    }

    /// Evicts every tenant.
    public func evictAll() {
        for tenant in tenants { evict(tenant) }
    }

    /// How many tenants are live (evicted ones are not counted, even while their arenas live on).
    public var tenantCount: Int { state.withLock { $0.tenants.count } }

    /// The live tenants' keys, in no particular order.
    public var tenants: [String] { state.withLock { Array($0.tenants.keys) } }

    /// Calls `handler` after each eviction (from the evicting thread, outside the registry's
    /// lock). Handlers are keyed so that an integration installs itself once.
    public func onEviction(key: String, _ handler: @escaping @Sendable (_ tenant: String, _ arena: JemallocArena) -> Void) {
        state.withLock { $0.evictionHandlers[key] = handler }
    }

    /// The live tenants and their arenas, listed under the lock.
    func liveArenas() -> [(tenant: String, arena: JemallocArena)] {
        state.withLock { state in state.tenants.map { ($0.key, $0.value.arena) } }
    }

    /// Whether `arena` is still the live arena of `tenant` (integrations re-check after
    /// publishing a route, so that an eviction racing them cannot leave the route behind).
    package func isLive(_ tenant: String, arena: JemallocArena) -> Bool {
        state.withLock { $0.tenants[tenant]?.arena === arena }
    }

    // MARK: -

    private func entry(for tenant: String) throws(TenantArenaError) -> Tenant {
        if let known = state.withLock({ state -> Tenant? in
            guard var known = state.tenants[tenant] else { return nil }
            state.clock += 1
            known.lastUse = state.clock
            state.tenants[tenant] = known
            return known
        }) {
            return known
        }
        // Create outside the lock: arenas.create is a mallctl call that may take a while.
        let fresh: Tenant
        do {
            let arena = try JemallocArena()
            fresh = Tenant(arena: arena, source: try BufferSource(allocator: arena), lastUse: 0)
        } catch let error as BackendSelectionError {
            throw .unavailable(error.description)
        } catch {
            throw .unavailable("\(error)")
        }
        let (chosen, evicted, handlers) = state.withLock { state -> (Tenant, (String, Tenant)?, [@Sendable (String, JemallocArena) -> Void]) in
            state.clock += 1
            if var raced = state.tenants[tenant] {  // another thread created it meanwhile
                raced.lastUse = state.clock
                state.tenants[tenant] = raced
                return (raced, nil, [])
            }
            var evicted: (String, Tenant)?
            if state.tenants.count >= maximumTenants,
                let oldest = state.tenants.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.tenants.removeValue(forKey: oldest.key)
                evicted = (oldest.key, oldest.value)
            }
            var created = fresh
            created.lastUse = state.clock
            state.tenants[tenant] = created
            return (created, evicted, Array(state.evictionHandlers.values))
        }
        if let (name, old) = evicted { retire(name, old, handlers) }
        return chosen
    }

    private func retire(_ name: String, _ tenant: Tenant, _ handlers: [@Sendable (String, JemallocArena) -> Void]) {
        try? tenant.arena.purge()
        for handler in handlers { handler(name, tenant.arena) }
    }
}

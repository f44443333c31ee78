import AllocShim
import Synchronization
import Testing

@Suite("Tenant arenas", .enabled(if: JemallocControl.isAvailable))
struct TenantArenasTests {
    @Test("one tenant's freed memory is never handed to another")
    func isolation() throws {
        let tenants = try TenantArenas(maximumTenants: 4)
        let a = try tenants.arena(for: "a")
        let b = try tenants.arena(for: "b")
        #expect(a !== b)
        var freedByA = Set<UInt>()
        for size in [16, 100, 1000, 10_000] {
            let blocks = try (0..<200).map { _ in try a.allocateUninitialized(byteCount: size) }
            for block in blocks {
                freedByA.insert(UInt(bitPattern: block))
                a.deallocate(block, byteCount: size)
            }
        }
        for size in [16, 100, 1000, 10_000] {
            let blocks = try (0..<200).map { _ in try b.allocateUninitialized(byteCount: size) }
            #expect(blocks.allSatisfy { !freedByA.contains(UInt(bitPattern: $0)) }, "tenant b got a block tenant a freed (\(size) B)")
            for block in blocks { b.deallocate(block, byteCount: size) }
        }
        #expect(try tenants.arena(for: "a") === a, "the same tenant gets the same arena")
    }

    @Test("beyond the maximum the least recently used tenant is evicted")
    func leastRecentlyUsed() throws {
        let tenants = try TenantArenas(maximumTenants: 2)
        _ = try tenants.arena(for: "a")
        _ = try tenants.arena(for: "b")
        _ = try tenants.arena(for: "a")  // b is now the least recently used
        _ = try tenants.arena(for: "c")
        #expect(Set(tenants.tenants) == ["a", "c"])
        #expect(tenants.tenantCount == 2)
    }

    @Test("an evicted arena is destroyed when its last buffer goes, not before")
    func releasedOnEviction() throws {
        let tenants = try TenantArenas()
        weak var idle: JemallocArena?
        weak var busy: JemallocArena?
        var survivor: SharedBytes
        do {
            idle = try tenants.arena(for: "idle")
            busy = try tenants.arena(for: "busy")
            _ = try SharedBytes.allocUnsafe(64, using: tenants.source(for: "idle"))  // gone at once
            survivor = try SharedBytes.from(Array("tenant data".utf8), using: tenants.source(for: "busy"))
        }
        let evicted = Mutex<[String]>([])
        tenants.onEviction(key: "test") { name, _ in evicted.withLock { $0.append(name) } }
        tenants.evict("idle")
        tenants.evict("busy")
        #expect(evicted.withLock { $0 } == ["idle", "busy"])
        #expect(idle == nil, "an unused evicted arena must be destroyed at once")
        #expect(busy != nil, "an arena must live while a buffer uses it")
        #expect(Array(survivor) == Array("tenant data".utf8))
        survivor = try SharedBytes.from([1])
        #expect(busy == nil, "the evicted arena outlived its last buffer")
        #expect(tenants.tenantCount == 0)
    }

    @Test("a maximum below one is refused with the value")
    func invalidMaximum() {
        #expect(throws: TenantArenaError.invalidMaximum(0)) { try TenantArenas(maximumTenants: 0) }
        #expect(TenantArenaError.invalidMaximum(0).description.contains("0"))
    }
}

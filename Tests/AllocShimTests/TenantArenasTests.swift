import AllocShim
import AllocShimTestSupport
import Dispatch
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
        let evicted = TestLocked<[String]>([])
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

    @Test("a maximum outside 1...largestMaximumTenants is refused with the value and the allowed range")
    func invalidMaximum() {
        let largest = TenantArenas.largestMaximumTenants
        #expect(largest >= 1 && largest <= 4095, "jemalloc cannot index more than 4095 arenas")
        // Before the fix every positive maximum was accepted: 5000 tenants cannot all have an
        // arena (jemalloc stops at 4095), 1025 cannot all have a NIO route (1024 slots).
        for value in [0, -3, largest + 1, 5000, Int.max] {
            do {
                _ = try TenantArenas(maximumTenants: value)
                Issue.record("maximumTenants \(value) was accepted (largest allowed: \(largest))")
            } catch {
                let message = "\(error)"
                #expect(message.contains("\(value)") && message.contains("1...\(largest)"), "\(message)")
            }
        }
        #expect(throws: Never.self) { _ = try TenantArenas(maximumTenants: largest) }
    }

    @Test("snapshot lists live tenants with their arena index and figures, not evicted ones")
    func snapshot() throws {
        let tenants = try TenantArenas(maximumTenants: 3)
        let kept = try SharedBytes.from(Array(repeating: 7, count: 5000), using: tenants.source(for: "beta"))
        _ = try tenants.arena(for: "alpha")
        _ = try tenants.arena(for: "gone")
        tenants.evict("gone")
        let snapshot = tenants.snapshot()
        #expect(snapshot.map(\.tenant) == ["alpha", "beta"])
        #expect(snapshot.map(\.arenaIndex) == [try tenants.arena(for: "alpha").index, try tenants.arena(for: "beta").index])
        #expect(snapshot[1].statistics.liveBytes >= 5000 && snapshot[1].statistics.backend == "jemalloc-arena")
        withExtendedLifetime(kept) {}
    }

    /// Several threads ask for tenants, write and check buffers from their sources, while one
    /// thread evicts: no buffer loses its bytes, no buffer's memory lies in another live
    /// tenant's arena, and every evicted arena is destroyed once its buffers are gone.
    @Test("tenant eviction racing allocation from several threads", .timeLimit(.minutes(1)))
    func evictionRacingAllocation() throws {
        let tenants = try TenantArenas(maximumTenants: 3)
        let evicted = TestLocked<[WeakArena]>([])
        tenants.onEviction(key: "test") { _, arena in evicted.withLock { $0.append(WeakArena(arena)) } }
        let failures = TestLocked<[String]>([])
        let deadline = DispatchTime.now().uptimeNanoseconds + 800_000_000
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var round = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                round += 1
                let name = "racer-\((worker + round) % 7)"
                if worker == 0 && round % 5 == 0 { tenants.evict(name); continue }
                do {
                    let arena = try tenants.arena(for: name)
                    let pattern = Array(repeating: UInt8(truncatingIfNeeded: round), count: 64 + round % 3000)
                    let bytes = try SharedBytes.from(pattern, using: tenants.source(for: name))
                    if Array(bytes) != pattern { failures.withLock { $0.append("\(name): bytes changed") } }
                    let raw = try arena.allocateUninitialized(byteCount: 128)
                    let lies = JemallocArenaLookup.arenaIndex(of: raw)
                    if let lies, lies != arena.index,
                        tenants.snapshot().contains(where: { $0.arenaIndex == lies && $0.tenant != name })
                    {
                        failures.withLock { $0.append("\(name): block in another live tenant's arena \(lies)") }
                    }
                    arena.deallocate(raw, byteCount: 128)
                } catch {
                    failures.withLock { $0.append("\(name): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(10) })")
        tenants.evictAll()
        #expect(tenants.tenantCount == 0)
        let survivors = evicted.withLock { $0.filter { $0.arena != nil }.count }
        #expect(survivors == 0, "\(survivors) evicted arenas outlived their buffers")
    }
}

/// A weak arena reference that can sit in an array.
private struct WeakArena: @unchecked Sendable {  // only read under the test's Mutex
    weak var arena: JemallocArena?
    init(_ arena: JemallocArena) { self.arena = arena }
}

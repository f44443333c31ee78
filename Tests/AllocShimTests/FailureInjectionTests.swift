import CAllocShims
import Foundation
import Testing

@_spi(Testing) @testable import AllocShim

/// Whether `error` is one of AllocShim's typed errors reporting exhausted memory.
func isTypedOutOfMemory(_ error: any Error) -> Bool {
    let text: String
    switch error {
    case let error as BufferError: text = error.description
    case let error as SecureBytesError: text = error.description
    case let error as AllocationError: text = error.description
    default: return false
    }
    return text.contains("out of memory")
}

/// Fails each allocation `body` makes through AllocShim's C entry points, one at a time, and
/// checks each run: the failure surfaced as a typed out-of-memory error (or was recovered
/// from, when `recovers` allows it), nothing trapped, and `counters` are back where they were.
/// `body` must release everything it allocates before it returns. Returns how many
/// allocations `body` makes, so callers can check the path was really exercised.
@discardableResult
func failEachAllocation(
    _ label: String, counters: @autoclosure () -> AllocationCounters?,
    recovers: Bool = false, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> Int {
    let clean = AllocationFailureInjection.run(.counting, body)
    if case .failure(let error) = clean.result {
        Issue.record("\(label): fails without injection: \(error)", sourceLocation: sourceLocation)
        return 0
    }
    #expect(clean.attempts > 0, "\(label): makes no allocation through AllocShim's C entry points", sourceLocation: sourceLocation)
    for n in 0..<clean.attempts {
        let before = counters()?.snapshot()
        let outcome = AllocationFailureInjection.run(.failing(nth: n), body)
        #expect(outcome.injectedFailures == 1, "\(label): allocation \(n) was not reached", sourceLocation: sourceLocation)
        switch outcome.result {
        case .failure(let error):
            #expect(isTypedOutOfMemory(error), "\(label): allocation \(n) failed with \(error)", sourceLocation: sourceLocation)
        case .success:
            #expect(recovers, "\(label): allocation \(n) failed but the operation reported success", sourceLocation: sourceLocation)
        }
        if let before, let after = counters()?.snapshot() {
            #expect(after.liveBytes == before.liveBytes, "\(label): failing allocation \(n) leaked \(after.liveBytes - before.liveBytes) B", sourceLocation: sourceLocation)
            #expect(
                after.allocations - before.allocations == after.deallocations - before.deallocations,
                "\(label): failing allocation \(n) left blocks live", sourceLocation: sourceLocation)
        }
    }
    return clean.attempts
}

@Suite("failure injection: the hook itself")
struct FailureInjectionHookTests {
    @Test("the nth allocation fails once; counting sees every call; plans nest and restore")
    func plans() throws {
        let system = SystemAllocator.shared
        let outcome = AllocationFailureInjection.run(.failing(nth: 2)) {
            var results: [Bool] = []
            for _ in 0..<5 {
                if let block = try? system.allocateUninitialized(byteCount: 32) {
                    results.append(true)
                    system.deallocate(block, byteCount: 32)
                } else {
                    results.append(false)
                }
            }
            return results
        }
        #expect(try outcome.result.get() == [true, true, false, true, true])
        #expect(outcome.attempts == 5 && outcome.injectedFailures == 1)

        let all = AllocationFailureInjection.run(.failingAll(after: 1)) {
            (0..<4).map { _ in CAllocShims_platform_malloc(8).map { CAllocShims_platform_free($0); return true } ?? false }
        }
        #expect(try all.result.get() == [true, false, false, false])

        let outer = AllocationFailureInjection.run(.counting) {
            let inner = AllocationFailureInjection.run(.failingAll(after: 0)) { CAllocShims_platform_malloc(8) }
            #expect((try? inner.result.get()) == .some(nil))
            let block = CAllocShims_platform_malloc(8)  // the outer plan is back: counting only
            #expect(block != nil)
            CAllocShims_platform_free(block)
        }
        #expect(outer.attempts == 2 && outer.injectedFailures == 1)
        // Disarmed afterwards.
        let block = CAllocShims_platform_malloc(8)
        #expect(block != nil)
        CAllocShims_platform_free(block)
    }

    @Test("a random plan is reproducible for its seed and fails about its share")
    func randomPlan() throws {
        func pattern(seed: UInt64) -> [Bool] {
            let outcome = AllocationFailureInjection.run(.failingRandomly(perMillion: 250_000, seed: seed)) {
                (0..<2000).map { _ in CAllocShims_platform_malloc(8).map { CAllocShims_platform_free($0); return true } ?? false }
            }
            return (try? outcome.result.get()) ?? []
        }
        let first = pattern(seed: 42)
        #expect(first == pattern(seed: 42))
        #expect(first != pattern(seed: 43))
        let failures = first.filter { !$0 }.count
        #expect((300...700).contains(failures), "\(failures) of 2000 failed at 25 %")
    }

    @Test("arming is per thread: another thread's allocations are untouched")
    func perThread() throws {
        let otherThreadFailed = Shared(false)
        let outcome = AllocationFailureInjection.run(.failingAll(after: 0)) {
            onExitingThread {
                for _ in 0..<100 {
                    guard let block = CAllocShims_platform_malloc(64) else { otherThreadFailed.value = true; return }
                    CAllocShims_platform_free(block)
                }
            }
            return CAllocShims_platform_malloc(64)
        }
        #expect(try outcome.result.get() == nil)
        #expect(!otherThreadFailed.value)
    }

    @Test("every covered C entry point fails when armed", arguments: BackendName.allCases)
    func everyEntryPoint(backend name: BackendName) throws {
        guard let allocator = try? BackendRegistry.allocator(name), name != .jemallocArena || JemallocControl.isAvailable else { return }
        let outcome = AllocationFailureInjection.run(.failingAll(after: 0)) {
            var failures = 0
            for alignment in [16, 4096] {
                do { _ = try allocator.allocateUninitialized(byteCount: 100, alignment: alignment) } catch { failures += 1 }
                do { _ = try allocator.allocateZeroed(byteCount: 100, alignment: alignment) } catch { failures += 1 }
            }
            return failures
        }
        #expect(try outcome.result.get() == 4, "\(name): an entry point was not covered")
        // reallocate: a failure leaves the old block intact and owned by the caller.
        let block = try allocator.allocateUninitialized(byteCount: 64)
        block.storeBytes(of: 0xAB, as: UInt8.self)
        let grown = AllocationFailureInjection.run(.failingAll(after: 0)) {
            try allocator.reallocate(block, oldByteCount: 64, newByteCount: 100_000, alignment: 16)
        }
        #expect(throws: AllocationError.self) { try grown.result.get() }
        #expect(block.load(as: UInt8.self) == 0xAB)
        allocator.deallocate(block, byteCount: 64)
        // The C calls themselves, as buffers of built-in backends reach them (plain and aligned).
        if let calls = (allocator as? any ProcessLifetimeBackend)?.calls.c {
            let direct = AllocationFailureInjection.run(.failingAll(after: 0)) {
                [CAllocShims_backend_allocate(calls, 100, 1, 0), CAllocShims_backend_allocate(calls, 100, 1, 1),
                 CAllocShims_backend_allocate(calls, 100, 64, 0), CAllocShims_backend_allocate(calls, 100, 64, 1)]
            }
            #expect(try direct.result.get() == [nil, nil, nil, nil])
        }
    }
}

@Suite("failure injection: every out-of-memory path through the public API")
struct OutOfMemoryPathTests {
    @Test("OwnedBytes: zeroed, uninitialized (pooled) and unpooled")
    func ownedBytes() throws {
        let allocator = PrivatelyCountedAllocator()
        failEachAllocation("OwnedBytes", counters: allocator.counters) {
            let source = try BufferSource(allocator: allocator, slabSize: 8192)
            _ = try OwnedBytes(zeroedCount: 100, using: source)
            _ = try OwnedBytes(uninitializedCount: 100, using: source)
            _ = try OwnedBytes(uninitializedCount: 10_000, using: source)
            _ = try OwnedBytes(uninitializedUnpooledCount: 100, using: source)
        }
        #expect(allocator.counters.liveBytes == 0)
    }

    @Test("SharedBytes: alloc (zeroed, filled), allocUnsafe (pooled, several slabs), allocUnsafeSlow, from, concat")
    func sharedBytes() throws {
        let allocator = PrivatelyCountedAllocator()
        failEachAllocation("SharedBytes", counters: allocator.counters) {
            let source = try BufferSource(allocator: allocator, slabSize: 1024)
            let zeroed = try SharedBytes.alloc(100, using: source)
            let filled = try SharedBytes.alloc(300, fill: .string("ab"), using: source)
            var pooled: [SharedBytes] = []
            for _ in 0..<6 { pooled.append(try SharedBytes.allocUnsafe(200, using: source)) }  // > 1 slab
            let slow = try SharedBytes.allocUnsafeSlow(50, using: source)
            let copied = try SharedBytes.from([1, 2, 3], using: source)
            let joined = try SharedBytes.concat([zeroed, filled, slow, copied] + pooled, using: source)
            #expect(joined.count == 100 + 300 + 50 + 3 + 6 * 200)
        }
        #expect(allocator.counters.liveBytes == 0)
    }

    @Test("pool slabs: a failed slab is a typed error and the pool keeps working")
    func poolSlabs() throws {
        let allocator = PrivatelyCountedAllocator()
        let source = try BufferSource(allocator: allocator, slabSize: 4096)
        let failed = AllocationFailureInjection.run(.failingAll(after: 0)) { try SharedBytes.allocUnsafe(64, using: source) }
        #expect(failed.injectedFailures == 1)
        #expect(throws: BufferError.allocation(.outOfMemory(backend: allocator.name, byteCount: 4096, alignment: 16))) {
            try failed.result.get()
        }
        let after = try SharedBytes.allocUnsafe(64, using: source)
        #expect(after.count == 64)
        #expect(source.pool.accounting.liveSlabs == 1)
    }

    @Test("BytesBuilder: initial block and every growth; a failed trim keeps the larger block")
    func builderGrowth() throws {
        let allocator = PrivatelyCountedAllocator()
        let attempts = failEachAllocation("BytesBuilder", counters: allocator.counters, recovers: true) {
            let source = try BufferSource(allocator: allocator)
            var builder = try BytesBuilder(initialCapacity: 16, using: source)
            for _ in 0..<10 { try builder.append(String(repeating: "x", count: 100)) }
            let bytes = try builder.finish()
            #expect(bytes.count == 1000)
            #expect(try bytes.string() == String(repeating: "x", count: 1000))
        }
        #expect(attempts >= 5, "initial block, growths and the trim")
        // Only the final trim may be recovered from; a failed growth must be an error.
        let growthFailure = AllocationFailureInjection.run(.failing(nth: 1)) {
            var builder = try BytesBuilder(initialCapacity: 16, using: try BufferSource(allocator: allocator))
            try builder.append(String(repeating: "x", count: 100))
        }
        #expect(growthFailure.injectedFailures == 1)
        #expect(throws: BufferError.self) { try growthFailure.result.get() }
        #expect(allocator.counters.liveBytes == 0)
    }

    @Test("SecureBytes: zeroed and copying")
    func secureBytes() throws {
        let allocator = PrivatelyCountedAllocator()
        failEachAllocation("SecureBytes", counters: allocator.counters) {
            let zeroed = try SecureBytes(zeroedCount: 64, allocator: allocator)
            let copied = try SecureBytes(copying: [1, 2, 3, 4], allocator: allocator)
            #expect(zeroed.count == 64 && copied.count == 4)
        }
        #expect(allocator.counters.liveBytes == 0)
    }

    @Test("JemallocArena: raw blocks, reallocate, and buffers on it", .enabled(if: JemallocControl.isAvailable))
    func jemallocArena() throws {
        let arena = try JemallocArena()
        failEachAllocation("JemallocArena", counters: arena.counters) {
            let block = try arena.allocateZeroed(byteCount: 100)
            let grown = try {
                do { return try arena.reallocate(block, oldByteCount: 100, newByteCount: 50_000, alignment: 16) } catch {
                    arena.deallocate(block, byteCount: 100)
                    throw error
                }
            }()
            arena.deallocate(grown, byteCount: 50_000)
            let source = try BufferSource(allocator: arena, slabSize: 4096)
            _ = try SharedBytes.allocUnsafe(100, using: source)
            _ = try OwnedBytes(zeroedCount: 10_000, using: source)
        }
        #expect(arena.counters.liveBytes == 0)
    }

    @Test("TenantArenas: a tenant's buffers fail with typed errors, its arena balanced", .enabled(if: JemallocControl.isAvailable))
    func tenantArenas() throws {
        let tenants = try TenantArenas(maximumTenants: 2)
        let arena = try tenants.arena(for: "tenant-a")
        failEachAllocation("TenantArenas", counters: arena.counters) {
            // The tenant's source outlives each run, so its pool's slab would make the runs
            // differ; pooled buffers on an arena are covered by the JemallocArena test.
            let source = try tenants.source(for: "tenant-a")
            _ = try SharedBytes.allocUnsafeSlow(100, using: source)
            _ = try SharedBytes.alloc(5000, using: source)
            var builder = try BytesBuilder(initialCapacity: 16, using: source)
            try builder.append("tenant data")
        }
        tenants.evictAll()
    }

    @Test("built-in backends' buffers (the C fast path): typed errors, never a trap", arguments: BackendName.allCases)
    func fastPathBuffers(backend name: BackendName) throws {
        guard name != .jemallocArena, let source = try? BufferSource.backend(name) else { return }
        // Counters of built-in backends are shared with tests running in parallel, so only
        // typed errors are checked here; balance is checked by the tests above.
        failEachAllocation("\(name) buffers", counters: nil) {
            _ = try OwnedBytes(zeroedCount: 100, using: source)
            _ = try SharedBytes.alloc(10_000, using: source)
            _ = try SharedBytes.allocUnsafeSlow(100, using: source)
        }
    }

    @Test("random failures over a mixed workload: typed errors only, counters balanced")
    func randomWorkload() throws {
        let allocator = PrivatelyCountedAllocator()
        for seed in UInt64(1)...40 {
            let outcome = AllocationFailureInjection.run(.failingRandomly(perMillion: 150_000, seed: seed)) {
                let source = try BufferSource(allocator: allocator, slabSize: 2048)
                var kept: [SharedBytes] = []
                for size in [10, 300, 5000, 40, 1000, 7] {
                    kept.append(try SharedBytes.allocUnsafe(size, using: source))
                    kept.append(try SharedBytes.alloc(size, using: source))
                }
                var builder = try BytesBuilder(initialCapacity: 8, using: source)
                for piece in kept { try builder.append(piece) }
                _ = try builder.finish()
                _ = try SecureBytes(zeroedCount: 32, allocator: allocator)
            }
            if case .failure(let error) = outcome.result {
                #expect(isTypedOutOfMemory(error), "seed \(seed): \(error)")
            }
            #expect(allocator.counters.liveBytes == 0, "seed \(seed) leaked")
        }
    }
}

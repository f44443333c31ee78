import AllocShim
import CAllocShims
import CAllocShimsBench
import Synchronization
import Testing

@testable import AllocShimMeasure

/// Releases the counting table below saw, by kind.
private let sizedReleases = Atomic<Int>(0)
private let plainReleases = Atomic<Int>(0)

/// Issue 22: the benchmark's C baseline had its own dispatch and freed tcmalloc blocks with
/// plain `free` while the library frees them sized, so "C" did other work than the backend it
/// was the floor of. It now runs the backend's own calls value (CAllocShimsBackendCalls.h).
@Suite("C baseline loop", .serialized)
struct BaselineLoopTests {
    @Test("the baseline releases through the backend's calls: sized where the table has a sized free")
    func releasesSized() throws {
        var table = CAllocShims_DynamicAllocator()
        table.malloc = { CAllocShims_platform_malloc($0) }
        table.calloc = { CAllocShims_platform_calloc($0, $1) }
        table.free = { pointer in
            plainReleases.add(1, ordering: .relaxed)
            CAllocShims_platform_free(pointer)
        }
        table.free_sized = { pointer, _ in
            sizedReleases.add(1, ordering: .relaxed)
            CAllocShims_platform_free(pointer)
        }
        let stored = UnsafeMutablePointer<CAllocShims_DynamicAllocator>.allocate(capacity: 1)
        defer { stored.deallocate() }
        stored.initialize(to: table)
        let calls = CAllocShims_BackendCalls(kind: Int32(CAllocShims_BackendTable.rawValue), flags: 0, table: UnsafeRawPointer(stored))
        sizedReleases.store(0, ordering: .relaxed)
        plainReleases.store(0, ordering: .relaxed)
        var elapsed: UInt64 = 0
        var checksum: UInt64 = 0
        for operation in [CAllocShims_BaselineUninitialized, CAllocShims_BaselineZeroed, CAllocShims_BaselineCopy] {
            #expect(CAllocShims_baseline_run(calls, Int32(operation.rawValue), 100, 1_000, &elapsed, &checksum) == 0)
        }
        #expect(sizedReleases.load(ordering: .relaxed) == 3_000)
        #expect(plainReleases.load(ordering: .relaxed) == 0)
    }

    @Test("the baseline runs the calls the backend's allocator makes; a user allocator has none")
    func callsOfTheBackend() throws {
        let system = try #require(BackendCalls.of(SystemAllocator.shared))
        #expect(system.c.kind == Int32(CAllocShims_BackendPlatform.rawValue))
        if let tcmalloc = try? BackendRegistry.allocator(.tcmalloc) {
            let calls = try #require(BackendCalls.of(tcmalloc))
            #expect(calls.c.table == UnsafeRawPointer(CAllocShims_load_tcmalloc(nil, 0)))
        }
        if let jemalloc = JemallocAllocator.shared {
            let calls = try #require(BackendCalls.of(jemalloc))
            #expect(calls.c.table == UnsafeRawPointer(CAllocShims_jemalloc_table()))
            #expect(calls.c.flags == 0)
        }
        #expect(BackendCalls.of(ThreadWorkloadTests.CountingAllocator()) == nil)
    }
}

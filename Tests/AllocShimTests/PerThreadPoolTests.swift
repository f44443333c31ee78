import AllocShimTestSupport
import Foundation
import Synchronization
import Testing

@testable import AllocShim

/// The per-thread pools of the built-in backends (issue 12): each thread cuts from a slab of
/// its own, and a slab still goes back to its allocator exactly when its last slice is gone,
/// whichever thread releases it, including slabs a thread held when it exited.
@Suite("Per-thread pools")
struct PerThreadPoolTests {
    @Test("threads cut from slabs of their own; all slabs go back once threads and buffers are gone")
    func threadsOwnTheirSlabs() throws {
        let allocator = RecordingAllocator()
        let pool = SlabPool(perThreadFor: allocator, slabSize: 4096)
        #expect(pool.cutsPerThread)
        let parcels = TestLocked<[(thread: Int, parcel: SliceParcel)]>([])
        runThreads(4) { thread in
            for round in 0..<500 {
                guard let slice = try? pool.cut(byteCount: 24 + round % 200) else { continue }
                slice.pointer.initializeMemory(as: UInt8.self, repeating: UInt8(thread), count: 24)
                parcels.withLock {
                    $0.append((thread, SliceParcel(slice: slice, byteCount: 24 + round % 200)))
                }
            }
        }
        do {
            let all = parcels.withLock { $0 }
            #expect(all.count == 2000)
            // No two live slices overlap, and no slab serves two threads.
            let ranges = all.map {
                (
                    $0.parcel.start..<($0.parcel.start + $0.parcel.byteCount), $0.thread,
                    ObjectIdentifier($0.parcel.slab.takeUnretainedValue())
                )
            }
            .sorted { $0.0.lowerBound < $1.0.lowerBound }
            for (left, right) in zip(ranges, ranges.dropFirst()) {
                #expect(left.0.upperBound <= right.0.lowerBound)
            }
            var threadOfSlab: [ObjectIdentifier: Int] = [:]
            for (_, thread, slab) in ranges {
                #expect(threadOfSlab[slab, default: thread] == thread)
                threadOfSlab[slab] = thread
            }
            #expect(
                all.allSatisfy {
                    $0.parcel.start == Int(bitPattern: $0.parcel.pointer)
                        && $0.parcel.pointer.load(as: UInt8.self) == UInt8($0.thread)
                })
        }
        parcels.withLock { $0.removeAll() }  // every slice released here, on another thread
        Thread.sleep(forTimeInterval: 0.05)  // the workers' exit destructors have run by now
        #expect(pool.accounting.referencedBytes == 0)
        #expect(pool.accounting.liveSlabs == 0, "slabs held by exited threads were released")
        #expect(
            allocator.allocations.load(ordering: .relaxed)
                == allocator.deallocations.load(ordering: .relaxed))
    }

    @Test("a dead pool's slot is reused, and the next pool never cuts from the dead pool's slab")
    func slotsAreReusedSafely() throws {
        for round in 0..<40 {  // more pools than slots, one after another
            let allocator = RecordingAllocator()
            let pool = SlabPool(perThreadFor: allocator, slabSize: 1024)
            #expect(pool.cutsPerThread, "round \(round): slots are given back by dead pools")
            let slice = try pool.cut(byteCount: 100)
            #expect(slice.slab.takeUnretainedValue().allocator === allocator, "round \(round): cut from a slab of this pool's allocator")
            #expect(allocator.allocations.load(ordering: .relaxed) == 1)
            Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 100)
        }
    }

    @Test("a slab goes back exactly when its last slice is gone, before or after its cursor lets go", arguments: [true, false])
    func slabCountIsExact(perThread: Bool) throws {
        let allocator = RecordingAllocator()
        let pool = perThread ? SlabPool(perThreadFor: allocator, slabSize: 1024) : SlabPool(allocator: allocator, slabSize: 1024)
        func freed() -> Int { allocator.deallocations.load(ordering: .relaxed) }
        // Slices released before the cursor lets go: the slab stays until it does.
        let first = try (0..<5).map { _ in try pool.cut(byteCount: 16) }
        for slice in first { Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 16) }
        #expect(freed() == 0, "the cursor still owns the slab")
        // Zero-byte slices do not advance the cursor: many of them must not exhaust the count.
        let empty = try (0..<10_000).map { _ in try pool.cut(byteCount: 0) }
        let kept = try pool.cut(byteCount: 16)
        pool.releaseIdleSlab()
        #expect(freed() == 0, "live slices keep the slab after its cursor let go")
        for slice in empty { Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 0) }
        #expect(freed() == 0, "one slice is still live")
        // The last slice, released on another thread, frees it.
        let handOver = TestLocked<SliceParcel?>(SliceParcel(slice: kept, byteCount: 16))
        runThreads(1) { _ in handOver.withLock { $0 = nil } }
        #expect(freed() == 1)
        #expect(allocator.allocations.load(ordering: .relaxed) == 1)
    }

    @Test("a pool with a shared cursor gives its current slab back when it dies")
    func deadSharedPoolReturnsItsSlab() throws {
        let allocator = RecordingAllocator()
        do {
            let pool = SlabPool(allocator: allocator, slabSize: 2048)
            let slice = try pool.cut(byteCount: 100)
            Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 100)
        }
        #expect(allocator.allocations.load(ordering: .relaxed) == 1)
        #expect(allocator.deallocations.load(ordering: .relaxed) == 1)
    }

    @Test("the shared pools of built-in backends cut per thread; arenas and user allocators do not")
    func whichPoolsCutPerThread() throws {
        #expect(try BufferSource.backend(.system).pool.cutsPerThread)
        #expect(try !BufferSource(allocator: SystemAllocator.shared).pool.cutsPerThread)
        #expect(try !BufferSource(allocator: RecordingAllocator()).pool.cutsPerThread)
    }
}

/// A slice in transit, released (into its slab) when the parcel goes.
private final class SliceParcel: @unchecked Sendable {
    // @unchecked: immutable after init; the slice is only read by the test's main thread.
    let pointer: UnsafeMutableRawPointer
    let start: Int
    let byteCount: Int
    let slab: Unmanaged<Slab>
    init(slice: (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>), byteCount: Int) {
        (pointer, slab, self.byteCount) = (slice.pointer, slice.slab, byteCount)
        start = Int(bitPattern: slice.pointer)
    }
    deinit { Slab.releaseSlice(slab, pointer, byteCount: byteCount) }
}

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
                    ObjectIdentifier($0.parcel.slab)
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
            #expect(slice.slab.allocator === allocator, "round \(round): cut from a slab of this pool's allocator")
            #expect(allocator.allocations.load(ordering: .relaxed) == 1)
            slice.slab.releaseSlice(slice.pointer, byteCount: 100)
        }
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
    let slab: Slab
    init(slice: (pointer: UnsafeMutableRawPointer, slab: Slab), byteCount: Int) {
        (pointer, slab, self.byteCount) = (slice.pointer, slice.slab, byteCount)
        start = Int(bitPattern: slice.pointer)
    }
    deinit { slab.releaseSlice(pointer, byteCount: byteCount) }
}

import AllocShimTestSupport
import Foundation
import Synchronization
import Testing

@testable import AllocShim

/// Slab turnover without allocator round trips (issue 23): an empty slab is cut again from its
/// start by the cursor that owns it; a slab pinned by a live buffer never is; slabs of the
/// built-in shared pools do not hold their home with a reference count; pools without a
/// thread-local slot cut from per-thread stripes.
@Suite("Slab reuse")
struct SlabReuseTests {
    /// Both kinds of pool: thread-local cursor, and stripes.
    static let kinds = [true, false]

    static func pool(perThread: Bool, _ allocator: any Allocator, slabSize: Int) -> SlabPool {
        perThread ? SlabPool(perThreadFor: allocator, slabSize: slabSize) : SlabPool(allocator: allocator, slabSize: slabSize)
    }

    @Test("buffers made and dropped on one thread reuse one slab: no slab is freed or allocated again", arguments: kinds)
    func emptySlabIsRewound(perThread: Bool) throws {
        let allocator = RecordingAllocator()
        let pool = Self.pool(perThread: perThread, allocator, slabSize: 1024)
        for round in 0..<10_000 {
            let slice = try pool.cut(byteCount: 100)
            slice.pointer.storeBytes(of: UInt8(truncatingIfNeeded: round), as: UInt8.self)
            Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 100)
        }
        // 10,000 slices of 104 bytes are about 1,000 slabs' worth: all cut from the first one.
        #expect(allocator.allocations.load(ordering: .relaxed) == 1)
        #expect(allocator.deallocations.load(ordering: .relaxed) == 0)
        #expect(pool.accounting.liveSlabs == 1)
        #expect(pool.accounting.pooledAllocations == 10_000)
        pool.releaseIdleSlab()
        #expect(allocator.deallocations.load(ordering: .relaxed) == 1)
    }

    @Test("a slab with a live slice is never cut again: no live buffer is overwritten", arguments: kinds)
    func pinnedSlabIsNotRewound(perThread: Bool) throws {
        let allocator = RecordingAllocator()
        let pool = Self.pool(perThread: perThread, allocator, slabSize: 1024)
        let pinned = try pool.cut(byteCount: 100)
        pinned.pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 100)
        for _ in 0..<100 {  // about ten slabs' worth, each slice dropped at once
            let slice = try pool.cut(byteCount: 100)
            #expect(slice.pointer + 100 <= pinned.pointer || slice.pointer >= pinned.pointer + 100, "never overlaps the live slice")
            slice.pointer.initializeMemory(as: UInt8.self, repeating: 0x11, count: 100)
            Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 100)
        }
        #expect(UnsafeRawBufferPointer(start: pinned.pointer, count: 100).allSatisfy { $0 == 0xA5 })
        // The pinned slab was let go once; the second one is rewound from then on.
        #expect(allocator.allocations.load(ordering: .relaxed) == 2)
        #expect(allocator.deallocations.load(ordering: .relaxed) == 0, "the pinned slab stays until its slice goes")
        Slab.releaseSlice(pinned.slab, pinned.pointer, byteCount: 100)
        #expect(allocator.deallocations.load(ordering: .relaxed) == 1, "the last slice freed the pinned slab")
        pool.releaseIdleSlab()
        #expect(allocator.deallocations.load(ordering: .relaxed) == 2)
    }

    @Test("slices released on another thread count: the slab is rewound only once they all are", arguments: kinds)
    func remoteReleasesAllowRewind(perThread: Bool) throws {
        let allocator = RecordingAllocator()
        let pool = Self.pool(perThread: perThread, allocator, slabSize: 1024)
        let first = try (0..<9).map { _ in try pool.cut(byteCount: 100) }  // 9 × 104 bytes: the next cut needs room
        let parcels = TestLocked<[SliceBox]>(first.map { SliceBox(slice: $0, byteCount: 100) })
        runThreads(1) { _ in parcels.withLock { $0.removeAll() } }  // every slice released on another thread
        let next = try pool.cut(byteCount: 100)
        #expect(allocator.allocations.load(ordering: .relaxed) == 1, "the emptied slab was rewound")
        #expect(allocator.deallocations.load(ordering: .relaxed) == 0)
        Slab.releaseSlice(next.slab, next.pointer, byteCount: 100)
        pool.releaseIdleSlab()
        #expect(allocator.deallocations.load(ordering: .relaxed) == 1)
    }

    @Test("the built-in shared pools hold their home unretained; other pools' slabs keep their allocator alive")
    func slabHomeLifetime() throws {
        #expect(try BufferSource.backend(.system).pool.home.isImmortal)
        #expect(try !BufferSource(allocator: SystemAllocator.shared).pool.home.isImmortal)
        weak var weakAllocator: RecordingAllocator?
        var slice: (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>)?
        do {
            let allocator = RecordingAllocator()
            weakAllocator = allocator
            let pool = SlabPool(allocator: allocator, slabSize: 1024)
            slice = try pool.cut(byteCount: 64)
        }
        #expect(weakAllocator != nil, "a live slice's slab keeps its allocator alive after the pool is gone")
        if let slice { Slab.releaseSlice(slice.slab, slice.pointer, byteCount: 64) }
        #expect(weakAllocator == nil, "the last slice freed the slab, and with it the allocator")
    }

    @Test("pools without a thread-local slot cut from stripes: concurrent threads never overlap and every slab goes back")
    func stripedPoolsUnderContention() throws {
        let allocator = RecordingAllocator()
        let pool = SlabPool(allocator: allocator, slabSize: 2048)
        #expect(!pool.cutsPerThread)
        let live = TestLocked<[(range: Range<Int>, thread: Int, box: SliceBox)]>([])
        runThreads(4) { thread in
            for round in 0..<2_000 {
                guard let slice = try? pool.cut(byteCount: 8 + round % 120) else { continue }
                slice.pointer.initializeMemory(as: UInt8.self, repeating: UInt8(thread), count: 8 + round % 120)
                let start = Int(bitPattern: slice.pointer)
                let box = SliceBox(slice: slice, byteCount: 8 + round % 120)
                if round % 3 == 0 { live.withLock { $0.append((start..<start + box.byteCount, thread, box)) } }
            }
        }
        do {  // scoped: `ranges` holds the boxes, and with them the slices
            let ranges = live.withLock { $0 }.sorted { $0.range.lowerBound < $1.range.lowerBound }
            #expect(ranges.count == 4 * 667)
            for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.range.upperBound <= right.range.lowerBound) }
            #expect(ranges.allSatisfy { $0.box.pointer.load(as: UInt8.self) == UInt8($0.thread) }, "no slice was overwritten")
        }
        live.withLock { $0.removeAll() }
        pool.releaseIdleSlab()
        #expect(pool.accounting.liveSlabs == 0)
        #expect(allocator.allocations.load(ordering: .relaxed) == allocator.deallocations.load(ordering: .relaxed))
    }
}

/// A slice in transit, released (into its slab) when the box goes, on whichever thread.
final class SliceBox: @unchecked Sendable {
    // @unchecked: immutable after init; released exactly once, by deinit.
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    let slab: Unmanaged<Slab>
    init(slice: (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>), byteCount: Int) {
        (pointer, slab, self.byteCount) = (slice.pointer, slice.slab, byteCount)
    }
    deinit { Slab.releaseSlice(slab, pointer, byteCount: byteCount) }
}

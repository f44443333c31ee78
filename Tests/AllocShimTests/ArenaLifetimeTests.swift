import AllocShim
import Foundation
import Synchronization
import Testing

/// Hostile lifetimes for dedicated arenas through the public API only (issue 11, items 2-3):
/// a pool on an arena must never hand out memory of a destroyed arena, and a reset must never
/// leave two live owners of the same bytes. Before the fix, a pooled buffer after `destroy()`
/// succeeded (and writing it crashed), and after `reset()` new blocks overlapped pooled ones.
@Suite("Arena reset and destroy under live buffers", .enabled(if: JemallocControl.isAvailable))
struct ArenaLifetimeTests {
    @Test("a pooled buffer on a destroyed arena is a typed error")
    func pooledAfterDestroy() throws {
        let arena = try JemallocArena()
        let source = try BufferSource(allocator: arena)
        do { _ = try SharedBytes.allocUnsafe(100, using: source) }  // the pool now caches a slab
        try arena.destroy()
        let unusable = BufferError.allocation(.unusable(backend: "jemalloc-arena", reason: "arena \(arena.index) was destroyed"))
        #expect(throws: unusable) { _ = try SharedBytes.allocUnsafe(100, using: source) }
        #expect(throws: unusable) { _ = try OwnedBytes(uninitializedCount: 100, using: source) }
        #expect(throws: unusable) { _ = try SharedBytes.alloc(100, using: source) }
        #expect(throws: JemallocArenaError.destroyed(arena: arena.index)) { try arena.reset() }
    }

    @Test("destroy and reset refuse while any buffer of the arena is live, and the buffer stays intact")
    func refuseWhileLive() throws {
        let arena = try JemallocArena()
        let source = try BufferSource(allocator: arena)
        let pooled = try SharedBytes.allocUnsafe(100, using: source)
        try pooled.fill(.byte(0xA5))
        #expect(throws: JemallocArenaError.inUse(arena: arena.index, liveBlocks: 1)) { try arena.destroy() }
        #expect(throws: JemallocArenaError.inUse(arena: arena.index, liveBlocks: 1)) { try arena.reset() }
        do {
            var owned = try OwnedBytes(uninitializedUnpooledCount: 5000, using: source)
            _ = owned.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) }
            #expect(throws: JemallocArenaError.inUse(arena: arena.index, liveBlocks: 2)) { try arena.destroy() }
            let intact = owned.withUnsafeBytes { $0.allSatisfy { $0 == 0x5A } }
            #expect(intact)
        }
        #expect(pooled.allSatisfy { $0 == 0xA5 })
        #expect(!arena.isDestroyed)
        withExtendedLifetime(pooled) {}
    }

    @Test("after every buffer is gone, reset succeeds and later buffers never overlap each other")
    func resetThenNoOverlap() throws {
        let arena = try JemallocArena()
        let source = try BufferSource(allocator: arena, slabSize: 8192)
        do {
            let before = try (0..<50).map { _ in try SharedBytes.allocUnsafe(100, using: source) }
            withExtendedLifetime(before) {}
        }
        try arena.reset()
        #expect(arena.liveBlocks == 0)
        var live: [SharedBytes] = []
        for round in 0..<400 {
            let size = [24, 100, 1000, 3000, 5000, 20_000][round % 6]
            let buffer = round % 3 == 0 ? try SharedBytes.allocUnsafeSlow(size, using: source) : try SharedBytes.allocUnsafe(size, using: source)
            try buffer.fill(.byte(UInt8(truncatingIfNeeded: round)))
            live.append(buffer)
        }
        try expectDisjoint(live)
        for (round, buffer) in live.enumerated() { #expect(buffer.allSatisfy { $0 == UInt8(truncatingIfNeeded: round) }) }
    }

    @Test("reset racing allocation on other threads: each either refuses or finds nothing live")
    func resetRacingAllocation() throws {
        let arena = try JemallocArena()
        let source = try BufferSource(allocator: arena, slabSize: 4096)
        let stop = Atomic<Bool>(false)
        let resets = Atomic<Int>(0)
        let refusals = Atomic<Int>(0)
        let corrupted = Atomic<Int>(0)
        let workers = (0..<3).map { worker in
            Thread {
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    round += 1
                    let tag = UInt8(truncatingIfNeeded: worker * 50 + round)
                    guard let buffer = try? SharedBytes.allocUnsafe(64 + round % 900, using: source) else { continue }
                    try? buffer.fill(.byte(tag))
                    // While this buffer lives, no reset can take its memory.
                    for _ in 0..<3 where !buffer.allSatisfy({ $0 == tag }) { corrupted.wrappingAdd(1, ordering: .relaxed) }
                }
            }
        }
        for worker in workers { worker.start() }
        let deadline = Date().addingTimeInterval(1)
        while Date() < deadline {
            do {
                try arena.reset()
                resets.wrappingAdd(1, ordering: .relaxed)
            } catch {
                // Only a refusal is acceptable; anything else fails the test below.
                if case .inUse = error { refusals.wrappingAdd(1, ordering: .relaxed) } else { Issue.record("reset failed: \(error)") }
            }
        }
        stop.store(true, ordering: .relaxed)
        while workers.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.01) }
        #expect(corrupted.load(ordering: .relaxed) == 0)
        #expect(refusals.load(ordering: .relaxed) > 0, "the race was never exercised")
        source.pool.releaseIdleSlab()
        #expect(arena.liveBlocks == 0)
        try arena.destroy()
    }
}

/// Fails when any two buffers share a byte of memory.
func expectDisjoint(_ buffers: [SharedBytes], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let ranges = buffers.map { buffer in
        buffer.withUnsafeBytes { bytes in
            let start = Int(bitPattern: bytes.baseAddress)
            return start..<(start + bytes.count)
        }
    }.sorted { $0.lowerBound < $1.lowerBound }
    for (left, right) in zip(ranges, ranges.dropFirst()) {
        #expect(left.upperBound <= right.lowerBound, "live buffers overlap: \(left) and \(right)", sourceLocation: sourceLocation)
    }
}

@testable import AllocShim
import AllocShimTestSupport
import Dispatch
import Glibc
import Testing

/// Issue 23 item 4: a tenant arena's unpooled buffers neither retain the arena object nor write
/// a shared live-block count. Their arena's memory (its core) must still outlive the object
/// while any of them lives, the last release — on whatever thread — must destroy it exactly
/// once, and a thread's exit must not lose the blocks it counted.
@Suite("Arena cores: lifetime by live blocks", .enabled(if: JemallocControl.isAvailable))
struct ArenaCoreLifetimeTests {
    @Test("an unpooled buffer outlives its arena object and source; its release destroys the arena")
    func bufferOutlivesArenaObject() throws {
        weak var weakArena: JemallocArena?
        weak var weakCore: ArenaCore?
        var survivor: SharedBytes
        var owned: OwnedBytes
        do {
            let arena = try JemallocArena()
            weakArena = arena
            weakCore = arena.core
            let source = try BufferSource(allocator: arena)
            survivor = try SharedBytes.allocUnsafeSlow(5000, using: source)
            try survivor.fill(.byte(0x3C))
            owned = try OwnedBytes(uninitializedUnpooledCount: 3000, using: source)
            try owned.fill(.byte(0x7E))
            #expect(arena.liveBlocks == 2)
        }
        #expect(weakArena == nil, "a buffer retained its arena object (a shared write per buffer)")
        #expect(weakCore != nil, "the arena's memory went while buffers of it live")
        #expect(survivor.allSatisfy { $0 == 0x3C })
        #expect(owned.withUnsafeBytes { $0.allSatisfy { $0 == 0x7E } })
        #expect(survivor.allocatorName == "jemalloc-arena" && owned.allocatorName == "jemalloc-arena")
        survivor = try SharedBytes.from([1])
        #expect(weakCore != nil, "one buffer is still live")
        owned = try OwnedBytes(zeroedCount: 1)
        #expect(weakCore == nil, "the last buffer's release did not destroy the orphaned arena")
    }

    @Test("a builder's block keeps the arena's memory too, and grows in it after the object is gone")
    func builderOutlivesArenaObject() throws {
        weak var weakCore: ArenaCore?
        var builder: BytesBuilder
        do {
            let arena = try JemallocArena()
            weakCore = arena.core
            builder = try BytesBuilder(initialCapacity: 16, using: try BufferSource(allocator: arena))
        }
        for round in 0..<200 {
            let letter = Character(Unicode.Scalar(UInt8(65 + round % 26)))
            try builder.append(String(repeating: letter, count: 100))
        }
        let built = try builder.finish()
        #expect(built.count == 20_000 && built[0] == 65 && built[19_999] == UInt8(65 + 199 % 26))
        #expect(weakCore != nil)
        _ = consume built
        #expect(weakCore == nil)
    }

    @Test("blocks counted by a thread that exited still count: reset refuses until they are released")
    func exitedThreadsShareIsKept() throws {
        let arena = try JemallocArena()
        let source = try BufferSource(allocator: arena)
        let made = TestLocked<[SharedBytes]>([])
        let thread = Thread {
            let buffers = (0..<5).map { _ in try! SharedBytes.allocUnsafeSlow(4000, using: source) }
            made.withLock { $0 = buffers }
        }
        thread.run()
        #expect(arena.liveBlocks == 5)
        #expect(throws: JemallocArenaError.inUse(arena: arena.index, liveBlocks: 5)) { try arena.reset() }
        // Released here, not on the thread that counted them: this thread's share goes to -5.
        made.withLock { $0.removeAll() }
        #expect(arena.liveBlocks == 0)
        try arena.reset()
    }

    /// The arena object goes while other threads release its last buffers: whichever side sees
    /// the count reach zero with the arena orphaned destroys it, exactly once (a second destroy
    /// would over-release the core; none would leave it alive).
    @Test("orphaning races the last releases on other threads", .timeLimit(.minutes(1)))
    func orphanRacesReleases() throws {
        for round in 0..<200 {
            let arena = try JemallocArena()
            weak let weakCore = arena.core
            let source = try BufferSource(allocator: arena)
            let parts = try (0..<3).map { _ in try (0..<4).map { _ in try SharedBytes.allocUnsafeSlow(600 + round, using: source) } }
            let owners = TestLocked<(JemallocArena, BufferSource)?>((arena, source))
            let handed = TestLocked(parts)
            // Only the box and `handed` hold the arena and its buffers from here on.
            _ = consume arena
            _ = consume source
            _ = consume parts
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                if worker == 3 {
                    let taken = owners.withLock { $0.take() }
                    withExtendedLifetime(taken) {}  // the arena object goes here, outside the lock
                } else {
                    let mine = handed.withLock { all in
                        defer { all[worker] = [] }
                        return all[worker]
                    }
                    withExtendedLifetime(mine) {}  // its buffers go here, outside the lock
                }
            }
            #expect(weakCore == nil, "round \(round): the arena outlived its last buffer")
        }
    }
}

/// One POSIX thread that runs `body` once and is joined (its exit runs thread destructors).
private struct Thread {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func run() {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, box)
        precondition(status == 0)
        pthread_join(thread, nil)
    }

    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

import CAllocShims
import Synchronization

/// What a jemalloc arena's blocks need once they are made — its index, flags, counters and
/// state — apart from the public ``JemallocArena``, which owns one.
///
/// **Lifetime without a reference per block.** Whole blocks (unpooled buffers, builders) hold
/// the core unretained (`RegionOwner.arena`): a retain and release of the arena per buffer was a
/// write to one line that every thread of a tenant shares. The core lives while its
/// `JemallocArena` does, or while any block of it is live: when the public object goes with
/// blocks still live, the core is *orphaned* — retained once, the retain parked in C's token
/// for the arena's index — and the release that finds the count at zero *reaps* it (takes the
/// token, drops the retain; `deinit` destroys the arena). See `CAllocShims_arena_reap`.
///
/// **Live-block count without a shared word.** The count is the sum of per-thread shares kept
/// in C (arena_thread_caches.c); this object's `state` holds only the exclusive and destroyed
/// flags, which change on reset and destroy, never per block — every thread reads its line and
/// none writes it on the hot path. A block is acquired by incrementing the thread's share and
/// then reading the state (both sequentially consistent); a reset or destroy sets the state and
/// then sums the shares: whichever comes first in the total order is seen by the other, so no
/// block is made during a reset and no reset runs while a block is live.
@usableFromInline
package final class ArenaCore: Sendable {
    /// jemalloc's index of the arena.
    let index: UInt32
    /// `MALLOCX_ARENA(index)` alone; each call adds the calling thread's cache (``cachedCalls()``).
    let arenaFlags: Int32
    /// The shim's own counts of blocks and bytes requested from this arena.
    let counters = AllocationCounters()
    /// The calls without a thread cache (`MALLOCX_TCACHE_NONE`): usable sizes.
    let calls: BackendCalls
    /// `exclusiveFlag` while a reset or destroy runs; `destroyedFlag` once destroyed.
    private let state = Atomic<Int>(0)
    private static let exclusiveFlag = 1
    private static let destroyedFlag = 2

    enum Refusal { case destroyed, busy }
    enum ExclusiveOutcome: Equatable { case acquired, destroyed, busy, inUse(Int) }

    init(index: UInt32, arenaFlags: Int32, jemalloc: UnsafePointer<CAllocShims_Jemalloc>) {
        self.index = index
        self.arenaFlags = arenaFlags
        calls = .jemalloc(jemalloc, flags: arenaFlags | CAllocShims_MALLOCX_TCACHE_NONE(), backend: .jemallocArena)
    }

    deinit {
        // Reached only when no block of the arena is live (its owner went with none live, or the
        // last block's release reaped it), so no thread is using a cache of it: they can be
        // destroyed, then the arena. A destroyed arena's index may belong to another arena now.
        if !isDestroyed {
            CAllocShims_arena_caches_release(index)
            try? JemallocControl.command("arena.\(index).destroy")
        }
    }

    var isDestroyed: Bool { state.load(ordering: .acquiring) & Self.destroyedFlag != 0 }

    /// Live blocks now (0 once destroyed: the index may count another arena's blocks then).
    var liveBlocks: Int { isDestroyed ? 0 : Swift.max(0, Int(CAllocShims_arena_count_sum(index))) }

    /// This arena's calls through the calling thread's cache of it. Only while the caller holds
    /// a counted block of the arena: that is what keeps a reset or destroy from destroying the
    /// cache under the call.
    @inline(__always)
    private func cachedCalls() -> BackendCalls {
        calls.with(flags: arenaFlags | CAllocShims_arena_cache_flags(index))
    }

    /// Counts one more live block, unless a reset/destroy runs or ran. nil when counted.
    @inline(__always)
    func acquireBlock() -> Refusal? {
        CAllocShims_arena_count_acquire(index)
        let current = state.load(ordering: .sequentiallyConsistent)
        if current == 0 { return nil }
        Self.releaseBlock(index)
        return current & Self.destroyedFlag != 0 ? .destroyed : .busy
    }

    /// A block of the arena at `index` is gone (its memory went back first). The core may be
    /// freed by then on another thread, which is why this takes the index, not the core.
    @inline(__always)
    static func releaseBlock(_ index: UInt32) {
        if CAllocShims_arena_count_release(index) != 0 { reap(index) }
    }

    /// Drops an orphaned core whose arena has no live block, if this caller gets its token.
    private static func reap(_ index: UInt32) {
        guard let token = CAllocShims_arena_reap(index) else { return }
        Unmanaged<ArenaCore>.fromOpaque(token).release()
    }

    /// The owner is gone: park a retain in C's token and reap at once if nothing is live.
    func orphan() {
        CAllocShims_arena_orphan(index, Unmanaged.passRetained(self).toOpaque())
        Self.reap(index)
    }

    /// A block of `byteCount` bytes, counted. A bad request is reported as such whatever the
    /// arena's state, so it is checked first (the fuzzer holds the library to that order).
    @inline(__always)
    package func allocate(byteCount: Int, alignment: Int, zeroed: Bool) throws(AllocationError) -> UnsafeMutableRawPointer {
        _ = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        if let refusal = acquireBlock() { throw unusable(refusal) }
        do {
            return try cachedCalls().allocate(byteCount: byteCount, alignment: alignment, zeroed: zeroed, counters: counters)
        } catch {
            Self.releaseBlock(index)
            throw error
        }
    }

    /// Resizes a live block in place or by moving it within the arena.
    @inline(__always)
    package func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        // The caller holds a live block, so the arena can be neither reset nor destroyed now.
        try cachedCalls().reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment, counters: counters)
    }

    /// Frees a block, then releases its count: after that the core must not be touched.
    @inline(__always)
    package func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        // The block is still counted, so the thread's cache of this arena cannot be destroyed now.
        cachedCalls().deallocate(pointer, byteCount: byteCount, alignment: alignment, counters: counters)
        let index = self.index
        Self.releaseBlock(index)  // after the free: a reset waiting for zero finds the memory returned
    }

    private func unusable(_ refusal: Refusal) -> AllocationError {
        let name = BackendName.jemallocArena.rawValue
        switch refusal {
        case .destroyed: return .unusable(backend: name, reason: "arena \(index) was destroyed")
        case .busy: return .unusable(backend: name, reason: "arena \(index) is being reset or destroyed")
        }
    }

    /// Takes the arena exclusively when no block is live.
    func beginExclusive() -> ExclusiveOutcome {
        let (exchanged, original) = state.compareExchange(expected: 0, desired: Self.exclusiveFlag, ordering: .sequentiallyConsistent)
        guard exchanged else { return original & Self.destroyedFlag != 0 ? .destroyed : .busy }
        let live = CAllocShims_arena_count_sum(index)
        if live != 0 {
            state.store(0, ordering: .sequentiallyConsistent)
            return .inUse(Swift.max(1, Int(live)))
        }
        return .acquired
    }

    /// Ends a reset (usable again) or a destroy (unusable forever).
    func endExclusive(destroyed: Bool) {
        state.store(destroyed ? Self.destroyedFlag : 0, ordering: .releasing)
    }
}

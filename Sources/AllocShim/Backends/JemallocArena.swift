import CAllocShims
import Synchronization

/// `jemalloc-arena`: a dedicated jemalloc arena, created for this object and destroyed with it.
///
/// Every call passes `MALLOCX_ARENA(index)` and a thread cache **dedicated to this arena**:
/// `MALLOCX_TCACHE(tc)` of the calling thread's own explicit jemalloc cache for this arena
/// (`tcache.create` on the thread's first use of the arena; arena_thread_caches.c). jemalloc's
/// automatic thread cache is never used: it is per thread, not per arena, so a block freed into
/// it could be handed to the next caller on that thread whatever arena they asked for. A
/// dedicated cache only ever holds this arena's blocks and refills from this arena, so memory
/// freed here is still never handed to another arena's user — and the common call no longer
/// takes the arena's bin lock. When no cache can be had (jemalloc's limit of about 4093
/// explicit caches in the process), calls fall back to `MALLOCX_TCACHE_NONE`.
///
/// Caches end with the arena's memory: ``reset()``, ``destroy()`` and the arena's end flush and
/// destroy every thread's cache of the arena first (jemalloc requires it), and a thread's exit
/// destroys its caches. The live-block count makes that race-free: a thread uses its cache only
/// while it holds a counted block (from acquiring the count to the allocation; from the release
/// to giving the count back), and caches are destroyed only while the count is held at zero by
/// the exclusive state (or once nothing can reach the arena), so no call can meet a destroyed
/// cache. The count is kept per thread (ArenaCore), so a tenant's threads share no written line.
///
/// Lifecycle: ``purge()`` returns unused dirty pages to the OS; ``reset()`` and ``destroy()``
/// discard the arena's memory and therefore **refuse** with ``JemallocArenaError/inUse(arena:liveBlocks:)``
/// while any block of the arena is live — a raw block, a buffer, a `BytesBuilder`, a pool slab
/// with a live slice. Slabs that pools keep only for future requests are let go first, so a
/// caller who has released every buffer can reset. While a reset or destroy runs, allocation
/// fails with ``AllocationError/unusable(backend:reason:)``; after `destroy`, it always does.
/// When this object goes, the arena is destroyed as soon as no block of it is live: unpooled
/// buffers and builders keep the arena's memory (not this object) alive — they hold its core
/// unretained and the last one released destroys it (ArenaCore) — while slabs and NIO routes
/// keep this object alive.
public final class JemallocArena: Allocator {
    /// `"jemalloc-arena"`, whichever arena this is; `index` tells arenas apart.
    public let name = BackendName.jemallocArena.rawValue
    /// The platform malloc's alignment (`alignof(max_align_t)`); a request that needs more, or a
    /// block smaller than its alignment, takes the aligned path.
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    /// The shim's own counts of blocks and bytes requested from this arena.
    public var counters: AllocationCounters { core.counters }
    /// jemalloc's index of this arena (the `<i>` in `arena.<i>.*` and `stats.arenas.<i>.*`).
    public var index: UInt32 { core.index }
    /// What the arena's blocks need after they are made; outlives this object while any is live.
    package let core: ArenaCore
    /// Pools that cache this arena's slabs while idle; told to let go before reset/destroy.
    private let idleHolders = LockedValue<[WeakIdleHolder]>([])

    /// Creates a new arena (`arenas.create`).
    public init() throws(BackendSelectionError) {
        guard let jemalloc = CAllocShims_jemalloc_table() else {
            throw .unavailable(.jemallocArena, reason: BackendName.jemallocArena.absenceReason, remedy: BackendName.jemallocArena.remedy)
        }
        let created: UInt32
        do {
            created = try JemallocControl.read("arenas.create", as: UInt32.self)
        } catch {
            throw .arenaCreationFailed(error.description)
        }
        let arenaFlags: Int32
        do {
            arenaFlags = try JemallocArenaFlags.arenaFlags(created)
        } catch {
            // jemalloc never creates an index the flags cannot carry; if it did, the arena
            // could not be addressed, so it is given back unused.
            try? JemallocControl.command("arena.\(created).destroy")
            throw .arenaCreationFailed(error.description)
        }
        core = ArenaCore(index: created, arenaFlags: arenaFlags, jemalloc: jemalloc)
    }

    deinit {
        // Slabs and routes keep this object alive, but unpooled buffers and builders keep only
        // the core: it destroys the arena when the last of them is released (or now, if none is).
        if !core.isDestroyed { core.orphan() }
    }

    /// The backend's calls without a thread cache (usable sizes).
    var calls: BackendCalls { core.calls }

    /// Whether ``destroy()`` has run.
    public var isDestroyed: Bool { core.isDestroyed }

    /// Blocks of this arena that are allocated and not yet released (slabs count as one each).
    public var liveBlocks: Int { core.liveBlocks }

    /// The corresponding C function is `mallocx` with this arena's flags. Throws
    /// `AllocationError.unusable` while the arena is being reset or destroyed, or once destroyed.
    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: byteCount, alignment: alignment, zeroed: false)
    }

    /// The corresponding C function is `mallocx` with this arena's flags and `MALLOCX_ZERO`.
    /// Throws `AllocationError.unusable` while the arena is being reset or destroyed, or once destroyed.
    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: byteCount, alignment: alignment, zeroed: true)
    }

    /// The generic path, inside a block of the arena's lifecycle count. A bad request is
    /// reported as such whatever the arena's state, so it is checked first (the fuzzer holds
    /// the library to that order).
    private func allocate(byteCount: Int, alignment: Int, zeroed: Bool) throws(AllocationError) -> UnsafeMutableRawPointer {
        try core.allocate(byteCount: byteCount, alignment: alignment, zeroed: zeroed)
    }

    /// The corresponding C function is `rallocx` with this arena's flags: the block stays in this arena.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        try core.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
    }

    /// The corresponding C function is `sdallocx` with this arena's flags. Releasing the last live
    /// block lets a waiting `reset()` or `destroy()` proceed.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        core.deallocate(pointer, byteCount: byteCount, alignment: alignment)
    }

    /// The block's size class. The corresponding C function is `sallocx`.
    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        calls.usableSize(of: pointer)
    }

    /// This arena's own figures (`stats.arenas.<i>.*`, after an epoch advance).
    public func statistics() -> AllocatorStatistics {
        let stats = isDestroyed ? nil : try? JemallocControl.arenaStatistics(index)
        return AllocatorStatistics(
            backend: name, counters: counters, source: "jemalloc stats.arenas.\(index).*",
            allocatedBytes: stats?.allocated, activeBytes: stats?.active, residentBytes: stats?.resident,
            mappedBytes: stats?.mapped, retainedBytes: stats?.retained)
    }

    /// Calls `purge()`, ignoring its error.
    public func releaseFreeMemory() { try? purge() }

    /// Returns this arena's unused dirty pages to the OS (`arena.<i>.purge`), after flushing the
    /// calling thread's cache of the arena into it (other threads' caches keep their blocks until
    /// the arena is reset or destroyed, or the thread exits). Live blocks are untouched, so this
    /// is allowed at any time; it does nothing once destroyed.
    public func purge() throws(JemallocControlError) {
        guard !isDestroyed else { return }
        CAllocShims_arena_cache_flush_own(index)
        try JemallocControl.command("arena.\(index).purge")
    }

    /// Discards all of this arena's memory at once (`arena.<i>.reset`); the arena stays usable.
    /// Throws ``JemallocArenaError/inUse(arena:liveBlocks:)`` while any block is live.
    public func reset() throws(JemallocArenaError) {
        try beginExclusive()
        defer { core.endExclusive(destroyed: false) }
        // Nobody holds a block now, so nobody is using a cache of the arena: jemalloc requires
        // them all flushed before a reset, and a cached block must not outlive the memory under it.
        CAllocShims_arena_caches_release(index)
        do { try JemallocControl.command("arena.\(index).reset") } catch { throw .control(error) }
    }

    /// Discards the arena and all its memory (`arena.<i>.destroy`). Idempotent.
    /// Throws ``JemallocArenaError/inUse(arena:liveBlocks:)`` while any block is live.
    public func destroy() throws(JemallocArenaError) {
        if isDestroyed { return }
        try beginExclusive()
        CAllocShims_arena_caches_release(index)  // as for reset; the exclusive state keeps new ones from being made
        do {
            try JemallocControl.command("arena.\(index).destroy")
        } catch {
            core.endExclusive(destroyed: false)
            throw .control(error)
        }
        core.endExclusive(destroyed: true)
    }

    /// Lets idle pools drop their cached slabs, then takes the arena exclusively if nothing is
    /// live. Between the two another thread may allocate: then this refuses, as it should.
    private func beginExclusive() throws(JemallocArenaError) {
        let holders = idleHolders.withLock { holders in holders.compactMap(\.holder) }
        for holder in holders { holder.releaseIdleBlocks() }
        switch core.beginExclusive() {
        case .acquired: return
        case .destroyed: throw .destroyed(arena: index)
        case .busy: throw .busy(arena: index)
        case .inUse(let live): throw .inUse(arena: index, liveBlocks: live)
        }
    }
}

extension JemallocArena: IdleBlockHolderRegistry {
    func register(_ holder: any IdleBlockHolder) {
        idleHolders.withLock { holders in
            holders.removeAll { $0.holder == nil }
            holders.append(WeakIdleHolder(holder: holder))
        }
    }
}

/// Why a ``JemallocArena`` refused to reset or destroy.
public enum JemallocArenaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Blocks of the arena are still live: buffers, builders, raw blocks or slabs with live slices.
    case inUse(arena: UInt32, liveBlocks: Int)
    /// Another thread is resetting or destroying the arena right now.
    case busy(arena: UInt32)
    /// The arena was destroyed; it cannot be reset.
    case destroyed(arena: UInt32)
    /// jemalloc refused the control call.
    case control(JemallocControlError)

    /// A sentence naming the arena and, for `inUse`, how many blocks are still live.
    public var description: String {
        switch self {
        case .inUse(let arena, let live):
            return "arena \(arena) still has \(live) live block(s); release every buffer and block of it before reset or destroy"
        case .busy(let arena): return "arena \(arena) is being reset or destroyed by another thread"
        case .destroyed(let arena): return "arena \(arena) was destroyed"
        case .control(let error): return error.description
        }
    }
}

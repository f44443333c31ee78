import CAllocShims
import Synchronization

/// `jemalloc-arena`: a dedicated jemalloc arena, created for this object and destroyed with it.
///
/// Every call passes `MALLOCX_ARENA(index) | MALLOCX_TCACHE_NONE`. Bypassing the thread cache
/// is what keeps arenas apart: a thread cache is per thread, not per arena, so a block freed
/// into it could be handed to the next caller on that thread whatever arena they asked for.
/// Without it, a freed block returns straight to its own arena's bins and extents, which only
/// this arena's users draw from — so memory freed here is never handed to another arena's user.
///
/// Lifecycle: ``purge()`` returns unused dirty pages to the OS; ``reset()`` and ``destroy()``
/// discard the arena's memory and therefore **refuse** with ``JemallocArenaError/inUse(arena:liveBlocks:)``
/// while any block of the arena is live — a raw block, a buffer, a `BytesBuilder`, a pool slab
/// with a live slice. Slabs that pools keep only for future requests are let go first, so a
/// caller who has released every buffer can reset. While a reset or destroy runs, allocation
/// fails with ``AllocationError/unusable(backend:reason:)``; after `destroy`, it always does.
/// `deinit` destroys the arena: by then no buffer can refer to it, since buffers keep their
/// allocator alive.
public final class JemallocArena: Allocator {
    /// `"jemalloc-arena"`, whichever arena this is; `index` tells arenas apart.
    public let name = BackendName.jemallocArena.rawValue
    /// The platform malloc's alignment (`alignof(max_align_t)`); a request that needs more, or a
    /// block smaller than its alignment, takes the aligned path.
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    /// The shim's own counts of blocks and bytes requested from this arena.
    public let counters = AllocationCounters()
    /// jemalloc's index of this arena (the `<i>` in `arena.<i>.*` and `stats.arenas.<i>.*`).
    public let index: UInt32
    /// The backend's calls: the mallocx family with `MALLOCX_ARENA(index) | MALLOCX_TCACHE_NONE`.
    let calls: BackendCalls
    private let lifecycle = ArenaLifecycle()
    /// Pools that cache this arena's slabs while idle; told to let go before reset/destroy.
    private let idleHolders = LockedValue<[WeakIdleHolder]>([])

    /// Creates a new arena (`arenas.create`).
    public init() throws(BackendSelectionError) {
        guard CAllocShims_jemalloc_is_linked() != 0 else {
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
        index = created
        calls = .jemalloc(flags: arenaFlags | CAllocShims_MALLOCX_TCACHE_NONE(), backend: .jemallocArena)
    }

    deinit {
        // No buffer, slab or builder can still refer to this arena (each keeps it alive).
        if !lifecycle.isDestroyed {
            try? JemallocControl.command("arena.\(index).destroy")
        }
    }

    /// Whether ``destroy()`` has run.
    public var isDestroyed: Bool { lifecycle.isDestroyed }

    /// Blocks of this arena that are allocated and not yet released (slabs count as one each).
    public var liveBlocks: Int { lifecycle.liveBlocks }

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
        _ = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        if let refusal = lifecycle.acquireBlock() { throw unusable(refusal) }
        do {
            return try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: zeroed, counters: counters)
        } catch {
            lifecycle.releaseBlock()
            throw error
        }
    }

    /// The corresponding C function is `rallocx` with this arena's flags: the block stays in this arena.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        // The caller holds a live block, so the arena can be neither reset nor destroyed now.
        try calls.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment, counters: counters)
    }

    /// The corresponding C function is `sdallocx` with this arena's flags. Releasing the last live
    /// block lets a waiting `reset()` or `destroy()` proceed.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        calls.deallocate(pointer, byteCount: byteCount, alignment: alignment, counters: counters)
        lifecycle.releaseBlock()  // after the free: a reset waiting for zero finds the memory returned
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

    /// Returns this arena's unused dirty pages to the OS (`arena.<i>.purge`). Live blocks are
    /// untouched, so this is allowed at any time; it does nothing once destroyed.
    public func purge() throws(JemallocControlError) {
        guard !isDestroyed else { return }
        try JemallocControl.command("arena.\(index).purge")
    }

    /// Discards all of this arena's memory at once (`arena.<i>.reset`); the arena stays usable.
    /// Throws ``JemallocArenaError/inUse(arena:liveBlocks:)`` while any block is live.
    public func reset() throws(JemallocArenaError) {
        try beginExclusive()
        defer { lifecycle.endExclusive(destroyed: false) }
        do { try JemallocControl.command("arena.\(index).reset") } catch { throw .control(error) }
    }

    /// Discards the arena and all its memory (`arena.<i>.destroy`). Idempotent.
    /// Throws ``JemallocArenaError/inUse(arena:liveBlocks:)`` while any block is live.
    public func destroy() throws(JemallocArenaError) {
        if isDestroyed { return }
        try beginExclusive()
        do {
            try JemallocControl.command("arena.\(index).destroy")
        } catch {
            lifecycle.endExclusive(destroyed: false)
            throw .control(error)
        }
        lifecycle.endExclusive(destroyed: true)
    }

    /// Lets idle pools drop their cached slabs, then takes the arena exclusively if nothing is
    /// live. Between the two another thread may allocate: then this refuses, as it should.
    private func beginExclusive() throws(JemallocArenaError) {
        let holders = idleHolders.withLock { holders in holders.compactMap(\.holder) }
        for holder in holders { holder.releaseIdleBlocks() }
        switch lifecycle.beginExclusive() {
        case .acquired: return
        case .destroyed: throw .destroyed(arena: index)
        case .busy: throw .busy(arena: index)
        case .inUse(let live): throw .inUse(arena: index, liveBlocks: live)
        }
    }

    private func unusable(_ refusal: ArenaLifecycle.Refusal) -> AllocationError {
        switch refusal {
        case .destroyed: return .unusable(backend: name, reason: "arena \(index) was destroyed")
        case .busy: return .unusable(backend: name, reason: "arena \(index) is being reset or destroyed")
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

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
/// Lifecycle: ``purge()`` returns unused dirty pages to the OS, ``reset()`` discards every
/// block at once, ``destroy()`` (also run by `deinit`) discards the arena and its memory.
/// After `destroy`, releasing an old block is ignored (its memory is already gone) and new
/// requests fail with ``AllocationError/unusable(backend:reason:)``. After `reset`, blocks from
/// before must not be released or used: the arena cannot tell them from new ones.
/// Do not call `reset` or `destroy` while another thread uses the arena.
public final class JemallocArena: Allocator {
    public let name = BackendName.jemallocArena.rawValue
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    public let counters = AllocationCounters()
    /// jemalloc's index of this arena (the `<i>` in `arena.<i>.*` and `stats.arenas.<i>.*`).
    public let index: UInt32
    private let calls: JemallocCalls
    /// Set once by destroy(); checked before every call that would touch the arena.
    private let destroyed = Atomic<Bool>(false)

    /// Creates a new arena (`arenas.create`).
    public init() throws(BackendSelectionError) {
        guard CAllocShims_jemalloc_is_linked() != 0 else {
            throw .unavailable(.jemallocArena, reason: BackendName.jemallocArena.absenceReason, remedy: BackendName.jemallocArena.remedy)
        }
        do {
            index = try JemallocControl.read("arenas.create", as: UInt32.self)
        } catch {
            throw .arenaCreationFailed(error.description)
        }
        calls = JemallocCalls(
            baseFlags: CAllocShims_MALLOCX_ARENA(index) | CAllocShims_MALLOCX_TCACHE_NONE(),
            naturalAlignment: naturalAlignment)
    }

    deinit {
        if !destroyed.load(ordering: .acquiring) {
            try? JemallocControl.command("arena.\(index).destroy")
        }
    }

    public var isDestroyed: Bool { destroyed.load(ordering: .acquiring) }

    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: byteCount, alignment: alignment, zeroed: false)
    }

    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: byteCount, alignment: alignment, zeroed: true)
    }

    private func allocate(byteCount: Int, alignment: Int, zeroed: Bool) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        guard !isDestroyed else { throw .unusable(backend: name, reason: "arena \(index) was destroyed") }
        guard let block = calls.allocate(size: size, alignment: alignment, zeroed: zeroed) else {
            throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment)
        }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }

    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: newByteCount, alignment: alignment)
        guard !isDestroyed else { throw .unusable(backend: name, reason: "arena \(index) was destroyed") }
        guard let block = calls.reallocate(pointer, size: size, alignment: alignment) else {
            throw .outOfMemory(backend: name, byteCount: newByteCount, alignment: alignment)
        }
        counters.recordResize(from: oldByteCount, to: newByteCount)
        return block
    }

    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        // A destroyed arena's memory is already gone (and its index may belong to a new arena).
        guard !isDestroyed else { return }
        calls.deallocate(pointer, size: AllocationRequest.cSize(byteCount), alignment: alignment)
        counters.recordDeallocation(byteCount: byteCount)
    }

    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        calls.usableSize(pointer)
    }

    /// This arena's own figures (`stats.arenas.<i>.*`, after an epoch advance).
    public func statistics() -> AllocatorStatistics {
        let stats = isDestroyed ? nil : try? JemallocControl.arenaStatistics(index)
        return AllocatorStatistics(
            backend: name, counters: counters, source: "jemalloc stats.arenas.\(index).*",
            allocatedBytes: stats?.allocated, activeBytes: stats?.active, residentBytes: stats?.resident,
            mappedBytes: stats?.mapped, retainedBytes: stats?.retained)
    }

    public func releaseFreeMemory() { try? purge() }

    /// Returns this arena's unused dirty pages to the OS (`arena.<i>.purge`).
    public func purge() throws(JemallocControlError) {
        guard !isDestroyed else { return }
        try JemallocControl.command("arena.\(index).purge")
    }

    /// Discards every block of this arena at once (`arena.<i>.reset`); the arena stays usable.
    /// Every pointer it handed out before becomes invalid.
    public func reset() throws(JemallocControlError) {
        guard !isDestroyed else { return }
        try JemallocControl.command("arena.\(index).reset")
    }

    /// Discards the arena and all its memory (`arena.<i>.destroy`). Idempotent.
    public func destroy() throws(JemallocControlError) {
        guard destroyed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        try JemallocControl.command("arena.\(index).destroy")
    }
}

import CAllocShims
/// Who frees a buffer's bytes, and how. Every buffer type stores one and calls `release`
/// exactly once, so memory always goes back to the allocator (or slab) that made it, even if
/// the process default has changed since.
@usableFromInline
enum RegionOwner: @unchecked Sendable {
    // @unchecked: `.view` holds an arbitrary owner object only to keep external memory alive;
    // it is never accessed.
    //
    // At most two words (the allocator existential): `OwnedBytes` is then four words and
    // travels in registers. Whole blocks are always of the allocator's natural alignment,
    // so the alignment is not stored.

    /// A whole block from an allocator: freed with the same size (natural alignment). The
    /// allocator is retained, so it lives as long as its block.
    case allocator(any Allocator)
    /// A whole block from a built-in backend's calls (natural alignment): one unretained word.
    case fast(Unmanaged<FastPathHandle>)
    /// A whole block of a jemalloc arena (natural alignment): its core, unretained — the block's
    /// place in the arena's live-block count keeps the core alive (see ArenaCore).
    case arena(Unmanaged<ArenaCore>)
    /// A slice of a pool slab: the slab is freed when its last slice is gone.
    case slab(Unmanaged<Slab>)
    /// Memory owned elsewhere (an explicit view): nothing to free; `keepAlive` is retained.
    case view(keepAlive: AnyObject?)
    /// Ownership was moved elsewhere.
    case moved

    @inline(__always)
    func release(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        switch self {
        case .allocator(let allocator):
            allocator.deallocate(base, byteCount: byteCount)
        case .fast(let handle):
            handle._withUnsafeGuaranteedRef { $0.calls.deallocate(base, byteCount: byteCount, alignment: 1, counters: $0.counters) }
        case .arena(let core):
            core._withUnsafeGuaranteedRef { $0.deallocate(base, byteCount: byteCount, alignment: 1) }
        case .slab(let slab):
            Slab.releaseSlice(slab, base, byteCount: byteCount)
        case .view, .moved:
            break
        }
    }
}

extension RegionOwner {
    /// The name of the allocator that frees this region, if any.
    var allocatorName: String? {
        if case .arena = self { return BackendName.jemallocArena.rawValue }
        return allocator?.name
    }

    /// The owner for a whole block from `allocator` (natural alignment): unretained only when
    /// it *is* one of AllocShim's own process-lifetime backend objects — decided by identity,
    /// never by anything the allocator says about itself. (A forwarding wrapper that claimed to
    /// live for the whole process was once held unretained, and freeing a buffer after the
    /// wrapper died was a use-after-free reachable from safe code.)
    @inline(__always)
    static func block(of allocator: any Allocator) -> RegionOwner {
        if let handle = FastPathHandle.of(allocator) { return .fast(handle) }
        if let arena = allocator as? JemallocArena { return .arena(.passUnretained(arena.core)) }
        return .allocator(allocator)
    }

    /// Resizes a whole block this owner frees (`.fast` or `.allocator`), keeping it with the
    /// same owner: `BytesBuilder` grows and trims its block through the owner it will hand on,
    /// so a builder on a built-in backend touches no allocator object either.
    func reallocateBlock(_ base: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        switch self {
        case .fast(let handle):
            return try handle._withUnsafeGuaranteedRef { backend in
                Result { () throws(AllocationError) in
                    try backend.calls.reallocate(
                        base, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: 1, counters: backend.counters)
                }
            }.get()
        case .arena(let core):
            return try core._withUnsafeGuaranteedRef { arena in
                Result { () throws(AllocationError) in
                    try arena.reallocate(base, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: 1)
                }
            }.get()
        case .allocator(let allocator):
            return try allocator.reallocate(base, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: allocator.naturalAlignment)
        case .slab, .view, .moved:
            preconditionFailure("only a whole block can be resized")  // BytesBuilder only makes whole blocks
        }
    }

    /// The allocator that frees this region, if any: nil for an arena's whole block, whose
    /// `JemallocArena` may be gone while the block lives (its name: ``allocatorName``).
    var allocator: (any Allocator)? {
        switch self {
        case .allocator(let allocator): return allocator
        case .arena: return nil
        case .fast(let handle): return handle.takeUnretainedValue().allocator
        case .slab(let slab): return slab._withUnsafeGuaranteedRef { $0.allocator }
        case .view, .moved: return nil
        }
    }
}

/// The shared, reference-counted owner of one region, used by ``SharedBytes``.
/// Not `Sendable`: the bytes are shared mutable memory (see SharedBytes).
@usableFromInline
final class ByteStorage {
    @usableFromInline let base: UnsafeMutableRawPointer
    let byteCount: Int
    /// Set to `.moved` only when a uniquely referenced storage hands its region off.
    var owner: RegionOwner

    @usableFromInline
    init(base: UnsafeMutableRawPointer, byteCount: Int, owner: RegionOwner) {
        self.base = base
        self.byteCount = byteCount
        self.owner = owner
    }

    deinit { owner.release(base, byteCount: byteCount) }
}

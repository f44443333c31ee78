import CAllocShims
/// Who frees a buffer's bytes, and how. Every buffer type stores one and calls `release`
/// exactly once, so memory always goes back to the allocator (or slab) that made it, even if
/// the process default has changed since.
enum RegionOwner: @unchecked Sendable {
    // @unchecked: `.view` holds an arbitrary owner object only to keep external memory alive;
    // it is never accessed.
    //
    // At most two words (the allocator existential): `OwnedBytes` is then four words and
    // travels in registers. Whole blocks are always of the allocator's natural alignment,
    // so the alignment is not stored.

    /// A whole block from an allocator: freed with the same size (natural alignment).
    case allocator(any Allocator)
    /// The same, for an allocator that lives for the whole process: not reference counted.
    case processAllocator(UnretainedAllocator)
    /// A whole block from a built-in backend's calls (natural alignment): one unretained word.
    case fast(Unmanaged<FastPathHandle>)
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
        case .processAllocator(let unretained):
            unretained.allocator.deallocate(base, byteCount: byteCount)
        case .fast(let handle):
            handle._withUnsafeGuaranteedRef { $0.calls.deallocate(base, byteCount: byteCount, alignment: 1, counters: $0.counters) }
        case .slab(let slab):
            Slab.releaseSlice(slab, base, byteCount: byteCount)
        case .view, .moved:
            break
        }
    }
}

extension RegionOwner {
    /// The owner for a whole block from `allocator` (natural alignment), unretained when the
    /// allocator lives for the whole process.
    @inline(__always)
    static func block(of allocator: any Allocator) -> RegionOwner {
        allocator.livesForWholeProcess ? .processAllocator(UnretainedAllocator(allocator: allocator)) : .allocator(allocator)
    }

    /// The allocator that frees this region, if any.
    var allocator: (any Allocator)? {
        switch self {
        case .allocator(let allocator): return allocator
        case .processAllocator(let unretained): return unretained.allocator
        case .fast(let handle): return handle.takeUnretainedValue().allocator
        case .slab(let slab): return slab._withUnsafeGuaranteedRef { $0.allocator }
        case .view, .moved: return nil
        }
    }
}

/// A reference to an allocator that is known to outlive every buffer (it lives for the whole
/// process), held without reference counting.
struct UnretainedAllocator {
    unowned(unsafe) let allocator: any Allocator
}

/// The shared, reference-counted owner of one region, used by ``SharedBytes``.
/// Not `Sendable`: the bytes are shared mutable memory (see SharedBytes).
@usableFromInline
final class ByteStorage {
    @usableFromInline let base: UnsafeMutableRawPointer
    let byteCount: Int
    let owner: RegionOwner

    init(base: UnsafeMutableRawPointer, byteCount: Int, owner: RegionOwner) {
        self.base = base
        self.byteCount = byteCount
        self.owner = owner
    }

    deinit { owner.release(base, byteCount: byteCount) }
}

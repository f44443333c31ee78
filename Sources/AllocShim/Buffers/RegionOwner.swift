import CAllocShims
/// Who frees a buffer's bytes, and how. Every buffer type stores one and calls `release`
/// exactly once, so memory always goes back to the allocator (or slab) that made it, even if
/// the process default has changed since.
enum RegionOwner: @unchecked Sendable {
    // @unchecked: `.view` holds an arbitrary owner object only to keep external memory alive;
    // it is never accessed.

    /// A whole block from an allocator: freed with the same size and alignment.
    case allocator(any Allocator, alignment: Int)
    /// The same, for an allocator that lives for the whole process: not reference counted.
    case processAllocator(UnretainedAllocator, alignment: Int)
    /// A whole block from a built-in backend's C calls: no object to retain or release.
    case fast(CAllocShims_FastPath)
    /// A slice of a pool slab: the slab is freed when its last slice is gone.
    case slab(Slab)
    /// Memory owned elsewhere (an explicit view): nothing to free; `keepAlive` is retained.
    case view(keepAlive: AnyObject?)
    /// Ownership was moved elsewhere.
    case moved

    @inline(__always)
    func release(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        switch self {
        case .allocator(let allocator, let alignment):
            allocator.deallocate(base, byteCount: byteCount, alignment: alignment)
        case .processAllocator(let unretained, let alignment):
            unretained.allocator.deallocate(base, byteCount: byteCount, alignment: alignment)
        case .fast(let path):
            CAllocShims_fast_deallocate(path, base, byteCount)
        case .slab(let slab):
            slab.releaseSlice(base, byteCount: byteCount)
        case .view, .moved:
            break
        }
    }
}

extension RegionOwner {
    /// The owner for a whole block from `allocator`, unretained when it lives for the process.
    @inline(__always)
    static func block(of allocator: any Allocator, alignment: Int) -> RegionOwner {
        allocator.livesForWholeProcess
            ? .processAllocator(UnretainedAllocator(allocator: allocator), alignment: alignment)
            : .allocator(allocator, alignment: alignment)
    }

    /// The allocator that frees this region, if any.
    var allocator: (any Allocator)? {
        switch self {
        case .allocator(let allocator, _): return allocator
        case .processAllocator(let unretained, _): return unretained.allocator
        case .fast(let path): return path.allocator
        case .slab(let slab): return slab.allocator
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
final class ByteStorage {
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    let owner: RegionOwner

    init(base: UnsafeMutableRawPointer, byteCount: Int, owner: RegionOwner) {
        self.base = base
        self.byteCount = byteCount
        self.owner = owner
    }

    deinit { owner.release(base, byteCount: byteCount) }
}

/// The output-span initializers' one path (``OwnedBytes`` and ``SharedBytes``): a region of
/// `capacity` bytes, made as `allocUnsafe` makes one (so zero-fill and poison modes cover the
/// whole capacity), handed to the caller's closure as an `OutputRawSpan`; the region's count is
/// what the closure appended. Nothing else ever sees the uninitialized part.
///
/// Unused capacity is **given back at once**, so a buffer's size is always its count (and
/// `OwnedBytes` stays four words: a fifth, for the capacity, cost about 24 ns of stalls per
/// 100-byte buffer when it was measured, Tests/AllocShimTests/LayoutTests.swift): a pool slice's
/// tail is released to the pool (the slab's cursor moves back over it when the slice was the
/// thread's last cut), and a whole block is shrunk by the allocator's realloc — in place where
/// the allocator can (glibc; jemalloc's large classes), else a move of the written bytes. The
/// measured cost is in docs/buffers.md, "Unused capacity"; a closure that fills its capacity
/// pays nothing.
@usableFromInline
enum OutputSpanInitialization {
    @usableFromInline typealias Region = (base: UnsafeMutableRawPointer, owner: RegionOwner, count: Int)

    // The initializers are inlinable and call these three: the caller's closure then runs inline
    // at its call site, with no closure context or indirect call (at 100 B that was 1–2 ns of
    // 23, against the 5% target).

    /// A region of `capacity` bytes, made as `allocUnsafe` (`pooled`) or `allocUnsafeSlow` makes one.
    @usableFromInline
    static func allocate(_ capacity: Int, pooled: Bool, from source: __shared BufferSource?) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        guard capacity >= 0 else { throw .allocation(.negativeSize(capacity)) }
        return try RegionMaker.make(capacity, pooled ? .uninitializedPooled : .uninitializedUnpooled, from: source)
    }

    /// The closure wrote `count` of fewer than `capacity` bytes: the region, with the rest given back.
    @usableFromInline
    static func finish(
        _ made: (base: UnsafeMutableRawPointer, owner: RegionOwner), capacity: Int, count: Int, from source: __shared BufferSource?
    ) throws(BufferError) -> Region {
        return try fitted(made.base, made.owner, capacity: capacity, count: count, from: source)
    }

    /// The closure threw: the region goes back, nothing stays allocated.
    @usableFromInline
    static func abandon(_ made: (base: UnsafeMutableRawPointer, owner: RegionOwner), capacity: Int) {
        made.owner.release(made.base, byteCount: capacity)
    }

    /// The span over a fresh region. Invariant: `base` is valid for `capacity` bytes and nothing
    /// else refers to them yet; the span cannot escape the closure it is lent to (`~Escapable`),
    /// so once `finalize` returns, the only bytes any buffer exposes are the first `count`, all
    /// written by the closure. `finalize` traps if the closure replaced the span with another
    /// (the standard library's own rule).
    @inlinable @inline(__always)
    static func buffer(_ made: (base: UnsafeMutableRawPointer, owner: RegionOwner), capacity: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: made.base, count: capacity)
    }

    /// Gives back the `capacity - count` bytes the closure did not write (see the type's comment).
    private static func fitted(
        _ base: UnsafeMutableRawPointer, _ owner: RegionOwner, capacity: Int, count: Int, from source: __shared BufferSource?
    ) throws(BufferError) -> Region {
        switch owner {
        case .slab(let slab):
            Slab.trimSlice(slab, base, from: capacity, to: count)
            return (base, owner, count)
        case .fast, .arena, .allocator:
            guard count > 0 else {
                // realloc to 0 bytes frees on some allocators: make an empty block instead
                // (a block still: whether a buffer is pooled follows from its capacity).
                owner.release(base, byteCount: capacity)
                let (empty, emptyOwner) = try RegionMaker.make(0, .uninitializedUnpooled, from: source)
                return (empty, emptyOwner, 0)
            }
            do {
                return (try owner.reallocateBlock(base, oldByteCount: capacity, newByteCount: count), owner, count)
            } catch {
                owner.release(base, byteCount: capacity)
                throw .allocation(error)
            }
        case .view, .moved:
            preconditionFailure("RegionMaker makes only blocks and slices")
        }
    }
}

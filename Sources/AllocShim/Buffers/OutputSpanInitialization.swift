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
enum OutputSpanInitialization {
    typealias Region = (base: UnsafeMutableRawPointer, owner: RegionOwner, count: Int)

    /// For closures that do not throw: only the buffer's own errors.
    @inline(__always)
    static func make(
        _ capacity: Int, _ kind: RegionMaker.Kind, from source: __shared BufferSource?, _ body: (inout OutputRawSpan) -> Void
    ) throws(BufferError) -> Region {
        guard capacity >= 0 else { throw .allocation(.negativeSize(capacity)) }
        let (base, owner) = try RegionMaker.make(capacity, kind, from: source)
        let count = written(base, capacity, body)
        if count == capacity { return (base, owner, count) }
        return try fitted(base, owner, capacity: capacity, count: count, from: source)
    }

    /// For closures that throw: their error propagates unchanged once the region is freed.
    @inline(__always)
    static func make<E: Error>(
        _ capacity: Int, _ kind: RegionMaker.Kind, from source: __shared BufferSource?, _ body: (inout OutputRawSpan) throws(E) -> Void
    ) throws -> Region {
        guard capacity >= 0 else { throw BufferError.allocation(.negativeSize(capacity)) }
        let (base, owner) = try RegionMaker.make(capacity, kind, from: source)
        let count: Int
        do {
            count = try written(base, capacity, body)
        } catch {
            owner.release(base, byteCount: capacity)  // the closure's error: nothing stays allocated
            throw error
        }
        if count == capacity { return (base, owner, count) }
        return try fitted(base, owner, capacity: capacity, count: count, from: source)
    }

    /// Runs `body` over `capacity` uninitialized bytes at `base` and returns how many it initialized.
    /// Invariant: `base` is valid for `capacity` bytes and nothing else refers to them yet; the
    /// span cannot escape `body` (it is `~Escapable`), so once this returns the only bytes any
    /// buffer will expose are the first `count`, all written by `body`.
    @inline(__always)
    private static func written<E: Error>(
        _ base: UnsafeMutableRawPointer, _ capacity: Int, _ body: (inout OutputRawSpan) throws(E) -> Void
    ) throws(E) -> Int {
        let buffer = UnsafeMutableRawBufferPointer(start: base, count: capacity)
        var output = OutputRawSpan(buffer: buffer, initializedCount: 0)
        try body(&output)
        // Traps if `body` replaced the span with another one (the standard library's own rule).
        return output.finalize(for: buffer)
    }

    /// Gives back the `capacity - count` bytes the closure did not write (see the type's comment).
    @inline(never)
    private static func fitted(
        _ base: UnsafeMutableRawPointer, _ owner: RegionOwner, capacity: Int, count: Int, from source: __shared BufferSource?
    ) throws(BufferError) -> Region {
        switch owner {
        case .slab(let slab):
            Slab.trimSlice(slab, base, from: capacity, to: count)
            return (base, owner, count)
        case .fast, .allocator:
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

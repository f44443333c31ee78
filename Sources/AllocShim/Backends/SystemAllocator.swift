import CAllocShims

/// `system`: the platform's malloc family (glibc's ptmalloc here), reached through
/// `__libc_*` on glibc so it stays glibc's even when jemalloc has replaced `malloc`.
/// glibc's own knobs (`MALLOC_PERTURB_`, `GLIBC_TUNABLES`) apply to it.
public final class SystemAllocator: Allocator {
    /// The one instance: its counters cover every `system` block in the process.
    public static let shared = SystemAllocator()

    /// `"system"`.
    public let name = BackendName.system.rawValue
    /// The platform malloc's alignment: `alignof(max_align_t)`, 16 on x86_64 and arm64.
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    /// The shim's own counts of blocks and bytes requested through this backend.
    public let counters = AllocationCounters()
    /// A process-wide instance held by a static constant: never deallocated.
    public var livesForWholeProcess: Bool { true }

    private init() {}

    /// The corresponding C function is `malloc` (glibc's `__libc_malloc`), or `memalign` when
    /// `alignment` needs the aligned path.
    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        let block =
            AlignedPath.isNeeded(size: size, alignment: alignment, natural: naturalAlignment)
            ? CAllocShims_platform_aligned_alloc(alignment, size) : CAllocShims_platform_malloc(size)
        guard let block else { throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment) }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }

    /// The corresponding C function is `calloc` (glibc's `__libc_calloc`). glibc has no aligned
    /// calloc, so an aligned request is `memalign` followed by zeroing.
    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        let block: UnsafeMutableRawPointer?
        if AlignedPath.isNeeded(size: size, alignment: alignment, natural: naturalAlignment) {
            // glibc has no aligned calloc: zero by hand.
            block = CAllocShims_platform_aligned_alloc(alignment, size)
            block?.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        } else {
            block = CAllocShims_platform_calloc(1, size)
        }
        guard let block else { throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment) }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }

    /// The corresponding C function is `realloc` (glibc's `__libc_realloc`); aligned blocks are
    /// moved by allocate, copy and free, since `realloc` would lose the alignment.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: newByteCount, alignment: alignment)
        if AlignedPath.isNeeded(size: size, alignment: alignment, natural: naturalAlignment) {
            return try AlignedPath.reallocateByCopy(
                self, pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
        }
        guard let block = CAllocShims_platform_realloc(pointer, size) else {
            throw .outOfMemory(backend: name, byteCount: newByteCount, alignment: alignment)
        }
        counters.recordResize(from: oldByteCount, to: newByteCount)
        return block
    }

    var fastPath: CAllocShims_FastPath? { CAllocShims_FastPath(kind: Int32(CAllocShims_fast_platform), counters: counters, detail: 0) }

    /// The corresponding C function is `free` (glibc's `__libc_free`); glibc has no sized free.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        CAllocShims_platform_free(pointer)
        counters.recordDeallocation(byteCount: byteCount)
    }

    /// The corresponding C function is `malloc_usable_size` (glibc's own, even when jemalloc
    /// has replaced `malloc`).
    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        Int(CAllocShims_platform_usable_size(pointer))
    }

    /// glibc's `mallinfo2` figures for the whole process (in-use bytes, and sbrk plus mmapped
    /// bytes as mapped), plus the shim's counters; the counters only where there is no `mallinfo2`.
    public func statistics() -> AllocatorStatistics {
        var info = CAllocShims_PlatformHeapInfo()
        guard CAllocShims_platform_heap_info(&info) != 0 else {
            return AllocatorStatistics(backend: name, counters: counters, source: "shim counters only")
        }
        return AllocatorStatistics(
            backend: name, counters: counters, source: "glibc mallinfo2 (process-wide)",
            allocatedBytes: Int(info.in_use), mappedBytes: Int(info.arena + info.mmapped))
    }

    /// The corresponding C function is `malloc_trim(0)`; does nothing where the platform lacks it.
    public func releaseFreeMemory() {
        _ = CAllocShims_platform_trim()
    }
}

/// When a request needs an allocator's explicit aligned entry point.
///
/// Plain malloc guarantees `natural` alignment (16) only for blocks of at least that size:
/// jemalloc and tcmalloc serve an 8-byte request from an 8-byte class aligned to 8. So a
/// request goes the aligned way when it asks for more than natural alignment, or for more
/// than 8 on a block smaller than its alignment. The rule depends only on (size, alignment),
/// so allocation and sized deallocation always agree on the path.
@usableFromInline
enum AlignedPath {
    @inlinable @inline(__always)
    static func isNeeded(size: Int, alignment: Int, natural: Int) -> Bool {
        alignment > natural || (alignment > 8 && size < alignment)
    }

    /// Reallocation for allocators without an aligned realloc: allocate, copy, free.
    static func reallocateByCopy(
        _ allocator: some Allocator, _ pointer: UnsafeMutableRawPointer,
        oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        // allocshim: uninitialized — reallocate by copy: bytes past the old count are uninitialized by realloc's contract, and callers write them before exposing them
        let block = try allocator.allocateUninitialized(byteCount: newByteCount, alignment: alignment)
        block.copyMemory(from: pointer, byteCount: min(oldByteCount, newByteCount))
        allocator.deallocate(pointer, byteCount: oldByteCount, alignment: alignment)
        return block
    }
}

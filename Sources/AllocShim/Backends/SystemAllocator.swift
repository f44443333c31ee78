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

    /// The backend's calls: `__libc_malloc` and family (see BackendCalls).
    let calls = BackendCalls.platform

    private init() {}

    /// The corresponding C function is `malloc` (glibc's `__libc_malloc`), or `memalign` when
    /// `alignment` needs the aligned path.
    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: false, counters: counters)
    }

    /// The corresponding C function is `calloc` (glibc's `__libc_calloc`). glibc has no aligned
    /// calloc, so an aligned request is `memalign` followed by zeroing.
    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: true, counters: counters)
    }

    /// The corresponding C function is `realloc` (glibc's `__libc_realloc`); aligned blocks are
    /// moved by allocate, copy and free, since `realloc` would lose the alignment.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment, counters: counters)
    }

    /// The corresponding C function is `free` (glibc's `__libc_free`); glibc has no sized free.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        calls.deallocate(pointer, byteCount: byteCount, alignment: alignment, counters: counters)
    }

    /// The corresponding C function is `malloc_usable_size` (glibc's own, even when jemalloc
    /// has replaced `malloc`).
    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        calls.usableSize(of: pointer)
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

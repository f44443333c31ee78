import CAllocShims

/// A built-in backend as one value: which C calls serve it (CAllocShimsBackendCalls.h) and its
/// name for errors. `system`, `jemalloc`, `jemalloc-arena`, `mimalloc` and `tcmalloc` are each
/// one of these; their `Allocator` objects and the buffers both go through the methods below,
/// the one path that validates a request, makes the call, turns `NULL` into
/// ``AllocationError/outOfMemory(backend:byteCount:alignment:)`` and counts.
package struct BackendCalls: Sendable {
    /// The C value itself: what the buffers, the benchmark's C baseline and the thread sweep's
    /// C form call through.
    package let c: CAllocShims_BackendCalls
    let backend: BackendName

    /// glibc's own malloc family (`__libc_*`), even when jemalloc has replaced `malloc`.
    static let platform = BackendCalls(
        c: CAllocShims_BackendCalls(kind: Int32(CAllocShims_BackendPlatform.rawValue), flags: 0, table: nil), backend: .system)

    /// jemalloc's table (linked, or loaded beside ASan) with `flags` on every call (0 for the
    /// automatic arenas).
    static func jemalloc(_ table: UnsafePointer<CAllocShims_Jemalloc>, flags: Int32, backend: BackendName) -> BackendCalls {
        BackendCalls(
            c: CAllocShims_BackendCalls(kind: Int32(CAllocShims_BackendJemalloc.rawValue), flags: flags, table: UnsafeRawPointer(table)),
            backend: backend)
    }

    /// A library loaded at run time; `table` lives for the whole process (never unloaded).
    static func table(_ table: UnsafePointer<CAllocShims_DynamicAllocator>, backend: BackendName) -> BackendCalls {
        BackendCalls(
            c: CAllocShims_BackendCalls(kind: Int32(CAllocShims_BackendTable.rawValue), flags: 0, table: UnsafeRawPointer(table)),
            backend: backend)
    }

    /// The same table with other jemalloc flags (a jemalloc arena adds the calling thread's cache).
    @inline(__always)
    func with(flags: Int32) -> BackendCalls {
        BackendCalls(c: CAllocShims_BackendCalls(kind: c.kind, flags: flags, table: c.table), backend: backend)
    }

    /// The calls `allocator` makes when it is one of AllocShim's own backends (a jemalloc arena:
    /// without a thread cache); nil for any other allocator, which has no C calls.
    package static func of(_ allocator: any Allocator) -> BackendCalls? {
        // Only AllocShim's own final classes conform to the internal ProcessLifetimeBackend.
        (allocator as? any ProcessLifetimeBackend)?.calls ?? (allocator as? JemallocArena)?.calls
    }

    @inline(__always)
    func allocate(byteCount: Int, alignment: Int, zeroed: Bool, counters: some AllocationRecorder) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        guard let block = CAllocShims_backend_allocate(c, size, alignment, zeroed ? 1 : 0) else {
            throw .outOfMemory(backend: backend.rawValue, byteCount: byteCount, alignment: alignment)
        }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }

    /// On failure the old block is untouched and still the caller's.
    func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int, counters: some AllocationRecorder
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: newByteCount, alignment: alignment)
        guard let block = CAllocShims_backend_reallocate(c, pointer, AllocationRequest.cSize(oldByteCount), size, alignment) else {
            throw .outOfMemory(backend: backend.rawValue, byteCount: newByteCount, alignment: alignment)
        }
        counters.recordResize(from: oldByteCount, to: newByteCount)
        return block
    }

    @inline(__always)
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int, counters: some AllocationRecorder) {
        CAllocShims_backend_deallocate(c, pointer, AllocationRequest.cSize(byteCount), alignment)
        counters.recordDeallocation(byteCount: byteCount)
    }

    func usableSize(of pointer: UnsafeMutableRawPointer) -> Int {
        CAllocShims_backend_usable_size(c, pointer)
    }
}

// @unchecked: `table` points to a table that is filled once and never changed or freed (the
// linked jemalloc's is a constant; loaded libraries are never unloaded), so the value may
// cross threads as freely as the integers beside it.
extension CAllocShims_BackendCalls: @retroactive @unchecked Sendable {}

import CAllocShims

/// `jemalloc`: jemalloc's automatic arenas through the mallocx family — zeroing with
/// MALLOCX_ZERO, sized release with sdallocx, thread caches on.
///
/// Available only with the package trait `Jemalloc`. Linking jemalloc also makes it the
/// process's `malloc` (Debian builds it without a symbol prefix), so Swift's own allocations
/// go to it too; `MALLOC_CONF` configures it.
public final class JemallocAllocator: Allocator {
    /// The one instance, or `nil` when jemalloc is not linked into this process.
    public static let shared: JemallocAllocator? = CAllocShims_jemalloc_table().map(JemallocAllocator.init)

    /// `"jemalloc"`.
    public let name = BackendName.jemalloc.rawValue
    /// The platform malloc's alignment (`alignof(max_align_t)`); a request that needs more, or a
    /// block smaller than its alignment, takes the aligned path.
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    /// The shim's own counts of blocks and bytes requested through this backend.
    public let counters = AllocationCounters()
    /// The backend's calls: jemalloc's table, the mallocx family with no extra flags (see BackendCalls).
    let calls: BackendCalls

    private init(table: UnsafePointer<CAllocShims_Jemalloc>) {
        calls = .jemalloc(table, flags: 0, backend: .jemalloc)
    }

    /// The corresponding C function is `mallocx`, with `MALLOCX_ALIGN` when `alignment` needs it.
    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: false, counters: counters)
    }

    /// The corresponding C function is `mallocx` with `MALLOCX_ZERO` (and `MALLOCX_ALIGN` when
    /// `alignment` needs it).
    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: true, counters: counters)
    }

    /// The corresponding C function is `rallocx`, which keeps the alignment flag, so aligned blocks
    /// are resized in place where jemalloc can.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment, counters: counters)
    }

    /// The corresponding C function is `sdallocx`: the size and alignment flags let jemalloc skip
    /// the size-class lookup.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        calls.deallocate(pointer, byteCount: byteCount, alignment: alignment, counters: counters)
    }

    /// The block's size class. The corresponding C function is `sallocx`.
    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        calls.usableSize(of: pointer)
    }

    /// jemalloc's process-wide `stats.*` figures, read after an `epoch` advance, plus the shim's
    /// counters. Figures are `nil` if mallctl fails.
    public func statistics() -> AllocatorStatistics {
        let stats = try? JemallocControl.processStatistics()
        return AllocatorStatistics(
            backend: name, counters: counters, source: "jemalloc stats.* (process-wide, after epoch)",
            allocatedBytes: stats?.allocated, activeBytes: stats?.active, residentBytes: stats?.resident,
            mappedBytes: stats?.mapped, retainedBytes: stats?.retained)
    }

    /// Purges unused dirty pages of every arena (`arena.<MALLCTL_ARENAS_ALL>.purge`).
    public func releaseFreeMemory() {
        try? JemallocControl.command("arena.\(CAllocShims_MALLCTL_ARENAS_ALL()).purge")
    }
}

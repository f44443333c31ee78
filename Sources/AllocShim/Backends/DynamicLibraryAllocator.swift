import CAllocShims

/// `mimalloc` and `tcmalloc`: allocators loaded at run time with `dlopen(RTLD_LOCAL)`, so they
/// serve only the calls made through this object and never replace the process's `malloc`.
///
/// Their absence is no error until one is asked for: ``BackendRegistry`` then reports the
/// loader's message and which Debian package provides the library.
public final class DynamicLibraryAllocator: Allocator, @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the function pointers point
    // into a library that is never unloaded (see dynamic_allocators.c).

    /// `"mimalloc"` or `"tcmalloc"`: the `BackendName` raw value of the loaded library.
    public let name: String
    /// The platform malloc's alignment (`alignof(max_align_t)`); a request that needs more, or a
    /// block smaller than its alignment, takes the aligned path.
    public let naturalAlignment = Int(CAllocShims_platform_malloc_alignment())
    /// The shim's own counts of blocks and bytes requested through this object.
    public let counters = AllocationCounters()
    /// The library's version as it reports it, e.g. "2.0.9" for mimalloc.
    public let version: String
    /// The soname that was loaded, e.g. "libtcmalloc.so.4".
    public let library: String
    /// The backend's calls: the loaded library's entry points (see BackendCalls). tcmalloc
    /// blocks are released with sized free and therefore shrunk by copy (backend_calls.c says why).
    let calls: BackendCalls
    /// The loader's table: valid for the life of the process (the library is never unloaded).
    private let table: CAllocShims_DynamicAllocator

    /// mimalloc, or why libmimalloc.so.2 could not be loaded.
    public static let mimalloc: Result<DynamicLibraryAllocator, BackendSelectionError> = load(.mimalloc)
    /// tcmalloc (gperftools), or why libtcmalloc.so.4 could not be loaded.
    public static let tcmalloc: Result<DynamicLibraryAllocator, BackendSelectionError> = load(.tcmalloc)

    private static func load(_ backend: BackendName) -> Result<DynamicLibraryAllocator, BackendSelectionError> {
        var message = [CChar](repeating: 0, count: 512)
        let table: UnsafePointer<CAllocShims_DynamicAllocator>? =
            backend == .mimalloc
            ? CAllocShims_load_mimalloc(&message, message.count) : CAllocShims_load_tcmalloc(&message, message.count)
        guard let table else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(.unavailable(backend, reason: reason, remedy: backend.remedy))
        }
        return .success(DynamicLibraryAllocator(backend, table: table))
    }

    /// Internal rather than private so a test can wrap a loader table with an entry point missing.
    init(_ backend: BackendName, table tablePointer: UnsafePointer<CAllocShims_DynamicAllocator>) {
        let table = tablePointer.pointee
        self.name = backend.rawValue
        self.calls = .table(tablePointer, backend: backend)
        self.table = table
        self.version = withUnsafeBytes(of: table.version) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        self.library = withUnsafeBytes(of: table.library) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Calls the library's `malloc` (`mi_malloc`, `tc_malloc`), or its aligned entry point
    /// (`mi_malloc_aligned`, `tc_memalign`) when `alignment` needs one.
    public func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: false, counters: counters)
    }

    /// Calls the library's `calloc` (`mi_calloc`, `tc_calloc`); for an aligned request,
    /// `mi_zalloc_aligned`, or the aligned allocation zeroed by hand where the library has no
    /// aligned calloc (tcmalloc).
    public func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.allocate(byteCount: byteCount, alignment: alignment, zeroed: true, counters: counters)
    }

    /// Calls the library's `realloc` (`mi_realloc`, `tc_realloc`). Aligned blocks are moved by
    /// allocate, copy and free, and tcmalloc blocks are shrunk by copy so that their sized free
    /// stays correct.
    public func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        try calls.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment, counters: counters)
    }

    /// Calls the library's sized free where it has one (`tc_free_sized`, for blocks from the plain
    /// path), otherwise its `free` (`mi_free`, `tc_free`).
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        calls.deallocate(pointer, byteCount: byteCount, alignment: alignment, counters: counters)
    }

    /// The library's own figure: the corresponding C function is `mi_usable_size` or `tc_malloc_size`.
    public func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        calls.usableSize(of: pointer)
    }

    /// tcmalloc's `MallocExtension` properties or mimalloc's `mi_process_info`, both covering the
    /// whole library rather than this object; the shim's counters only when the library lacks
    /// its entry point. The library's identity picks the figures, never which optional entry
    /// point happens to exist: a tcmalloc without `MallocExtension` must not report mimalloc's.
    public func statistics() -> AllocatorStatistics {
        switch name {
        case BackendName.tcmalloc.rawValue:
            guard let property = table.numeric_property else { break }
            func read(_ key: String) -> Int? {
                var value = 0
                return property(key, &value) != 0 ? value : nil
            }
            let heap = read("generic.heap_size")
            let unmapped = read("tcmalloc.pageheap_unmapped_bytes")
            return AllocatorStatistics(
                backend: name, counters: counters, source: "tcmalloc MallocExtension (library-wide)",
                allocatedBytes: read("generic.current_allocated_bytes"),
                residentBytes: heap.map { $0 - (unmapped ?? 0) }, mappedBytes: heap, retainedBytes: unmapped)
        case BackendName.mimalloc.rawValue:
            var rss = 0, peakRSS = 0, commit = 0, peakCommit = 0
            guard CAllocShims_mimalloc_process_info(&rss, &peakRSS, &commit, &peakCommit) != 0 else { break }
            return AllocatorStatistics(
                backend: name, counters: counters, source: "mimalloc mi_process_info (process-wide)",
                residentBytes: rss, mappedBytes: commit)
        default:
            break
        }
        return AllocatorStatistics(backend: name, counters: counters, source: "shim counters only")
    }

    /// Calls `mi_collect(true)` or `MallocExtension_ReleaseFreeMemory`; does nothing when the
    /// library lacks it.
    public func releaseFreeMemory() {
        table.collect?()
    }
}

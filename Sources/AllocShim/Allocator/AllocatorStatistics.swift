/// One snapshot of an allocator's figures.
///
/// The shim's counters are always present. The allocator's own figures are `nil` where it has
/// no such notion (glibc has no "resident" figure; mimalloc reports process-wide values).
public struct AllocatorStatistics: Sendable, Codable, Equatable {
    /// The name of the allocator the figures are from (a ``BackendName`` raw value for the
    /// built-in backends).
    public var backend: String
    /// Blocks handed out through this allocator object since the process started.
    public var allocations: Int
    /// Blocks released through it.
    public var deallocations: Int
    /// Bytes requested by blocks still live (the shim's count, before any rounding).
    public var liveBytes: Int
    /// Bytes the allocator counts as allocated to the application (jemalloc `stats.allocated`,
    /// glibc `mallinfo2().uordblks`, tcmalloc `generic.current_allocated_bytes`).
    public var allocatedBytes: Int?
    /// Bytes in active pages (jemalloc `stats.active`).
    public var activeBytes: Int?
    /// Bytes physically resident in pages the allocator manages.
    public var residentBytes: Int?
    /// Bytes mapped from the OS by the allocator.
    public var mappedBytes: Int?
    /// Virtual memory retained for reuse but not resident (jemalloc `stats.retained`).
    public var retainedBytes: Int?
    /// Where the allocator's figures come from, e.g. "jemalloc stats.* (process-wide)".
    public var source: String

    /// Takes the shim's counters from `counters` now, and the allocator's own figures as given.
    ///
    /// - Parameters:
    ///   - backend: the allocator's name.
    ///   - counters: the allocator's ``AllocationCounters``, read once here.
    ///   - source: where the allocator's figures come from, for readers of the figures.
    ///   - allocatedBytes: see ``allocatedBytes``; `nil` when the allocator has no such figure.
    ///   - activeBytes: see ``activeBytes``.
    ///   - residentBytes: see ``residentBytes``.
    ///   - mappedBytes: see ``mappedBytes``.
    ///   - retainedBytes: see ``retainedBytes``.
    public init(
        backend: String, counters: AllocationCounters, source: String,
        allocatedBytes: Int? = nil, activeBytes: Int? = nil, residentBytes: Int? = nil,
        mappedBytes: Int? = nil, retainedBytes: Int? = nil
    ) {
        self.backend = backend
        (self.allocations, self.deallocations, self.liveBytes) = counters.snapshot()
        self.source = source
        self.allocatedBytes = allocatedBytes
        self.activeBytes = activeBytes
        self.residentBytes = residentBytes
        self.mappedBytes = mappedBytes
        self.retainedBytes = retainedBytes
    }
}

import CAllocShims

/// Memory figures of the whole process, independent of any allocator.
public enum ProcessMemory {
    /// Resident set size now, in bytes (Linux /proc/self/statm); 0 where unknown.
    public static var residentBytes: Int { Int(CAllocShims_resident_bytes()) }
    /// Peak resident set size since start, in bytes (getrusage); 0 where unknown.
    public static var peakResidentBytes: Int { Int(CAllocShims_peak_resident_bytes()) }
    /// The system page size.
    public static var pageSize: Int { Int(CAllocShims_page_size()) }
}

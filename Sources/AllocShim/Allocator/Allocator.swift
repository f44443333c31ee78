// The `Allocator` protocol: the one interface every backend (and any user type) conforms to.
//
// Folder map of the library (every folder of Sources/AllocShim):
//   Allocator/      this protocol, its errors, statistics, failure injection and the shim's own counters
//   Backends/       system, jemalloc, jemalloc-arena, mimalloc, tcmalloc
//   Buffers/        SharedBytes, OwnedBytes, SecureBytes, the builder, buffer sources, slabs and pools
//   Encoding/       hex, base64 and text encodings of buffers
//   Introspection/  typed jemalloc control (mallctl), the process allocator and memory figures
//   Leaks/          poison mode and the exposure detector
//   Selection/      backend names, availability, ALLOCSHIM_* variables and the process default
//   Support/        the lock the library uses
//   Tenancy/        one jemalloc arena per tenant, with limits

/// A source of raw memory: a C allocator behind a Swift interface.
///
/// Every block must be released with ``deallocate(_:byteCount:alignment:)`` on the same
/// allocator, passing the `byteCount` and `alignment` it was allocated (or last reallocated)
/// with: sized deallocation lets jemalloc skip a metadata lookup, and an aligned block must
/// go back through the matching aligned path.
///
/// Sizes are `Int` to match Swift's buffer APIs: a negative size, an alignment that is not a
/// power of two, or a `count × stride` product that overflows are reported as
/// ``AllocationError`` values, never as a trap or a silent `nil`. A zero-byte request returns
/// a unique non-null block (allocated as one byte) that must still be deallocated.
public protocol Allocator: AnyObject, Sendable {
    /// A stable name: one of ``BackendName``'s raw values for built-in backends.
    var name: String { get }

    /// The alignment every block has without asking (the platform malloc's, 16 on x86_64).
    var naturalAlignment: Int { get }

    /// Returns `byteCount` uninitialized bytes aligned to `alignment`.
    /// The memory may hold whatever an earlier owner left there.
    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer

    /// Returns `byteCount` bytes, all zero, aligned to `alignment`.
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer

    /// Resizes a block, keeping `min(oldByteCount, newByteCount)` bytes. On failure the old
    /// block is untouched and still owned by the caller.
    func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer

    /// Releases a block obtained from this allocator.
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int)

    /// The bytes actually usable in a live block (≥ the size requested).
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int

    /// The allocator's own figures where it has them, plus the shim's counters.
    func statistics() -> AllocatorStatistics

    /// Asks the allocator to hand free memory back to the OS (malloc_trim, jemalloc purge,
    /// mi_collect, tcmalloc ReleaseFreeMemory). Does nothing where there is no such call.
    func releaseFreeMemory()
}

extension Allocator {
    /// Returns `byteCount` uninitialized bytes at the allocator's `naturalAlignment`.
    /// Throws what `allocateUninitialized(byteCount:alignment:)` throws.
    public func allocateUninitialized(byteCount: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        // allocshim: uninitialized — the protocol's uninitialized entry point passes the request on; the caller initializes what it reads
        try allocateUninitialized(byteCount: byteCount, alignment: naturalAlignment)
    }

    /// Returns `byteCount` zeroed bytes at the allocator's `naturalAlignment`.
    /// Throws what `allocateZeroed(byteCount:alignment:)` throws.
    public func allocateZeroed(byteCount: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        try allocateZeroed(byteCount: byteCount, alignment: naturalAlignment)
    }

    /// Releases a block allocated at `naturalAlignment`, passing its `byteCount` for sized release.
    public func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        deallocate(pointer, byteCount: byteCount, alignment: naturalAlignment)
    }

    /// The usable bytes of a live block allocated at `naturalAlignment`.
    public func usableSize(of pointer: UnsafeMutableRawPointer) -> Int {
        usableSize(of: pointer, alignment: naturalAlignment)
    }

    /// Allocates room for `count` values of `stride` bytes, failing with
    /// ``AllocationError/sizeOverflow(count:stride:)`` when the product does not fit an `Int`.
    public func allocateUninitialized(count: Int, stride: Int, alignment: Int? = nil) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        let byteCount = try AllocationRequest.byteCount(count: count, stride: stride)
        // allocshim: uninitialized — the protocol's uninitialized entry point passes the request on; the caller initializes what it reads
        return try allocateUninitialized(byteCount: byteCount, alignment: alignment ?? naturalAlignment)
    }

    /// Zeroed room for `count` values of `stride` bytes (calloc's contract, overflow checked).
    public func allocateZeroed(count: Int, stride: Int, alignment: Int? = nil) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        let byteCount = try AllocationRequest.byteCount(count: count, stride: stride)
        return try allocateZeroed(byteCount: byteCount, alignment: alignment ?? naturalAlignment)
    }

    /// Does nothing: an allocator without a way to give memory back keeps this default.
    public func releaseFreeMemory() {}

    /// Whether this is one of AllocShim's own process-lifetime backend objects (the shared
    /// `system`, `jemalloc`, `mimalloc` and `tcmalloc` instances), which buffers hold without
    /// reference counting. No longer a protocol requirement: it is decided by identity, so a
    /// conformance cannot claim it (a wrapper that forwarded `true` made a buffer's release a
    /// use-after-free once the wrapper was gone). Buffers retain every other allocator.
    @available(*, deprecated, message: "decided by AllocShim by identity; a conformance's own answer is ignored")
    public var livesForWholeProcess: Bool { FastPathHandle.of(self) != nil }
}

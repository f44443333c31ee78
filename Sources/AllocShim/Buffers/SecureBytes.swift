import CAllocShims

/// A buffer for keys and tokens: never pooled, never copied implicitly (noncopyable),
/// wiped with a write the optimizer cannot remove before its memory is released, and
/// optionally locked in RAM so it is never swapped out.
public struct SecureBytes: ~Copyable, @unchecked Sendable {
    // @unchecked: unique owner of its region.

    /// How hard to try to keep the bytes out of swap.
    public enum MemoryLock: Sendable {
        /// No mlock.
        case none
        /// mlock, and fail with ``SecureBytesError/lockFailed(errno:byteCount:)`` if refused
        /// (for example when RLIMIT_MEMLOCK is reached).
        case required
        /// mlock if possible; on refusal carry on unlocked (see ``isLocked``).
        case bestEffort
    }

    let base: UnsafeMutableRawPointer
    /// Number of bytes.
    public let count: Int
    /// Bytes actually allocated: whole pages when locked, so munlock never touches a
    /// neighbour's page.
    let allocatedCount: Int
    let alignment: Int
    let allocator: any Allocator
    /// Whether the pages are locked in RAM.
    public let isLocked: Bool

    /// `count` zeroed bytes from `allocator` (default: the process default).
    public init(zeroedCount count: Int, lock: MemoryLock = .none, allocator: (any Allocator)? = nil) throws(SecureBytesError) {
        guard count >= 0 else { throw .allocation(.negativeSize(count)) }
        let chosen: any Allocator
        if let allocator { chosen = allocator } else { chosen = try SecureBytes.defaultAllocator() }
        let page = Int(CAllocShims_page_size())
        let locking = lock != .none
        let alignment = locking ? page : chosen.naturalAlignment
        // Whole pages when locking; a count within a page of Int.max cannot be rounded up.
        let (roundedUp, overflow) = count.addingReportingOverflow(page - 1)
        guard !locking || !overflow else { throw .allocation(.sizeTooLarge(count)) }
        let allocatedCount = locking ? Swift.max(page, roundedUp / page * page) : count
        let block: UnsafeMutableRawPointer
        do {
            block = try chosen.allocateZeroed(byteCount: allocatedCount, alignment: alignment)
        } catch {
            throw .allocation(error)
        }
        var locked = false
        if locking {
            let code = CAllocShims_lock_memory(block, allocatedCount)
            if code == 0 {
                locked = true
            } else if lock == .required {
                chosen.deallocate(block, byteCount: allocatedCount, alignment: alignment)
                throw .lockFailed(errno: code, byteCount: allocatedCount)
            }
        }
        self.base = block
        self.count = count
        self.allocatedCount = allocatedCount
        self.alignment = alignment
        self.allocator = chosen
        self.isLocked = locked
    }

    /// A secure copy of `bytes`.
    public init(copying bytes: some Collection<UInt8>, lock: MemoryLock = .none, allocator: (any Allocator)? = nil) throws(SecureBytesError) {
        let count = bytes.count
        try self.init(zeroedCount: count, lock: lock, allocator: allocator)
        // Never past `count`, whatever a conformance's storage or iteration holds (safe code can
        // make them disagree): `copyBytes(from:)` checks that only in debug builds, and a release
        // build wrote past the block. Bytes a short source leaves stay zero.
        let target = UnsafeMutableRawBufferPointer(start: base, count: count)
        let copied: Void? = bytes.withContiguousStorageIfAvailable { elements in
            let length = Swift.min(elements.count, count)
            if let start = elements.baseAddress, let destination = target.baseAddress, length > 0 {
                destination.copyMemory(from: start, byteCount: length)
            }
        }
        if copied == nil { _ = target.initializeMemory(as: UInt8.self, from: bytes) }
    }

    private static func defaultAllocator() throws(SecureBytesError) -> any Allocator {
        do { return try ProcessDefaultAllocator.allocator() } catch { throw .backend(error) }
    }

    deinit {
        CAllocShims_secure_zero(base, allocatedCount)
        if isLocked { _ = CAllocShims_unlock_memory(base, allocatedCount) }
        allocator.deallocate(base, byteCount: allocatedCount, alignment: alignment)
    }

    /// Calls `body` with a read-only view of the secret's `count` bytes. The pointer must not
    /// escape `body`, and nothing should copy the bytes out where they would not be wiped.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with a writable view of the secret's `count` bytes. The pointer must not
    /// escape `body`.
    public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Equal length and bytes, in time that depends only on the length.
    public func constantTimeEquals(_ other: borrowing SecureBytes) -> Bool {
        count == other.count && CAllocShims_constant_time_compare(base, other.base, count) == 0
    }

    /// Compares with non-secret bytes in time that depends only on the length.
    public func constantTimeEquals(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count == count else { return false }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { CAllocShims_constant_time_compare(base, $0.baseAddress, count) == 0 }
    }
}

/// Why a secure buffer could not be made.
public enum SecureBytesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The allocator could not provide the memory.
    case allocation(AllocationError)
    /// The process default backend is unavailable.
    case backend(BackendSelectionError)
    /// mlock refused (ENOMEM: over RLIMIT_MEMLOCK; EPERM: not allowed).
    case lockFailed(errno: Int32, byteCount: Int)

    /// The underlying error's description, or the `mlock` errno with its meaning.
    public var description: String {
        switch self {
        case .allocation(let error): return error.description
        case .backend(let error): return error.description
        case .lockFailed(let code, let byteCount):
            return "mlock of \(byteCount) bytes failed (errno \(code)); raise RLIMIT_MEMLOCK (ulimit -l) or use lock: .bestEffort"
        }
    }
}

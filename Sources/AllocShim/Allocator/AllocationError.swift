/// Why an allocation request was refused. Each case names the offending value and, in its
/// description, what is allowed.
public enum AllocationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A byte count or element count below zero.
    case negativeSize(Int)
    /// An alignment that is not a power of two, or outside `1...AllocationRequest.maximumAlignment`.
    case invalidAlignment(Int)
    /// `count × stride` does not fit in an `Int`.
    case sizeOverflow(count: Int, stride: Int)
    /// A size no allocator can satisfy (above `AllocationRequest.maximumByteCount`).
    case sizeTooLarge(Int)
    /// The backend returned NULL: memory (or address space) is exhausted.
    case outOfMemory(backend: String, byteCount: Int, alignment: Int)
    /// The backend cannot serve this request in its current state (for example a destroyed arena).
    case unusable(backend: String, reason: String)

    /// One line naming the bad value and what is allowed.
    public var description: String {
        switch self {
        case .negativeSize(let size):
            return "invalid size \(size): sizes must be 0 or more"
        case .invalidAlignment(let alignment):
            return "invalid alignment \(alignment): must be a power of two from 1 to \(AllocationRequest.maximumAlignment)"
        case .sizeOverflow(let count, let stride):
            return "size overflow: \(count) × \(stride) bytes does not fit in \(Int.bitWidth)-bit Int"
        case .sizeTooLarge(let size):
            return "size \(size) is too large: at most \(AllocationRequest.maximumByteCount) bytes can be requested"
        case .outOfMemory(let backend, let byteCount, let alignment):
            return "\(backend): out of memory allocating \(byteCount) bytes (alignment \(alignment))"
        case .unusable(let backend, let reason):
            return "\(backend): \(reason)"
        }
    }
}

/// Validation shared by every backend, so each reports bad input the same way.
public enum AllocationRequest {
    /// The largest alignment accepted: 1 GiB. Larger ones are refused rather than passed to
    /// allocators that would silently fail or misbehave.
    public static let maximumAlignment = 1 << 30
    /// The largest request accepted: PTRDIFF_MAX / 2, well past any real address space, so
    /// size arithmetic inside allocators cannot overflow.
    public static let maximumByteCount = Int.max >> 1

    /// Checks a request; returns the byte count to pass to C (zero becomes one, so every
    /// allocation yields a unique block and jemalloc's `mallocx` never sees 0).
    @inlinable @inline(__always)
    public static func validated(byteCount: Int, alignment: Int) throws(AllocationError) -> Int {
        guard byteCount >= 0 else { throw .negativeSize(byteCount) }
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= maximumAlignment else {
            throw .invalidAlignment(alignment)
        }
        guard byteCount <= maximumByteCount else { throw .sizeTooLarge(byteCount) }
        return byteCount == 0 ? 1 : byteCount
    }

    /// The size the C allocator saw for a block of `byteCount` (see `validated`).
    @inlinable
    public static func cSize(_ byteCount: Int) -> Int { byteCount == 0 ? 1 : byteCount }

    /// `count × stride` with overflow and sign checks.
    public static func byteCount(count: Int, stride: Int) throws(AllocationError) -> Int {
        guard count >= 0 else { throw .negativeSize(count) }
        guard stride >= 0 else { throw .negativeSize(stride) }
        let (product, overflow) = count.multipliedReportingOverflow(by: stride)
        guard !overflow else { throw .sizeOverflow(count: count, stride: stride) }
        return product
    }
}

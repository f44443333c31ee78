import CAllocShims
/// Why a buffer operation failed.
public enum BufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The allocator could not provide the memory.
    case allocation(AllocationError)
    /// No buffer source: the backend is unavailable or a buffer setting is invalid.
    case source(BufferSourceError)
    /// Text to encode or decode was malformed or over the limit.
    case encoding(ByteEncodingError)
    /// `length` bytes at `offset` do not lie within a buffer of `count` bytes.
    case outOfBounds(offset: Int, length: Int, count: Int)
    /// A range that does not lie within a buffer of `count` bytes. Kept as bounds, never as a
    /// length: `Int.min..<Int.max` has no `Int` length.
    case rangeOutOfBounds(Range<Int>, count: Int)

    /// The underlying error's description, or the offending bounds and the buffer's size.
    public var description: String {
        switch self {
        case .allocation(let error): return error.description
        case .source(let error): return error.description
        case .encoding(let error): return error.description
        // No arithmetic on the caller's numbers here: a description must never trap.
        case .outOfBounds(let offset, let length, let count):
            return "\(length) bytes at offset \(offset) are outside the buffer of \(count) bytes (offsets 0..<\(count))"
        case .rangeOutOfBounds(let range, let count):
            return "range \(range.lowerBound)..<\(range.upperBound) is outside the buffer of \(count) bytes (allowed: within 0..<\(count))"
        }
    }
}

/// What `SharedBytes.alloc(_:fill:)` writes into a new buffer, repeated to its end.
public enum FillPattern: Sendable, Equatable {
    /// One byte, repeated.
    case byte(UInt8)
    /// A byte sequence, repeated; an empty one fills with zeros.
    case bytes([UInt8])
    /// A string in `encoding`, repeated; an empty string fills with zeros.
    case string(String, encoding: ByteEncoding = .utf8)
}

/// Runs an allocation, turning its error into a `BufferError`.
@inline(__always)
func allocating<T>(_ body: () throws(AllocationError) -> T) throws(BufferError) -> T {
    do { return try body() } catch { throw .allocation(error) }
}

@inline(__always)
func resolvedSource(_ source: BufferSource?) throws(BufferError) -> BufferSource {
    if let source { return source }
    do { return try BufferSource.processDefault() } catch { throw .source(error) }
}

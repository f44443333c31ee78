// Bytes given as a `RawSpan` (from another buffer, an array's `bytes`, or SwiftNIO's
// `ByteBuffer.readableBytesSpan`): read in place, copied once into the new buffer.

extension SharedBytes {
    /// A copy of `bytes` (Node's `Buffer.from(buffer)` for any span): one memcpy.
    public static func from(_ bytes: RawSpan, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        let count = bytes.byteCount
        return try SharedBytes(capacity: count, using: source) { output in
            bytes.withUnsafeBytes { input in
                // allocshim: uninitialized — the capacity is `count` and `copyMemory` writes all `count` bytes (none when 0) before `initialized = count`
                output.withUnsafeMutableBytes { target, initialized in
                    if let start = input.baseAddress, count > 0 { target.baseAddress!.copyMemory(from: start, byteCount: count) }
                    initialized = count
                }
            }
        }
    }
}

extension OwnedBytes {
    /// A copy of `bytes` (pooled when small, as `allocUnsafe`): one memcpy.
    public init(copying bytes: RawSpan, using source: borrowing BufferSource? = nil) throws(BufferError) {
        let count = bytes.byteCount
        try self.init(capacity: count, using: source) { output in
            bytes.withUnsafeBytes { input in
                // allocshim: uninitialized — the capacity is `count` and `copyMemory` writes all `count` bytes (none when 0) before `initialized = count`
                output.withUnsafeMutableBytes { target, initialized in
                    if let start = input.baseAddress, count > 0 { target.baseAddress!.copyMemory(from: start, byteCount: count) }
                    initialized = count
                }
            }
        }
    }
}

extension BytesBuilder {
    /// Appends `bytes`, read in place.
    public mutating func append(_ bytes: RawSpan) throws(BufferError) {
        try bytes.withUnsafeBytes { (buffer) throws(BufferError) in try append(buffer) }
    }
}

extension SecureBytes {
    /// A secure copy of `bytes`.
    public init(copying bytes: RawSpan, lock: MemoryLock = .none, allocator: (any Allocator)? = nil) throws(SecureBytesError) {
        try self.init(zeroedCount: bytes.byteCount, lock: lock, allocator: allocator)
        bytes.withUnsafeBytes { input in
            if let start = input.baseAddress, input.count > 0 { base.copyMemory(from: start, byteCount: input.count) }
        }
    }
}

/// Builds one buffer from many pieces without `concat` churn.
///
/// Joining chunks with repeated `SharedBytes.concat` copies everything received so far on
/// every append (quadratic bytes copied, one allocation per chunk). The builder keeps one
/// block and grows it geometrically with the allocator's `reallocate`, so appends cost
/// amortized O(chunk) and a message of n bytes needs O(log n) allocations. ``finish()``
/// hands the block over as the final buffer, trimmed to size, without copying.
public struct BytesBuilder: ~Copyable {
    /// Who frees the block, and through whom it grows: the built-in backends' unretained
    /// handle, or a retained user allocator (a retained shared backend object was a shared
    /// write per builder).
    private let owner: RegionOwner
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes appended so far.
    public private(set) var count = 0
    /// How many times the block had to grow (for tests and measurements).
    public private(set) var growthCount = 0

    /// A builder with room for `initialCapacity` bytes before its first growth. Zero-fill and
    /// poison modes apply to that room as to any uninitialized buffer.
    public init(initialCapacity: Int = 256, using source: borrowing BufferSource? = nil) throws(BufferError) {
        guard initialCapacity >= 0 else { throw .allocation(.negativeSize(initialCapacity)) }
        // allocshim: uninitialized — builder capacity: only the first `count` appended bytes are ever exposed (finish() trims to them)
        (base, owner) = try RegionMaker.make(Swift.max(initialCapacity, 16), .uninitializedUnpooled, from: source)
        capacity = Swift.max(initialCapacity, 16)
    }

    /// False once `finish()` has handed the block to a buffer.
    private var ownsBlock = true

    deinit {
        if ownsBlock { owner.release(base, byteCount: capacity) }
    }

    /// Appends raw bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(BufferError) {
        try reserve(additional: bytes.count)
        if let source = bytes.baseAddress { (base + count).copyMemory(from: source, byteCount: bytes.count) }
        count += bytes.count
    }

    /// Appends a buffer's bytes.
    public mutating func append(_ buffer: SharedBytes) throws(BufferError) {
        try reserve(additional: buffer.count)
        let destination = base + count
        buffer.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count += buffer.count
    }

    /// Appends a string in `encoding`.
    public mutating func append(_ text: String, encoding: ByteEncoding = .utf8) throws(BufferError) {
        let length: Int
        do { length = try TextEncoder.byteCount(of: text, as: encoding) } catch { throw .encoding(error) }
        try reserve(additional: length)
        TextEncoder.write(text, as: encoding, into: UnsafeMutableRawBufferPointer(start: base + count, count: length))
        count += length
    }

    private mutating func reserve(additional: Int) throws(BufferError) {
        let (needed, overflow) = count.addingReportingOverflow(additional)
        guard !overflow else { throw .allocation(.sizeOverflow(count: count, stride: additional)) }
        guard needed > capacity else { return }
        let newCapacity = Swift.max(needed, capacity < (Int.max >> 1) ? capacity * 2 : needed)
        let (old, oldCapacity) = (base, capacity)
        base = try allocating { () throws(AllocationError) in
            try owner.reallocateBlock(old, oldByteCount: oldCapacity, newByteCount: newCapacity)
        }
        capacity = newCapacity
        growthCount += 1
    }

    /// The bytes as one buffer, trimmed to `count` (one last `reallocate`, usually in place).
    public consuming func finish() throws(BufferError) -> SharedBytes {
        var finalBase = base
        var finalCapacity = capacity
        if count < capacity,
            let trimmed = try? owner.reallocateBlock(base, oldByteCount: capacity, newByteCount: count)
        {
            // If trimming fails the larger block is kept: still correct, just roomier.
            (finalBase, finalCapacity) = (trimmed, count)
        }
        let storage = ByteStorage(base: finalBase, byteCount: finalCapacity, owner: owner)
        ownsBlock = false  // the storage frees the block now
        return SharedBytes(storage: storage, offset: 0, count: count)
    }
}

/// A noncopyable buffer with one owner, for hot paths: no reference counting and no object
/// allocation — its cost is the allocator call (or, for small uninitialized buffers, a
/// slab cut). Freed into the allocator (or slab) that made it when it goes out of scope.
///
/// Use ``share()`` to turn it into a copyable ``SharedBytes`` without copying the bytes.
public struct OwnedBytes: ~Copyable, @unchecked Sendable {
    // @unchecked: a unique owner of its region; sending it moves the ownership.
    @usableFromInline let base: UnsafeMutableRawPointer
    /// Number of bytes.
    public let count: Int
    private var owner: RegionOwner

    @inline(__always)
    private init(count: Int, kind: RegionMaker.Kind, using source: __shared BufferSource?) throws(BufferError) {
        guard count >= 0 else { throw .allocation(.negativeSize(count)) }
        (base, owner) = try RegionMaker.make(count, kind, from: source)
        self.count = count
    }

    /// Zero-filled bytes (Node's `Buffer.alloc`).
    public init(zeroedCount count: Int, using source: borrowing BufferSource? = nil) throws(BufferError) {
        try self.init(count: count, kind: .zeroed, using: source)
    }

    /// **Uninitialized** bytes; small requests are cut from the pool (Node's `allocUnsafe`).
    /// Zeroed when zero-fill mode is on.
    public init(uninitializedCount count: Int, using source: borrowing BufferSource? = nil) throws(BufferError) {
        try self.init(count: count, kind: .uninitializedPooled, using: source)
    }

    /// **Uninitialized** bytes, never pooled (Node's `allocUnsafeSlow`).
    public init(uninitializedUnpooledCount count: Int, using source: borrowing BufferSource? = nil) throws(BufferError) {
        try self.init(count: count, kind: .uninitializedUnpooled, using: source)
    }

    deinit { owner.release(base, byteCount: count) }

    /// Moves the bytes into a shared, copyable buffer; nothing is copied.
    public consuming func share() -> SharedBytes {
        let storage = ByteStorage(base: base, byteCount: count, owner: owner)
        owner = .moved  // the storage frees the region now; this deinit must not
        return SharedBytes(storage: storage, offset: 0, count: count)
    }

    /// Calls `body` with a read-only view of the buffer's `count` bytes. The pointer must not
    /// escape `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with a writable view of the buffer's `count` bytes. The pointer must not
    /// escape `body`.
    @inlinable
    public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// The byte at `index`; traps when out of range, like `Array`. Inlinable, as `Array`'s is.
    @inlinable
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return base.load(fromByteOffset: index, as: UInt8.self)
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            base.storeBytes(of: newValue, toByteOffset: index, as: UInt8.self)
        }
    }
}

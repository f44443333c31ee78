/// A noncopyable buffer with one owner, for hot paths: no reference counting and no object
/// allocation — its cost is the allocator call (or, for small buffers, a slab cut). Freed into
/// the allocator (or slab) that made it when it goes out of scope.
///
/// The safe way to fill one is `init(capacity:using:initializingWith:)`: the closure writes into an
/// `OutputRawSpan`, and the buffer holds exactly the bytes it wrote, so uninitialized memory
/// can never be read (Node's `allocUnsafe` made safe by the type system, at its cost).
/// Use ``share()`` to turn it into a copyable ``SharedBytes`` without copying the bytes.
public struct OwnedBytes: ~Copyable, @unchecked Sendable {
    // @unchecked: a unique owner of its region; sending it moves the ownership.
    @usableFromInline let base: UnsafeMutableRawPointer
    /// Number of bytes (for the output-span initializers: the bytes the closure wrote).
    public let count: Int
    @usableFromInline var owner: RegionOwner  // share() and handOffRegion() move it out

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
    /// Zeroed when zero-fill mode is on. Prefer the output-span initializer, which cannot
    /// expose what the memory held before.
    public init(uninitializedCount count: Int, using source: borrowing BufferSource? = nil) throws(BufferError) {
        try self.init(count: count, kind: .uninitializedPooled, using: source)
    }

    /// **Uninitialized** bytes, never pooled (Node's `allocUnsafeSlow`).
    public init(uninitializedUnpooledCount count: Int, using source: borrowing BufferSource? = nil) throws(BufferError) {
        try self.init(count: count, kind: .uninitializedUnpooled, using: source)
    }

    // MARK: Output-span initializers

    /// Up to `capacity` bytes written by `body`, with no way to read what the memory held before:
    /// the buffer's ``count`` is what `body` appended to the `OutputRawSpan`, and only those bytes
    /// are readable. Small capacities are cut from the pool, as `allocUnsafe`; zero-fill and
    /// poison modes apply to the whole capacity. Unused capacity is given back at once (a pool
    /// slice's tail to the pool, a whole block shrunk by the allocator): docs/buffers.md gives
    /// the measured cost.
    @inlinable
    public init(
        capacity: Int, using source: borrowing BufferSource? = nil, initializingWith body: (inout OutputRawSpan) -> Void
    ) throws(BufferError) {
        try self.init(capacity: capacity, pooled: true, using: source, body)
    }

    /// As the non-throwing form, for a closure that throws: its error propagates unchanged,
    /// after the memory went back to its allocator (nothing allocated, nothing leaked).
    /// Allocation failures throw ``BufferError``.
    @inlinable
    public init<E: Error>(
        capacity: Int, using source: borrowing BufferSource? = nil, initializingWith body: (inout OutputRawSpan) throws(E) -> Void
    ) throws {
        try self.init(capacity: capacity, pooled: true, using: source, throwing: body)
    }

    /// Up to `capacity` bytes written by `body`, never from the pool (the `allocUnsafeSlow` form).
    @inlinable
    public init(
        unpooledCapacity capacity: Int, using source: borrowing BufferSource? = nil,
        initializingWith body: (inout OutputRawSpan) -> Void
    ) throws(BufferError) {
        try self.init(capacity: capacity, pooled: false, using: source, body)
    }

    /// As the non-throwing unpooled form, for a closure that throws.
    @inlinable
    public init<E: Error>(
        unpooledCapacity capacity: Int, using source: borrowing BufferSource? = nil,
        initializingWith body: (inout OutputRawSpan) throws(E) -> Void
    ) throws {
        try self.init(capacity: capacity, pooled: false, using: source, throwing: body)
    }

    @inlinable @inline(__always)
    init(capacity: Int, pooled: Bool, using source: __shared BufferSource?, _ body: (inout OutputRawSpan) -> Void) throws(BufferError) {
        let made = try OutputSpanInitialization.allocate(capacity, pooled: pooled, from: source)
        let buffer = OutputSpanInitialization.buffer(made, capacity: capacity)
        var output = OutputRawSpan(buffer: buffer, initializedCount: 0)
        body(&output)
        let count = output.finalize(for: buffer)
        if count == capacity {
            self.init((made.base, made.owner, count))  // the common case: no call out
        } else {
            self.init(try OutputSpanInitialization.finish(made, capacity: capacity, count: count, from: source))
        }
    }

    @inlinable @inline(__always)
    init<E: Error>(
        capacity: Int, pooled: Bool, using source: __shared BufferSource?, throwing body: (inout OutputRawSpan) throws(E) -> Void
    ) throws {
        let made = try OutputSpanInitialization.allocate(capacity, pooled: pooled, from: source)
        let buffer = OutputSpanInitialization.buffer(made, capacity: capacity)
        var output = OutputRawSpan(buffer: buffer, initializedCount: 0)
        do {
            try body(&output)
        } catch {
            OutputSpanInitialization.abandon(made, capacity: capacity)
            throw error
        }
        let count = output.finalize(for: buffer)
        if count == capacity {
            self.init((made.base, made.owner, count))  // the common case: no call out
        } else {
            self.init(try OutputSpanInitialization.finish(made, capacity: capacity, count: count, from: source))
        }
    }

    @usableFromInline
    init(_ made: OutputSpanInitialization.Region) {
        (base, owner, count) = made
    }

    deinit { owner.release(base, byteCount: count) }

    /// Moves the bytes into a shared, copyable buffer; nothing is copied.
    public consuming func share() -> SharedBytes {
        let storage = ByteStorage(base: base, byteCount: count, owner: owner)
        owner = .moved  // the storage frees the region now; this deinit must not
        return SharedBytes(storage: storage, offset: 0, count: count)
    }

    // MARK: Views

    /// Calls `body` with a read-only view of the buffer's `count` bytes. The pointer must not
    /// escape `body`. (For C interop; Swift code reads ``bytes`` or ``span``.)
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with a writable view of the buffer's `count` bytes. The pointer must not
    /// escape `body`. (For C interop; Swift code writes through ``mutableBytes`` or ``mutableSpan``.)
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

    /// Whether the buffer holds no bytes.
    @inlinable
    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    var region: ByteRegion { ByteRegion(base: base, count: count) }

    // MARK: Operations (shared with SharedBytes: one implementation, ByteRegion)

    /// Overwrites every byte with `pattern`, repeated (Node's `buf.fill`); an empty pattern fills
    /// with zeros.
    public mutating func fill(_ pattern: FillPattern) throws(BufferError) { try region.fill(pattern) }

    /// Reads a `T` at `offset`, unaligned access allowed.
    public func readInteger<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self, byteOrder: ByteOrder)
        throws(BufferError) -> T
    {
        try region.readInteger(at: offset, as: T.self, byteOrder: byteOrder)
    }

    /// Writes `value` at `offset`.
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, byteOrder: ByteOrder) throws(BufferError) {
        try region.writeInteger(value, at: offset, byteOrder: byteOrder)
    }

    /// The bytes as text in `encoding` (Node's `buf.toString(encoding)`).
    public func string(encoding: ByteEncoding = .utf8) throws(BufferError) -> String { try region.string(encoding: encoding) }

    /// A new array holding a copy of the bytes (``bytes`` is a `RawSpan` over them, no copy).
    public func copyToArray() -> [UInt8] { region.arrayCopy() }

    /// Same length and same bytes.
    public static func == (lhs: borrowing OwnedBytes, rhs: borrowing OwnedBytes) -> Bool {
        ByteRegion.equal(lhs.region, rhs.region)
    }

    /// Same length and same bytes as a shared buffer.
    public static func == (lhs: borrowing OwnedBytes, rhs: SharedBytes) -> Bool {
        withExtendedLifetime(rhs) { ByteRegion.equal(lhs.region, rhs.region) }
    }

    // OwnedBytes cannot be Equatable (it is ~Copyable), so nothing derives the mirrored `==` or
    // any `!=`: without these, `shared == owned` and `owned != other` fail to compile with a
    // diagnostic that names neither type.

    /// Same length and same bytes (the shared buffer on the left).
    public static func == (lhs: SharedBytes, rhs: borrowing OwnedBytes) -> Bool { rhs == lhs }

    /// A different length or different bytes.
    public static func != (lhs: borrowing OwnedBytes, rhs: borrowing OwnedBytes) -> Bool { !(lhs == rhs) }

    /// A different length or different bytes.
    public static func != (lhs: borrowing OwnedBytes, rhs: SharedBytes) -> Bool { !(lhs == rhs) }

    /// A different length or different bytes (the shared buffer on the left).
    public static func != (lhs: SharedBytes, rhs: borrowing OwnedBytes) -> Bool { !(rhs == lhs) }

    /// Which allocator's memory this is.
    public var allocatorName: String? { owner.allocatorName }

    /// Whether this buffer was cut from a pool slab.
    public var isPooled: Bool {
        if case .slab = owner { return true }
        return false
    }

    /// Count, allocator and pooling — never the bytes, which may be secrets.
    public var description: String {
        BufferDescription.text(type: "OwnedBytes", count: count, allocatorName: allocatorName, isPooled: isPooled)
    }
}

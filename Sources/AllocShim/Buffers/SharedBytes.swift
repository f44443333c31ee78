/// A copyable byte buffer with Node.js `Buffer` semantics, on any backend.
///
/// Copies of a `SharedBytes` value, and slices of it, share the same memory (as Node's
/// buffers do): a write through one is visible through all. Memory is freed into the
/// allocator (or slab) that made it when the last value referring to it is gone.
///
/// Making one:
/// - ``alloc(_:fill:using:)`` — zero-filled (safe default);
/// - `init(capacity:using:initializingWith:)` — written by a closure through an `OutputRawSpan`:
///   uninitialized memory that cannot be read (the safe form of `allocUnsafe`);
/// - ``allocUnsafe(_:using:)`` — uninitialized, small sizes cut from the backend's slab pool;
/// - ``allocUnsafeSlow(_:using:)`` — uninitialized, never pooled;
/// - `from(...)` — a copy of a string, byte sequence or another buffer;
/// - ``viewSharingMemory(of:keepingAlive:)`` — the only way to wrap memory without copying.
///
/// For hot paths where one owner suffices, ``OwnedBytes`` costs nothing beyond the allocator call.
///
/// **Not `Sendable`, on purpose.** Copies write through to the same bytes (Node's semantics),
/// so two tasks holding copies could race on them. Swift's region checking still lets a
/// buffer move to another task when nothing else refers to it (`sending`: build it, hand it
/// over, stop using it). To share bytes across tasks, send an ``OwnedBytes`` (unique) or a
/// copy (`Data`, `[UInt8]`). See docs/design.md, "Buffers and concurrency".
public struct SharedBytes {
    @usableFromInline var storage: ByteStorage
    /// Byte offset of this buffer's first byte within `storage`.
    @usableFromInline let offset: Int
    /// Number of bytes.
    public let count: Int

    @usableFromInline
    init(storage: ByteStorage, offset: Int, count: Int) {
        self.storage = storage
        self.offset = offset
        self.count = count
    }

    @inline(__always)
    init(count: Int, kind: RegionMaker.Kind, using source: __shared BufferSource?) throws(BufferError) {
        guard count >= 0 else { throw .allocation(.negativeSize(count)) }
        let (base, owner) = try RegionMaker.make(count, kind, from: source)
        self.init(storage: ByteStorage(base: base, byteCount: count, owner: owner), offset: 0, count: count)
    }

    @usableFromInline
    init(_ made: OutputSpanInitialization.Region) {
        self.init(storage: ByteStorage(base: made.base, byteCount: made.count, owner: made.owner), offset: 0, count: made.count)
    }

    /// Up to `capacity` bytes written by `body`, with no way to read what the memory held before:
    /// ``count`` is what `body` appended to the `OutputRawSpan`. Small capacities are cut from the
    /// pool, as ``allocUnsafe(_:using:)``; zero-fill and poison modes apply to the whole capacity;
    /// unused capacity is given back at once (docs/buffers.md).
    @inlinable
    public init(
        capacity: Int, using source: BufferSource? = nil, initializingWith body: (inout OutputRawSpan) -> Void
    ) throws(BufferError) {
        self = (try OwnedBytes(capacity: capacity, pooled: true, using: source, body).share())
    }

    /// As the non-throwing form, for a closure that throws: its error propagates unchanged, after
    /// the memory went back to its allocator. Allocation failures throw ``BufferError``.
    @inlinable
    public init<E: Error>(
        capacity: Int, using source: BufferSource? = nil, initializingWith body: (inout OutputRawSpan) throws(E) -> Void
    ) throws {
        self = (try OwnedBytes(capacity: capacity, pooled: true, using: source, throwing: body).share())
    }

    /// Up to `capacity` bytes written by `body`, never from the pool (the `allocUnsafeSlow` form).
    @inlinable
    public init(
        unpooledCapacity capacity: Int, using source: BufferSource? = nil, initializingWith body: (inout OutputRawSpan) -> Void
    ) throws(BufferError) {
        self = (try OwnedBytes(capacity: capacity, pooled: false, using: source, body).share())
    }

    /// As the non-throwing unpooled form, for a closure that throws.
    @inlinable
    public init<E: Error>(
        unpooledCapacity capacity: Int, using source: BufferSource? = nil,
        initializingWith body: (inout OutputRawSpan) throws(E) -> Void
    ) throws {
        self = (try OwnedBytes(capacity: capacity, pooled: false, using: source, throwing: body).share())
    }

    /// The first byte (valid for `count` bytes).
    @inline(__always)
    @usableFromInline var baseAddress: UnsafeMutableRawPointer { storage.base + offset }

    // MARK: Node's allocation forms

    /// A zero-filled buffer (Node's `Buffer.alloc`), optionally filled with a repeated pattern.
    public static func alloc(_ count: Int, fill: FillPattern? = nil, using source: BufferSource? = nil)
        throws(BufferError) -> SharedBytes
    {
        let buffer = try SharedBytes(count: count, kind: .zeroed, using: source)
        if let fill { try buffer.fill(fill) }
        return buffer
    }

    /// An **uninitialized** buffer (Node's `Buffer.allocUnsafe`): it may hold another request's
    /// secrets until you overwrite every byte. Requests under half a slab are cut from the
    /// backend's pool. Zeroed instead when zero-fill mode is on.
    public static func allocUnsafe(_ count: Int, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        try SharedBytes(count: count, kind: .uninitializedPooled, using: source)
    }

    /// An **uninitialized** buffer that never comes from the pool (Node's `Buffer.allocUnsafeSlow`).
    public static func allocUnsafeSlow(_ count: Int, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        try SharedBytes(count: count, kind: .uninitializedUnpooled, using: source)
    }

    /// A copy of `text` in `encoding` (Node's `Buffer.from(string, encoding)`).
    /// Malformed hex/base64 or unrepresentable latin1/ascii is rejected before allocating.
    public static func from(_ text: String, encoding: ByteEncoding = .utf8, using source: BufferSource? = nil)
        throws(BufferError) -> SharedBytes
    {
        let count: Int
        do { count = try TextEncoder.byteCount(of: text, as: encoding) } catch { throw .encoding(error) }
        let buffer = try SharedBytes(count: count, kind: .uninitializedPooled, using: source)
        TextEncoder.write(text, as: encoding, into: buffer.mutableRawBuffer)
        return buffer
    }

    /// A copy of `bytes` (Node's `Buffer.from(array)`): one memcpy. Not generic, so the array is
    /// borrowed: the generic form's call site retained it (a shared write when the array is a
    /// constant every thread uses; counted by scripts/check-shared-writes.sh).
    public static func from(_ bytes: [UInt8], using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        let buffer = try SharedBytes(count: bytes.count, kind: .uninitializedPooled, using: source)
        bytes.withUnsafeBytes { elements in
            if let start = elements.baseAddress { buffer.baseAddress.copyMemory(from: start, byteCount: elements.count) }
        }
        return buffer
    }

    /// A copy of `bytes` (Node's `Buffer.from(array)`). The buffer has `bytes.count` bytes; a
    /// conformance whose contiguous storage or iteration holds more is cut there, one that holds
    /// fewer leaves the rest zero (never unwritten memory).
    public static func from(_ bytes: some Collection<UInt8>, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        let count = bytes.count
        let buffer = try SharedBytes(count: count, kind: .uninitializedPooled, using: source)
        // Contiguous input (arrays, Data, buffers) is one memcpy: the generic element-wise copy
        // ran unspecialized here and cost a heap-allocated iteration frame per byte (101
        // mallocs for 100 bytes, counted by scripts/check-shared-writes.sh). A Collection's
        // count, storage and iteration can disagree in safe code (a faulty conformance): the
        // storage's own count wrote past a 10,000-byte block by 8 KiB, and a short iteration
        // left pool memory readable.
        let written =
            bytes.withContiguousStorageIfAvailable { elements in
                let length = Swift.min(elements.count, count)
                if let start = elements.baseAddress, length > 0 { buffer.baseAddress.copyMemory(from: start, byteCount: length) }
                return length
            } ?? buffer.mutableRawBuffer.initializeMemory(as: UInt8.self, from: bytes).initialized.count
        if written < count { (buffer.baseAddress + written).initializeMemory(as: UInt8.self, repeating: 0, count: count - written) }
        return buffer
    }

    /// A copy of another buffer (Node's `Buffer.from(buffer)`), into `source`'s memory.
    public static func from(_ other: SharedBytes, using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        let buffer = try SharedBytes(count: other.count, kind: .uninitializedPooled, using: source)
        buffer.baseAddress.copyMemory(from: other.baseAddress, byteCount: other.count)
        return buffer
    }

    /// Decodes untrusted base64/hex (or any encoding) text, refusing — before allocating
    /// anything — input that is malformed or would decode to more than `maxDecodedBytes`.
    public static func decoding(
        _ text: String, as encoding: ByteEncoding, maxDecodedBytes: Int, using source: BufferSource? = nil
    ) throws(BufferError) -> SharedBytes {
        // The length alone bounds the decoded size from below: refuse huge input unscanned.
        let lengthBound: Int
        switch encoding {
        case .hex: lengthBound = text.utf8.count / 2
        case .base64, .base64url: lengthBound = Swift.max(0, text.utf8.count - 2) / 4 * 3
        case .utf8, .latin1, .ascii, .utf16le: lengthBound = 0
        }
        guard lengthBound <= maxDecodedBytes else {
            throw .encoding(.decodedSizeOverLimit(encoding: encoding, decodedBytes: lengthBound, limit: maxDecodedBytes))
        }
        let count: Int
        do { count = try TextEncoder.byteCount(of: text, as: encoding) } catch { throw .encoding(error) }
        guard count <= maxDecodedBytes else {
            throw .encoding(.decodedSizeOverLimit(encoding: encoding, decodedBytes: count, limit: maxDecodedBytes))
        }
        let buffer = try SharedBytes(count: count, kind: .uninitializedUnpooled, using: source)
        TextEncoder.write(text, as: encoding, into: buffer.mutableRawBuffer)
        return buffer
    }

    /// Wraps memory owned elsewhere **without copying**: the result shares that memory, and
    /// changes to it show through (the hazard of Node's `Buffer.from(arrayBuffer)`, made
    /// explicit). `keepingAlive` is retained as long as the view exists.
    /// - Precondition: `memory` stays valid while the view or any slice of it exists.
    public static func viewSharingMemory(of memory: UnsafeMutableRawBufferPointer, keepingAlive owner: AnyObject? = nil)
        -> SharedBytes
    {
        let base = memory.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!  // empty views never dereference
        return SharedBytes(storage: ByteStorage(base: base, byteCount: memory.count, owner: .view(keepAlive: owner)), offset: 0, count: memory.count)
    }

    // MARK: Views of this buffer

    /// A buffer sharing `range` of this one's memory (Node's `buf.subarray`). Writes through
    /// either are visible in both, and the whole original region stays allocated while the
    /// slice lives. Use `from(_:)` on the slice for an independent copy.
    public func slice(_ range: Range<Int>) throws(BufferError) -> SharedBytes {
        guard range.lowerBound >= 0, range.upperBound <= count else { throw .rangeOutOfBounds(range, count: count) }
        // Within 0...count now, so neither the length nor the offset can overflow.
        return SharedBytes(storage: storage, offset: offset + range.lowerBound, count: range.upperBound - range.lowerBound)
    }

    /// Whether two buffers share any memory.
    public func sharesMemory(with other: SharedBytes) -> Bool {
        storage === other.storage && offset < other.offset + other.count && other.offset < offset + count
    }

    var mutableRawBuffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: baseAddress, count: count) }

    /// Calls `body` with the bytes. The pointer must not escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(storage) { () throws(E) -> R in try body(UnsafeRawBufferPointer(mutableRawBuffer)) }
    }

    /// Calls `body` with writable bytes. The pointer must not escape `body`.
    public func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(storage) { () throws(E) -> R in try body(mutableRawBuffer) }
    }

    /// Which allocator's memory this is (`nil` for views of external memory).
    public var allocatorName: String? { storage.owner.allocatorName }

    /// Whether this buffer was cut from a pool slab.
    public var isPooled: Bool {
        if case .slab = storage.owner { return true }
        return false
    }
}

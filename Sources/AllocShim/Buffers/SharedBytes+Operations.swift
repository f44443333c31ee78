// Filling, copying, joining, comparing and converting SharedBytes.

extension SharedBytes {
    /// This view's bytes for the shared operations (callers keep `storage` alive).
    @inline(__always) @usableFromInline
    var region: ByteRegion { ByteRegion(base: baseAddress, count: count) }

    /// Overwrites every byte with `pattern`, repeated (Node's `buf.fill`). An empty pattern
    /// fills with zeros, as Node does.
    public func fill(_ pattern: FillPattern) throws(BufferError) {
        try withExtendedLifetime(storage) { () throws(BufferError) in try region.fill(pattern) }
    }

    /// Copies bytes `sourceRange` of this buffer into `target` at `targetStart` (Node's
    /// `buf.copy`), returning how many were copied. Overlapping regions are handled.
    @discardableResult
    public func copy(to target: SharedBytes, at targetStart: Int = 0, from sourceRange: Range<Int>? = nil) throws(BufferError) -> Int {
        let range = sourceRange ?? 0..<count
        guard range.lowerBound >= 0, range.upperBound <= count else { throw .rangeOutOfBounds(range, count: count) }
        let requested = range.upperBound - range.lowerBound  // within 0...count after the check
        guard targetStart >= 0, targetStart <= target.count else {
            throw .outOfBounds(offset: targetStart, length: requested, count: target.count)
        }
        let length = Swift.min(requested, target.count - targetStart)
        // memmove semantics: source and target may be slices of one region.
        UnsafeMutableRawPointer(target.baseAddress + targetStart)
            .copyMemory(from: baseAddress + range.lowerBound, byteCount: length)
        withExtendedLifetime((self, target)) {}
        return length
    }

    /// One new buffer holding all of `buffers` in order (Node's `Buffer.concat`): a single
    /// allocation. To build a message from many chunks, prefer ``BytesBuilder``, which avoids
    /// re-copying everything on every append.
    public static func concat(_ buffers: [SharedBytes], using source: BufferSource? = nil) throws(BufferError) -> SharedBytes {
        var total = 0
        for buffer in buffers {
            let (sum, overflow) = total.addingReportingOverflow(buffer.count)
            guard !overflow else { throw .allocation(.sizeOverflow(count: buffers.count, stride: buffer.count)) }
            total = sum
        }
        let result = try SharedBytes(count: total, kind: .uninitializedPooled, using: source)
        var offset = 0
        for buffer in buffers {
            (result.baseAddress + offset).copyMemory(from: buffer.baseAddress, byteCount: buffer.count)
            offset += buffer.count
        }
        withExtendedLifetime(buffers) {}
        return result
    }

    /// The bytes as text in `encoding` (Node's `buf.toString(encoding)`).
    public func string(encoding: ByteEncoding = .utf8) throws(BufferError) -> String {
        try withExtendedLifetime(storage) { () throws(BufferError) in try region.string(encoding: encoding) }
    }

    /// A new array holding a copy of the bytes (``bytes`` is a `RawSpan` over them, no copy).
    public func copyToArray() -> [UInt8] {
        withExtendedLifetime(storage) { region.arrayCopy() }
    }
}

/// Equality, order and hashing are over the bytes, at the moment of the call. The bytes are
/// shared and mutable (a write through any copy or slice shows in all), so a buffer used as a
/// `Set` element or `Dictionary` key must not be written afterwards — as with any key whose
/// hash can change. Use ``copyToArray()`` or an ``OwnedBytes`` for keys that must stay put.
extension SharedBytes: Equatable, Hashable, Comparable {
    /// Same length and same bytes (Node's `buf.equals`).
    public static func == (lhs: SharedBytes, rhs: SharedBytes) -> Bool {
        withExtendedLifetime((lhs, rhs)) { ByteRegion.equal(lhs.region, rhs.region) }
    }

    /// Byte-wise order, shorter first on a common prefix (Node's `Buffer.compare`).
    public static func < (lhs: SharedBytes, rhs: SharedBytes) -> Bool { compare(lhs, rhs) < 0 }

    /// Hashes the bytes, consistent with `==`: views with equal bytes hash alike.
    public func hash(into hasher: inout Hasher) {
        withExtendedLifetime(storage) { region.hash(into: &hasher) }
    }

    /// -1, 0 or 1, as Node's `Buffer.compare`.
    public static func compare(_ lhs: SharedBytes, _ rhs: SharedBytes) -> Int {
        withExtendedLifetime((lhs, rhs)) { ByteRegion.compare(lhs.region, rhs.region) }
    }
}

extension SharedBytes: RandomAccessCollection, MutableCollection {
    /// Always 0: indices are offsets into this view, not into the underlying storage.
    public var startIndex: Int { 0 }
    /// The view's byte count.
    public var endIndex: Int { count }

    /// The byte at `index`; traps when out of range, like `Array`. Writes are shared with
    /// every view of the same memory.
    /// Inlinable: a byte access in a caller's loop should not be a call (measured: 7% of a
    /// 100-byte buffer's time in `allocshim threads --form shared-unsafe`).
    @inlinable
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return withExtendedLifetime(storage) { baseAddress.load(fromByteOffset: index, as: UInt8.self) }
        }
        nonmutating set {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            withExtendedLifetime(storage) { baseAddress.storeBytes(of: newValue, toByteOffset: index, as: UInt8.self) }
        }
    }

    /// Calls `body` with the bytes: they are always contiguous, so this never returns `nil`.
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: baseAddress.assumingMemoryBound(to: UInt8.self), count: count))
        }
    }
}

// Filling, copying, joining, comparing and converting SharedBytes.

extension SharedBytes {
    /// Overwrites every byte with `pattern`, repeated (Node's `buf.fill`). An empty pattern
    /// fills with zeros, as Node does.
    public func fill(_ pattern: FillPattern) throws(BufferError) {
        switch pattern {
        case .byte(let byte):
            baseAddress.initializeMemory(as: UInt8.self, repeating: byte, count: count)
        case .bytes(let bytes):
            bytes.withUnsafeBytes { repeatPattern($0) }
        case .string(let text, let encoding):
            let length: Int
            do { length = try TextEncoder.byteCount(of: text, as: encoding) } catch { throw .encoding(error) }
            // allocshim: uninitialized — TextEncoder.write fills exactly `length` bytes, the size byteCount(of:as:) computed for this text
            let pattern = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
                TextEncoder.write(text, as: encoding, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = length
            }
            pattern.withUnsafeBytes { repeatPattern($0) }
        }
    }

    private func repeatPattern(_ pattern: UnsafeRawBufferPointer) {
        guard let source = pattern.baseAddress, pattern.count > 0 else {
            baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            return
        }
        var written = 0
        while written < count {
            let chunk = Swift.min(pattern.count, count - written)
            (baseAddress + written).copyMemory(from: source, byteCount: chunk)
            written += chunk
        }
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
        checkExposure(convertingTo: "String")
        do {
            return try withUnsafeBytes { (bytes) throws(ByteEncodingError) in try TextEncoder.string(from: bytes, as: encoding) }
        } catch {
            throw .encoding(error)
        }
    }

    /// A new array holding a copy of the bytes.
    public var bytes: [UInt8] {
        checkExposure(convertingTo: "[UInt8]")
        return withUnsafeBytes { Array($0) }
    }
}

extension SharedBytes: Equatable, Hashable, Comparable {
    /// Same length and same bytes (Node's `buf.equals`).
    public static func == (lhs: SharedBytes, rhs: SharedBytes) -> Bool {
        lhs.count == rhs.count && compare(lhs, rhs) == 0
    }

    /// Byte-wise order, shorter first on a common prefix (Node's `Buffer.compare`).
    public static func < (lhs: SharedBytes, rhs: SharedBytes) -> Bool { compare(lhs, rhs) < 0 }

    /// Hashes the bytes, consistent with `==`: views with equal bytes hash alike.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// -1, 0 or 1, as Node's `Buffer.compare`.
    public static func compare(_ lhs: SharedBytes, _ rhs: SharedBytes) -> Int {
        let common = Swift.min(lhs.count, rhs.count)
        let order = common == 0 ? 0 : Int(memcmpBytes(lhs.baseAddress, rhs.baseAddress, common))
        withExtendedLifetime((lhs, rhs)) {}
        if order != 0 { return order < 0 ? -1 : 1 }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeMutableRawPointer, _ b: UnsafeMutableRawPointer, _ count: Int) -> Int32 {
    UnsafeRawBufferPointer(start: a, count: count).withMemoryRebound(to: UInt8.self) { left in
        UnsafeRawBufferPointer(start: b, count: count).withMemoryRebound(to: UInt8.self) { right in
            for index in 0..<count where left[index] != right[index] {
                return left[index] < right[index] ? -1 : 1
            }
            return 0
        }
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

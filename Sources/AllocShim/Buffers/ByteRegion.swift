/// The byte operations ``SharedBytes`` and ``OwnedBytes`` have in common, written once over the
/// initialized bytes of one region (`count` bytes at `base`). Every caller keeps the memory
/// alive across the call (`withExtendedLifetime` of a storage, or a borrowed `OwnedBytes`).
///
/// Invariant: `base` is valid for reads and writes of `count` initialized bytes for the whole
/// call; `count >= 0`. Range checks happen here, so callers pass the caller's numbers unchanged.
@usableFromInline
struct ByteRegion {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let count: Int

    @inline(__always) @usableFromInline
    init(base: UnsafeMutableRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    var mutableRaw: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Overwrites every byte with `pattern`, repeated; an empty pattern fills with zeros (Node).
    func fill(_ pattern: FillPattern) throws(BufferError) {
        switch pattern {
        case .byte(let byte):
            base.initializeMemory(as: UInt8.self, repeating: byte, count: count)
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
            base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            return
        }
        var written = 0
        while written < count {
            let chunk = Swift.min(pattern.count, count - written)
            (base + written).copyMemory(from: source, byteCount: chunk)
            written += chunk
        }
    }

    /// Throws unless `length` bytes at `offset` lie within the region (no overflow: `count - length`
    /// cannot overflow for the fixed-width sizes callers pass).
    @inline(__always)
    func checkRange(_ offset: Int, _ length: Int) throws(BufferError) {
        guard offset >= 0, offset <= count - length else { throw .outOfBounds(offset: offset, length: length, count: count) }
    }

    /// A `T` at `offset`, unaligned access allowed.
    @inline(__always)
    func readInteger<T: FixedWidthInteger>(at offset: Int, as type: T.Type, byteOrder: ByteOrder) throws(BufferError) -> T {
        try checkRange(offset, MemoryLayout<T>.size)
        let raw = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        return byteOrder == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// Writes `value` at `offset`, unaligned access allowed.
    @inline(__always)
    func writeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, byteOrder: ByteOrder) throws(BufferError) {
        try checkRange(offset, MemoryLayout<T>.size)
        let raw = byteOrder == .big ? value.bigEndian : value.littleEndian
        base.storeBytes(of: raw, toByteOffset: offset, as: T.self)
    }

    /// The bytes as text in `encoding`; reports exposures first (poison mode only).
    func string(encoding: ByteEncoding) throws(BufferError) -> String {
        ExposureMonitor.check(base, count: count, conversion: "String")
        do { return try TextEncoder.string(from: raw, as: encoding) } catch { throw .encoding(error) }
    }

    /// A new array holding a copy of the bytes; reports exposures first (poison mode only).
    func arrayCopy() -> [UInt8] {
        ExposureMonitor.check(base, count: count, conversion: "[UInt8]")
        return Array(raw)
    }

    /// -1, 0 or 1: byte-wise order, shorter first on a common prefix (Node's `Buffer.compare`).
    static func compare(_ lhs: ByteRegion, _ rhs: ByteRegion) -> Int {
        let common = Swift.min(lhs.count, rhs.count)
        var order: Int32 = 0
        if common > 0 {
            order = UnsafeRawBufferPointer(start: lhs.base, count: common).withMemoryRebound(to: UInt8.self) { left in
                UnsafeRawBufferPointer(start: rhs.base, count: common).withMemoryRebound(to: UInt8.self) { right in
                    for index in 0..<common where left[index] != right[index] {
                        return left[index] < right[index] ? -1 : 1
                    }
                    return 0
                }
            }
        }
        if order != 0 { return order < 0 ? -1 : 1 }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }

    /// Same length and same bytes.
    static func equal(_ lhs: ByteRegion, _ rhs: ByteRegion) -> Bool {
        lhs.count == rhs.count && compare(lhs, rhs) == 0
    }

    func hash(into hasher: inout Hasher) { hasher.combine(bytes: raw) }
}

/// Byte order for integer reads and writes; there is no implicit default. (Named so that it does
/// not collide with NIOCore's `Endianness` in a file that imports both.)
public enum ByteOrder: Sendable, Hashable {
    case big, little
}

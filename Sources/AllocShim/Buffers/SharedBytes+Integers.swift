/// Byte order for integer reads and writes; there is no implicit default.
public enum Endianness: Sendable {
    case big, little
}

extension SharedBytes {
    /// Reads a `T` at `offset` (Node's `readUInt32BE` and friends), unaligned access allowed.
    public func readInteger<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self, endianness: Endianness)
        throws(BufferError) -> T
    {
        try checkRange(offset, MemoryLayout<T>.size)
        let raw = withExtendedLifetime(storage) { baseAddress.loadUnaligned(fromByteOffset: offset, as: T.self) }
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// Writes `value` at `offset` (Node's `writeUInt32BE` and friends).
    public func writeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, endianness: Endianness) throws(BufferError) {
        try checkRange(offset, MemoryLayout<T>.size)
        let raw = endianness == .big ? value.bigEndian : value.littleEndian
        withExtendedLifetime(storage) { baseAddress.storeBytes(of: raw, toByteOffset: offset, as: T.self) }
    }

    private func checkRange(_ offset: Int, _ length: Int) throws(BufferError) {
        guard offset >= 0, offset <= count - length else { throw .outOfBounds(offset: offset, length: length, count: count) }
    }
}

extension SharedBytes {
    /// Reads a `T` at `offset` (Node's `readUInt32BE` and friends), unaligned access allowed.
    public func readInteger<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self, byteOrder: ByteOrder)
        throws(BufferError) -> T
    {
        try withExtendedLifetime(storage) { () throws(BufferError) in try region.readInteger(at: offset, as: T.self, byteOrder: byteOrder) }
    }

    /// Writes `value` at `offset` (Node's `writeUInt32BE` and friends).
    public func writeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, byteOrder: ByteOrder) throws(BufferError) {
        try withExtendedLifetime(storage) { () throws(BufferError) in try region.writeInteger(value, at: offset, byteOrder: byteOrder) }
    }
}

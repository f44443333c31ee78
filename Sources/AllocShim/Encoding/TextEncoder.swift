/// Strings to bytes, in two steps so a caller can size (and refuse) before allocating:
/// `byteCount` validates the whole input and returns the exact encoded size, `write`
/// fills memory already known to be large enough.
enum TextEncoder {
    /// The exact number of bytes `text` encodes to, after validating all of it.
    static func byteCount(of text: String, as encoding: ByteEncoding) throws(ByteEncodingError) -> Int {
        switch encoding {
        case .utf8:
            return text.utf8.count
        case .utf16le:
            return text.utf16.count * 2
        case .latin1, .ascii:
            let limit: UInt32 = encoding == .latin1 ? 0xFF : 0x7F
            var count = 0
            for scalar in text.unicodeScalars {
                guard scalar.value <= limit else {
                    throw .invalidCharacter(encoding: encoding, character: String(scalar), offset: count)
                }
                count += 1
            }
            return count
        case .hex:
            return try HexCodec.decodedByteCount(text.utf8)
        case .base64, .base64url:
            return try Base64Codec.decodedByteCount(text.utf8, alphabet: encoding)
        }
    }

    /// Writes `text` (already validated by `byteCount`) into `destination`.
    static func write(_ text: String, as encoding: ByteEncoding, into destination: UnsafeMutableRawBufferPointer) {
        switch encoding {
        case .utf8:
            // Native strings are contiguous UTF-8: one memcpy. Others are copied unit by unit.
            let copied: Void? = text.utf8.withContiguousStorageIfAvailable { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(source))
            }
            if copied == nil { _ = destination.initializeMemory(as: UInt8.self, from: text.utf8) }
        case .utf16le:
            var offset = 0
            for unit in text.utf16 {
                destination.storeBytes(of: unit.littleEndian, toByteOffset: offset, as: UInt16.self)
                offset += 2
            }
        case .latin1, .ascii:
            var offset = 0
            for scalar in text.unicodeScalars {
                destination[offset] = UInt8(truncatingIfNeeded: scalar.value)
                offset += 1
            }
        case .hex:
            HexCodec.decode(text.utf8, into: destination)
        case .base64, .base64url:
            Base64Codec.decode(text.utf8, alphabet: encoding, into: destination)
        }
    }

    /// Bytes to text. utf8 repairs invalid sequences with U+FFFD (as Node does); the other
    /// decodings that can fail throw instead of guessing.
    static func string(from bytes: UnsafeRawBufferPointer, as encoding: ByteEncoding) throws(ByteEncodingError) -> String {
        switch encoding {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .utf16le:
            guard bytes.count % 2 == 0 else { throw .invalidLength(encoding: .utf16le, length: bytes.count) }
            let units = stride(from: 0, to: bytes.count, by: 2).map {
                UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0, as: UInt16.self))
            }
            return String(decoding: units, as: UTF16.self)
        case .latin1:
            var result = String.UnicodeScalarView()
            for byte in bytes { result.append(Unicode.Scalar(byte)) }
            return String(result)
        case .ascii:
            for (offset, byte) in bytes.enumerated() where byte > 0x7F {
                throw .invalidByte(encoding: .ascii, byte: byte, offset: offset)
            }
            return String(decoding: bytes, as: UTF8.self)
        case .hex:
            return HexCodec.encode(bytes)
        case .base64, .base64url:
            return Base64Codec.encode(bytes, alphabet: encoding)
        }
    }
}

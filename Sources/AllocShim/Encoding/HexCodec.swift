/// Hex digits ↔ bytes.
enum HexCodec {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Validates every character and returns the decoded size; allocates nothing.
    static func decodedByteCount(_ text: String.UTF8View) throws(ByteEncodingError) -> Int {
        guard text.count % 2 == 0 else { throw .invalidLength(encoding: .hex, length: text.count) }
        for (offset, character) in text.enumerated() where value(of: character) == nil {
            throw .invalidCharacter(encoding: .hex, character: String(decoding: [character], as: UTF8.self), offset: offset)
        }
        return text.count / 2
    }

    /// Decodes validated hex into `destination`.
    static func decode(_ text: String.UTF8View, into destination: UnsafeMutableRawBufferPointer) {
        var high: UInt8 = 0
        var offset = 0
        for (index, character) in text.enumerated() {
            let nibble = value(of: character)!
            if index & 1 == 0 {
                high = nibble
            } else {
                destination[offset] = high << 4 | nibble
                offset += 1
            }
        }
    }

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        // allocshim: uninitialized — two digits are written for every input byte, exactly bytes.count * 2
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            for (index, byte) in bytes.enumerated() {
                output[2 * index] = digits[Int(byte >> 4)]
                output[2 * index + 1] = digits[Int(byte & 0xF)]
            }
            return bytes.count * 2
        }
    }

    @inline(__always)
    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

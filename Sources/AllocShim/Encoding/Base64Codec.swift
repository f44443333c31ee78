/// RFC 4648 base64 and base64url ↔ bytes, strict: no whitespace, padding only at the end.
enum Base64Codec {
    private static let standard: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Validates every character and the padding, and returns the decoded size; allocates nothing.
    static func decodedByteCount(_ text: String.UTF8View, alphabet: ByteEncoding) throws(ByteEncodingError) -> Int {
        let length = text.count
        var padding = 0
        for (offset, character) in text.enumerated() {
            if character == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { throw .invalidPadding(encoding: alphabet, offset: offset) }
            guard value(of: character, alphabet: alphabet) != nil else {
                throw .invalidCharacter(encoding: alphabet, character: String(decoding: [character], as: UTF8.self), offset: offset)
            }
        }
        let significant = length - padding
        guard significant % 4 != 1 else { throw .invalidLength(encoding: alphabet, length: length) }
        // Padding, when present, must complete the last quantum exactly.
        if padding > 0, padding > 2 || length % 4 != 0 || (significant % 4 == 0) || (4 - significant % 4) != padding {
            throw .invalidPadding(encoding: alphabet, offset: significant)
        }
        return significant / 4 * 3 + max(0, significant % 4 - 1)
    }

    /// Decodes validated input into `destination`.
    static func decode(_ text: String.UTF8View, alphabet: ByteEncoding, into destination: UnsafeMutableRawBufferPointer) {
        var accumulator: UInt32 = 0
        var bits = 0
        var offset = 0
        for character in text {
            guard let sextet = value(of: character, alphabet: alphabet) else { break }  // '='
            accumulator = accumulator << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                destination[offset] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                offset += 1
            }
        }
    }

    static func encode(_ bytes: UnsafeRawBufferPointer, alphabet: ByteEncoding) -> String {
        let table = alphabet == .base64url ? urlSafe : standard
        let padded = alphabet == .base64
        let full = bytes.count / 3 * 4
        let tail = bytes.count % 3
        let length = full + (tail == 0 ? 0 : (padded ? 4 : tail + 1))
        // allocshim: uninitialized — `out` counts every byte written, so the result covers exactly the written prefix (the full encoded length)
        return String(unsafeUninitializedCapacity: length) { output in
            var out = 0
            var index = 0
            while index + 3 <= bytes.count {
                let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                for shift in stride(from: 18, through: 0, by: -6) {
                    output[out] = table[Int(chunk >> UInt32(shift) & 0x3F)]
                    out += 1
                }
                index += 3
            }
            if tail > 0 {
                let chunk = UInt32(bytes[index]) << 16 | (tail == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                for position in 0...tail {
                    output[out] = table[Int(chunk >> UInt32(18 - 6 * position) & 0x3F)]
                    out += 1
                }
                if padded {
                    for _ in tail..<3 {
                        output[out] = UInt8(ascii: "=")
                        out += 1
                    }
                }
            }
            return out
        }
    }

    @inline(__always)
    private static func value(of character: UInt8, alphabet: ByteEncoding) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .base64: return 62
        case UInt8(ascii: "/") where alphabet == .base64: return 63
        case UInt8(ascii: "-") where alphabet == .base64url: return 62
        case UInt8(ascii: "_") where alphabet == .base64url: return 63
        default: return nil
        }
    }
}

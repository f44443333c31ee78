/// The text encodings buffers convert from and to (Node's `BufferEncoding` subset).
///
/// Unlike Node, malformed input is an error rather than silently truncated or skipped:
/// hex needs an even number of hex digits, base64 needs the standard alphabet with correct
/// padding, latin1 and ascii refuse characters they cannot represent.
public enum ByteEncoding: String, CaseIterable, Sendable, Codable {
    /// UTF-8. Decoding replaces invalid sequences with U+FFFD, as Node does.
    case utf8
    /// UTF-16, little-endian, no byte-order mark.
    case utf16le
    /// ISO-8859-1: one byte per character U+0000...U+00FF.
    case latin1
    /// 7-bit ASCII: one byte per character U+0000...U+007F.
    case ascii
    /// Two hex digits per byte; either case on input, lowercase on output.
    case hex
    /// RFC 4648 §4, with `=` padding on output; input padding must be correct if present.
    case base64
    /// RFC 4648 §5 (`-` and `_`), no padding on output; padding accepted on input.
    case base64url

    /// Parses an encoding name as Node spells it ("utf-8" and "binary" included).
    public init(name: String) throws(ByteEncodingError) {
        switch name.lowercased() {
        case "utf8", "utf-8": self = .utf8
        case "utf16le", "utf-16le", "ucs2", "ucs-2": self = .utf16le
        case "latin1", "binary": self = .latin1
        case "ascii": self = .ascii
        case "hex": self = .hex
        case "base64": self = .base64
        case "base64url": self = .base64url
        default: throw .unknownEncoding(name)
        }
    }
}

/// Malformed or over-limit encoded input. Each case names the offending value.
public enum ByteEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a name `ByteEncoding(name:)` accepts.
    case unknownEncoding(String)
    /// A character the encoding cannot represent or does not allow, at a character offset.
    case invalidCharacter(encoding: ByteEncoding, character: String, offset: Int)
    /// Input whose length cannot be valid (odd hex, base64 of length 4k+1, odd UTF-16 bytes).
    case invalidLength(encoding: ByteEncoding, length: Int)
    /// `=` anywhere but at the end, or more of it than the length allows.
    case invalidPadding(encoding: ByteEncoding, offset: Int)
    /// The decoded size would exceed the caller's limit; found before allocating anything.
    case decodedSizeOverLimit(encoding: ByteEncoding, decodedBytes: Int, limit: Int)
    /// Bytes that do not decode as text in this encoding (e.g. a byte ≥ 0x80 as ascii).
    case invalidByte(encoding: ByteEncoding, byte: UInt8, offset: Int)

    /// One line naming the encoding, the bad input and what is allowed.
    public var description: String {
        switch self {
        case .unknownEncoding(let name):
            return "unknown encoding '\(name)'; valid encodings are: \(ByteEncoding.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidCharacter(let encoding, let character, let offset):
            return "\(encoding.rawValue): invalid character \(character.debugDescription) at offset \(offset)"
        case .invalidLength(let encoding, let length):
            let rule: String
            switch encoding {
            case .hex: rule = "an even number of hex digits"
            case .base64, .base64url: rule = "a length that is not 1 more than a multiple of 4"
            default: rule = "an even number of bytes"
            }
            return "\(encoding.rawValue): invalid length \(length); needs \(rule)"
        case .invalidPadding(let encoding, let offset):
            return "\(encoding.rawValue): misplaced '=' padding at offset \(offset)"
        case .decodedSizeOverLimit(let encoding, let decodedBytes, let limit):
            return "\(encoding.rawValue): input decodes to \(decodedBytes) bytes, over the limit of \(limit)"
        case .invalidByte(let encoding, let byte, let offset):
            return "\(encoding.rawValue): byte 0x\(String(byte, radix: 16)) at offset \(offset) is not valid"
        }
    }
}

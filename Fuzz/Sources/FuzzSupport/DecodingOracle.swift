import AllocShim

/// What a reference says a text must decode to: its bytes, or a rejection.
public enum ExpectedDecoding: Equatable {
    case bytes([UInt8])
    /// Malformed; the reference's reason, for the failure message.
    case rejected(String)
}

/// Checks AllocShim's two decoding entry points against a reference's verdict on `text`.
///
/// - `SharedBytes.from(_:encoding:)` must decode exactly what the reference accepts, to the
///   same bytes, and reject the rest with a format error whose payload is true of the input.
/// - `SharedBytes.decoding(_:as:maxDecodedBytes:)` must agree with it, except that input
///   decoding to more than `limit` bytes is refused with `decodedSizeOverLimit`, and that
///   malformed input may be refused for its length alone when that already exceeds the limit.
public enum DecodingOracle {
    public static func check(_ text: String, as encoding: ByteEncoding, expected: ExpectedDecoding, limit: Int) {
        let context = "\(encoding) input \(text.debugDescription) (limit \(limit)), expected \(expected)"
        let unbounded = Result { () throws(BufferError) in try SharedBytes.from(text, encoding: encoding) }
        switch (unbounded, expected) {
        case (.success(let buffer), .bytes(let bytes)):
            fuzzCheck(buffer.copyToArray() == bytes, "from(): decoded \(buffer.copyToArray()) for \(context)")
        case (.success(let buffer), .rejected):
            fuzzCheck(false, "from(): accepted \(buffer.copyToArray()) for \(context)")
        case (.failure(let error), .bytes):
            fuzzCheck(false, "from(): rejected with \(error) for \(context)")
        case (.failure(let error), .rejected):
            checkFormatError(error, text: text, encoding: encoding, context: context)
        }

        let bounded = Result { () throws(BufferError) in try SharedBytes.decoding(text, as: encoding, maxDecodedBytes: limit) }
        switch (bounded, expected) {
        case (.success(let buffer), .bytes(let bytes)):
            fuzzCheck(bytes.count <= limit, "decoding(): \(bytes.count) bytes over the limit were accepted for \(context)")
            fuzzCheck(buffer.copyToArray() == bytes, "decoding(): decoded \(buffer.copyToArray()) for \(context)")
        case (.success(let buffer), .rejected):
            fuzzCheck(false, "decoding(): accepted \(buffer.copyToArray()) for \(context)")
        case (.failure(.encoding(.decodedSizeOverLimit(let reportedEncoding, let decodedBytes, let reportedLimit))), _):
            fuzzCheck(reportedEncoding == encoding && reportedLimit == limit, "decoding(): wrong payload for \(context)")
            fuzzCheck(decodedBytes > limit, "decoding(): refused \(decodedBytes) bytes as over the limit for \(context)")
            if case .bytes(let bytes) = expected {
                // The early refusal uses a lower bound of the decoded size: never above the truth.
                fuzzCheck(decodedBytes <= bytes.count, "decoding(): claimed \(decodedBytes) bytes for \(context)")
            }
            _ = BufferError.encoding(.decodedSizeOverLimit(encoding: encoding, decodedBytes: decodedBytes, limit: limit)).description
        case (.failure(let error), .bytes(let bytes)):
            fuzzCheck(false, "decoding(): rejected \(bytes.count) bytes with \(error) for \(context)")
        case (.failure(let error), .rejected):
            checkFormatError(error, text: text, encoding: encoding, context: context)
        }
    }

    /// A rejection of malformed input must be a format error that tells the truth about it.
    private static func checkFormatError(_ error: BufferError, text: String, encoding: ByteEncoding, context: String) {
        let utf8 = Array(text.utf8)
        fuzzCheck(!error.description.isEmpty, "empty description for \(context)")
        guard case .encoding(let encodingError) = error else {
            fuzzCheck(false, "not an encoding error: \(error) for \(context)")
            return
        }
        switch encodingError {
        case .invalidCharacter(let reported, let character, let offset):
            fuzzCheck(reported == encoding, "wrong encoding in \(error) for \(context)")
            fuzzCheck(offset >= 0 && offset < utf8.count, "offset out of the input in \(error) for \(context)")
            if offset >= 0 && offset < utf8.count {
                fuzzCheck(
                    character == String(decoding: [utf8[offset]], as: UTF8.self),
                    "\(error) does not name the character at its offset for \(context)")
            }
        case .invalidLength(let reported, let length):
            fuzzCheck(reported == encoding && length == utf8.count, "wrong payload in \(error) for \(context)")
        case .invalidPadding(let reported, let offset):
            fuzzCheck(reported == encoding && offset >= 0 && offset <= utf8.count, "wrong payload in \(error) for \(context)")
        case .unknownEncoding, .decodedSizeOverLimit, .invalidByte:
            fuzzCheck(false, "unexpected error \(error) for \(context)")
        }
    }

    /// The limit a run uses, chosen by one input byte: none, exactly the decoded size, one
    /// less, or a small number (negative ones included, which nothing fits under).
    public static func limit(selector: UInt8, decodedCount: Int?) -> Int {
        switch selector % 4 {
        case 0: return Int.max
        case 1: return decodedCount ?? Int(selector >> 2)
        case 2: return (decodedCount ?? Int(selector >> 2)) - 1
        default: return Int(selector >> 2) - 2
        }
    }
}

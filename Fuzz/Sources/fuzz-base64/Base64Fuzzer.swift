import AllocShim
import Foundation
import FuzzSupport

// base64 and base64url decoding, differential against Foundation's `Data(base64Encoded:)`.
//
// Input: byte 0 chooses the alphabet (bit 0: base64url) and the mode (bit 1: encode the rest
// as bytes, then decode it back); byte 1 chooses the decoding limit; the rest is the text
// (or the bytes). AllocShim and Foundation accept different inputs on purpose; the
// differences are modelled in `Base64Rules` below, not filtered out.

/// What AllocShim's documentation promises to accept (ByteEncoding: RFC 4648 §4/§5, padding
/// optional but correct when present, nothing else), written without its code.
enum Base64Rules {
    static let standard = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlSafe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let pad = UInt8(ascii: "=")

    /// `nil` when accepted, else why not.
    static func rejection(_ text: [UInt8], url: Bool) -> String? {
        let alphabet = url ? urlSafe : standard
        let core = text.prefix { $0 != pad }
        let padding = text.count - core.count
        if let bad = core.first(where: { !alphabet.contains($0) }) { return "character \(bad) outside the alphabet" }
        if text[core.count...].contains(where: { $0 != pad }) { return "'=' before the end" }
        if core.count % 4 == 1 { return "length 4k+1" }
        if padding > 0 && (core.count % 4 == 0 || padding != 4 - core.count % 4) { return "padding does not exactly complete the last quantum" }
        return nil
    }

    /// The same text as Foundation's strict form: standard alphabet, padded to a multiple of 4.
    /// Difference 1: AllocShim accepts base64url (`-`, `_`), Foundation only `+` and `/`.
    /// Difference 2: AllocShim accepts missing padding, Foundation requires it.
    static func foundationForm(_ text: [UInt8], url: Bool) -> String {
        var form = text.map { character -> UInt8 in
            guard url else { return character }
            switch character {
            case UInt8(ascii: "-"): return UInt8(ascii: "+")
            case UInt8(ascii: "_"): return UInt8(ascii: "/")
            default: return character
            }
        }
        while form.count % 4 != 0 { form.append(pad) }
        return String(decoding: form, as: UTF8.self)
    }

    /// Difference 3: Foundation is lenient about `=` in several ways, all seen by this fuzzer:
    /// surplus padding (`QQ===`, even `====` → one zero byte), `=` inside the last quantum
    /// (`oi=i` → [162, 34]), `=` between characters of an input of any length
    /// (`JJJJUnsafe=y=`). AllocShim refuses every `=` that is not exact final padding. So a
    /// raw input that Foundation accepts and the rules refuse must be refused for its `=`
    /// only: every other character in the alphabet.
    static func isFoundationPaddingLeniency(_ text: [UInt8]) -> Bool {
        text.contains(pad) && text.allSatisfy { $0 == pad || standard.contains($0) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBase64(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let mode = input.byte()
    let limitSelector = input.byte()
    let url = mode & 1 == 1
    let encoding: ByteEncoding = url ? .base64url : .base64
    let rest = Array(input.remainder())

    if mode & 2 == 2 {
        checkRoundTrip(rest, encoding: encoding, limitSelector: limitSelector)
        return 0
    }

    // Decode the rest as text. Invalid UTF-8 becomes U+FFFD, which is outside both alphabets.
    let text = String(decoding: rest, as: UTF8.self)
    let utf8 = Array(text.utf8)
    let expected: ExpectedDecoding
    if let reason = Base64Rules.rejection(utf8, url: url) {
        expected = .rejected(reason)
    } else {
        let decoded = Data(base64Encoded: Base64Rules.foundationForm(utf8, url: url))
        fuzzCheck(decoded != nil, "Foundation rejects the strict form of accepted input \(text.debugDescription)")
        expected = .bytes(Array(decoded ?? Data()))
    }

    // Foundation on the raw text (standard alphabet only): where it accepts, either we agree
    // byte for byte, or it is a modelled difference.
    if !url, let raw = Data(base64Encoded: text) {
        switch expected {
        case .bytes(let bytes):
            fuzzCheck(Array(raw) == bytes, "Foundation decodes \(text.debugDescription) to \(Array(raw)), the rules to \(bytes)")
        case .rejected(let reason):
            fuzzCheck(
                Base64Rules.isFoundationPaddingLeniency(utf8),
                "Foundation accepts \(text.debugDescription) that the rules refuse (\(reason)): an unmodelled difference")
        }
    }

    var decodedCount: Int?
    if case .bytes(let bytes) = expected { decodedCount = bytes.count }
    DecodingOracle.check(text, as: encoding, expected: expected, limit: DecodingOracle.limit(selector: limitSelector, decodedCount: decodedCount))
    return 0
}

/// Bytes → text → bytes: AllocShim's encoding equals Foundation's (unpadded and URL-safe for
/// base64url), and decodes back to the same bytes, also under a limit of exactly their count.
func checkRoundTrip(_ bytes: [UInt8], encoding: ByteEncoding, limitSelector: UInt8) {
    let text: String
    do {
        text = try SharedBytes.from(bytes).string(encoding: encoding)
    } catch {
        fuzzCheck(false, "encoding \(bytes.count) bytes as \(encoding) failed: \(error)")
        return
    }
    var foundation = Data(bytes).base64EncodedString()
    if encoding == .base64url {
        foundation = String(foundation.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }.filter { $0 != "=" })
    }
    fuzzCheck(text == foundation, "\(encoding) of \(bytes): \(text.debugDescription), Foundation: \(foundation.debugDescription)")
    DecodingOracle.check(text, as: encoding, expected: .bytes(bytes), limit: DecodingOracle.limit(selector: limitSelector, decodedCount: bytes.count))
}

import AllocShim
import FuzzSupport

// Hex decoding, differential against `ReferenceHex`, a decoder written for clarity only.
//
// Input: byte 0 chooses the mode (bit 1: encode the rest as bytes, then decode it back);
// byte 1 chooses the decoding limit; the rest is the text (or the bytes).

/// Two hex digits per byte, either case, nothing else (ByteEncoding.hex's documentation).
enum ReferenceHex {
    static func nibble(_ character: UInt8) -> UInt8? {
        let digits = Array("0123456789abcdef".utf8)
        if let value = digits.firstIndex(of: character) { return UInt8(value) }
        if let value = Array("ABCDEF".utf8).firstIndex(of: character) { return UInt8(value + 10) }
        return nil
    }

    static func decode(_ text: [UInt8]) -> ExpectedDecoding {
        guard text.count % 2 == 0 else { return .rejected("odd length \(text.count)") }
        var bytes: [UInt8] = []
        var index = 0
        while index < text.count {
            guard let high = nibble(text[index]) else { return .rejected("non-digit at \(index)") }
            guard let low = nibble(text[index + 1]) else { return .rejected("non-digit at \(index + 1)") }
            bytes.append(high * 16 + low)
            index += 2
        }
        return .bytes(bytes)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 / 16)], digits[Int($0 % 16)]] })
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let mode = input.byte()
    let limitSelector = input.byte()
    let rest = Array(input.remainder())

    if mode & 2 == 2 {
        let text: String
        do {
            text = try SharedBytes.from(rest).string(encoding: .hex)
        } catch {
            fuzzCheck(false, "hex encoding of \(rest.count) bytes failed: \(error)")
            return 0
        }
        fuzzCheck(text == ReferenceHex.encode(rest), "hex of \(rest): \(text.debugDescription)")
        DecodingOracle.check(text, as: .hex, expected: .bytes(rest), limit: DecodingOracle.limit(selector: limitSelector, decodedCount: rest.count))
        // Upper-case digits decode the same.
        DecodingOracle.check(text.uppercased(), as: .hex, expected: .bytes(rest), limit: Int.max)
        return 0
    }

    let text = String(decoding: rest, as: UTF8.self)
    let expected = ReferenceHex.decode(Array(text.utf8))
    var decodedCount: Int?
    if case .bytes(let bytes) = expected { decodedCount = bytes.count }
    DecodingOracle.check(text, as: .hex, expected: expected, limit: DecodingOracle.limit(selector: limitSelector, decodedCount: decodedCount))
    return 0
}

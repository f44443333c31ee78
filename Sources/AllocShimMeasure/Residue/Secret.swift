/// The secret a probe plants: bytes derived from a random per-run key, the round and each
/// byte's position, so nothing but the planted bytes themselves matches it.
///
/// Matching is done in 8-byte units at their original offsets (a shorter unit at the tail):
/// a unit counts as recovered only when all its bytes match. By chance a unit of zeros, of
/// any constant byte, or of the secret shifted by any offset matches with probability 2^-64
/// (2^-8·k for a k-byte tail), so those count as nothing — whereas a byte-wise comparison
/// would credit 1/256 of any junk as "recovered".
struct Secret {
    static let unit = 8
    let key: UInt64

    init(key: UInt64) { self.key = key }

    /// The secret's 8-byte unit at `offset` for `round`.
    @inline(__always)
    func word(round: Int, offset: Int) -> UInt64 {
        splitMix64(key ^ UInt64(truncatingIfNeeded: round) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: offset) &* 0xD1B5_4A32_D192_ED03)
    }

    /// Writes the secret for `round` into `count` bytes at `base`. Allocates nothing.
    func plant(round: Int, into base: UnsafeMutableRawPointer, count: Int) {
        var offset = 0
        while offset < count {
            var word = self.word(round: round, offset: offset)
            let length = Swift.min(Secret.unit, count - offset)
            withUnsafeBytes(of: &word) { (base + offset).copyMemory(from: $0.baseAddress!, byteCount: length) }
            offset += Secret.unit
        }
    }

    /// Counts the bytes of `round`'s secret found at their original offsets among `count`
    /// bytes at `base`, and marks each unit found in `recoveredUnits` (one flag per unit).
    /// Allocates nothing.
    func recovered(round: Int, in base: UnsafeRawPointer, count: Int, recoveredUnits: UnsafeMutableBufferPointer<Bool>?) -> Int {
        var found = 0
        var offset = 0
        var unitIndex = 0
        while offset < count {
            var expected = self.word(round: round, offset: offset)
            let length = Swift.min(Secret.unit, count - offset)
            let match = withUnsafeBytes(of: &expected) { memcmp8(base + offset, $0.baseAddress!, length) }
            if match { found += length }
            recoveredUnits?[unitIndex] = match
            offset += Secret.unit
            unitIndex += 1
        }
        return found
    }

    static func unitCount(_ count: Int) -> Int { (count + unit - 1) / unit }
}

@inline(__always)
private func memcmp8(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ length: Int) -> Bool {
    for index in 0..<length where a.load(fromByteOffset: index, as: UInt8.self) != b.load(fromByteOffset: index, as: UInt8.self) {
        return false
    }
    return true
}

@inline(__always)
func splitMix64(_ seed: UInt64) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

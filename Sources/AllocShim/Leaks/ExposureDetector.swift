/// A run of poison found in bytes about to leave: bytes nobody wrote since allocation.
public struct Exposure: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Offset of the run's first byte within the scanned bytes.
    public var offset: Int
    /// Length of the run in bytes.
    public var length: Int

    /// A run at `offset` of `length` bytes.
    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    /// For example "12 unwritten bytes at offset 40".
    public var description: String { "\(length) unwritten bytes at offset \(offset)" }
}

/// An invalid detector setting.
public enum ExposureDetectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A minimum run below 1 byte.
    case invalidMinimumRun(Int)

    /// Names the bad value and the allowed range.
    public var description: String {
        switch self {
        case .invalidMinimumRun(let value):
            return "exposure detector: invalid minimum run \(value); allowed: a whole number of bytes ≥ 1"
        }
    }
}

/// Finds runs of the poison pattern (``PoisonPattern``) in bytes, wherever they lie: each run
/// of pattern bytes of at least ``minimumRun`` bytes is reported with its offset and length.
///
/// The scan does not need to know where the bytes came from. At every byte position it loads
/// 8 bytes and asks whether they are a pattern word (``PoisonPattern/counter(ofWord:)``: one
/// table load and one compare); from such an anchor it follows the next words (consecutive
/// counters) and the partial words at both ends byte by byte. So bytes copied to another
/// offset — `concat`, a builder, `copy(to:at:)`, a `ByteBuffer` framed after a header or
/// moved by `discardReadBytes()` — are found as surely as bytes left in place, and a run
/// made of two copied pieces side by side is reported as one run.
///
/// A run is found when it contains one whole pattern word: always from 15 bytes on; a run of
/// 8 to 14 bytes only when it covers a word boundary-to-boundary (in place, when it starts
/// on the allocation's 8-byte boundary). Its reported extent is exact (the partial words at
/// its ends included), except that a written byte next to a run that equals the pattern byte
/// there by chance (1 in 256) is counted in the run.
///
/// Chance matches: real data matches a word at a byte position with probability at most
/// 2^-56 (7 check bytes), and zeros, repeated bytes and ASCII text never match (the words'
/// construction); docs/leaks.md has the measurement.
public struct ExposureDetector: Sendable {
    /// See the type's documentation and docs/leaks.md for how it was chosen.
    public static let defaultMinimumRun = 8

    /// Shortest run reported. A run is found only when it contains a whole 8-byte word, so
    /// values 1 to 8 report the same runs.
    public let minimumRun: Int
    /// The pattern looked for: the process's own unless a test substitutes one.
    public let pattern: PoisonPattern

    /// A detector reporting runs of at least `minimumRun` bytes of `pattern`.
    public init(
        minimumRun: Int = ExposureDetector.defaultMinimumRun, pattern: PoisonPattern = .processWide
    )
        throws(ExposureDetectorError)
    {
        guard minimumRun >= 1 else { throw .invalidMinimumRun(minimumRun) }
        self.minimumRun = minimumRun
        self.pattern = pattern
    }

    /// The detector with the defaults (cannot fail).
    public static let standard = ExposureDetector(
        uncheckedMinimumRun: defaultMinimumRun, pattern: .processWide)

    private init(uncheckedMinimumRun: Int, pattern: PoisonPattern) {
        self.minimumRun = uncheckedMinimumRun
        self.pattern = pattern
    }

    /// Runs of the pattern in `bytes`, offsets relative to `bytes`, in order; runs that touch
    /// are merged.
    public func scan(_ bytes: UnsafeRawBufferPointer) -> [Exposure] {
        guard let base = bytes.baseAddress, bytes.count >= 8 else { return [] }
        let table = pattern.words
        return withExtendedLifetime(table) {
            var scanner = RunScanner(
                base: base, count: bytes.count, words: table.pointer, linkKey: table.linkKey)
            return scanner.run().filter { $0.length >= minimumRun }
        }
    }

    /// Runs of the pattern in `bytes`.
    public func scan(_ bytes: some Sequence<UInt8>) -> [Exposure] {
        if let found = bytes.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) {
            return found
        }
        return Array(bytes).withUnsafeBytes { scan($0) }
    }

    /// The same as `scan(_:)`: the pattern is recognised wherever the
    /// bytes lie, so where they start in their allocation no longer matters.
    @available(*, deprecated, message: "the offset is ignored: the pattern is recognised at any offset; use scan(_:)")
    public func scan(_ bytes: UnsafeRawBufferPointer, allocationOffset: Int) -> [Exposure] {
        scan(bytes)
    }

    /// The same as `scan(_:)`; the offset is ignored.
    @available(*, deprecated, message: "the offset is ignored: the pattern is recognised at any offset; use scan(_:)")
    public func scan(_ bytes: some Sequence<UInt8>, allocationOffset: Int) -> [Exposure] {
        scan(bytes)
    }
}

/// One scan over `count` bytes at `base` (see ``ExposureDetector``).
///
/// Invariants: `words` points to the pattern's 256 words and outlives the scan (the caller
/// holds the table); every load is within `base ..< base + count` — 8-byte loads only at
/// positions `p` with `p + 8 <= count`, the 16-byte look-ahead only where `p + 16 <= count`.
private struct RunScanner {
    let base: UnsafeRawPointer
    let count: Int
    let words: UnsafePointer<UInt64>
    /// The link key repeated in every byte: byte 1 of a word is byte 0 XOR the key.
    let linkKeys: UInt64
    var runs: [Exposure] = []
    /// End of the last run: a run's backward extension never reaches before it.
    var settled = 0

    init(base: UnsafeRawPointer, count: Int, words: UnsafePointer<UInt64>, linkKey: UInt8) {
        (self.base, self.count, self.words) = (base, count, words)
        linkKeys = UInt64(linkKey) &* 0x0101_0101_0101_0101
    }

    @inline(__always)
    func load(_ position: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    @inline(__always)
    func byte(_ position: Int) -> UInt8 { base.load(fromByteOffset: position, as: UInt8.self) }

    mutating func run() -> [Exposure] {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var position = 0
        // 8 positions per step: a word can start at p + k only if byte p+k+1 is byte p+k XOR
        // the link key, which one XOR of the 8 bytes with the next 8 tells for all k at once
        // (a zero byte in `linked`). The zero-byte test can flag a byte above a true zero
        // (borrow), never miss one: flagged positions get the full check.
        while position + 16 <= count {
            let here = load(position)
            let following = here >> 8 | load(position + 8) << 56
            let linked = here ^ following ^ linkKeys
            var candidates = (linked &- ones) & ~linked & highs
            var resume = position + 8
            while candidates != 0 {
                let offset = position + candidates.trailingZeroBitCount >> 3
                candidates &= candidates &- 1
                if let end = anchor(at: offset) {
                    resume = end
                    break
                }
            }
            position = resume
        }
        // The last positions (fewer than 16 bytes left): one at a time.
        while position + 8 <= count {
            position = anchor(at: position) ?? position + 1
        }
        return runs
    }

    /// When a pattern word starts at `position`: records its run (following whole words with
    /// consecutive counters, then partial words at both ends) and returns the run's end.
    @inline(__always)
    mutating func anchor(at position: Int) -> Int? {
        let loaded = load(position)
        let counter = UInt8(truncatingIfNeeded: loaded)
        guard words[Int(counter)] == loaded else { return nil }
        return extend(from: position, counter: counter)
    }

    mutating func extend(from position: Int, counter: UInt8) -> Int {
        var next = counter &+ 1
        var end = position + 8
        while end + 8 <= count, load(end) == words[Int(next)] {
            end += 8
            next &+= 1
        }
        // The next word's first bytes, then the previous word's last bytes: at most 7 each (8
        // would have been a whole word, found as an anchor).
        let following = words[Int(next)]
        var shift: UInt64 = 0
        while end < count, shift < 64, byte(end) == UInt8(truncatingIfNeeded: following >> shift) {
            end += 1
            shift += 8
        }
        let preceding = words[Int(counter &- 1)]
        var start = position
        shift = 56
        while start > settled, shift > 0, byte(start - 1) == UInt8(truncatingIfNeeded: preceding >> shift) {
            start -= 1
            shift -= 8
        }
        if let last = runs.last, last.offset + last.length == start {
            runs[runs.count - 1].length = end - last.offset
        } else {
            runs.append(Exposure(offset: start, length: end - start))
        }
        settled = end
        return end
    }
}

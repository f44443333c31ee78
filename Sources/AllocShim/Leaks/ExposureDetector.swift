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

/// Finds runs of the poison pattern (``PoisonPattern``) in bytes: each run of at least
/// ``minimumRun`` bytes that equal the pattern at their position is reported with its offset
/// and length.
///
/// The pattern depends on the position in the allocation, so the scan needs to know where
/// the scanned bytes start in their allocation (`allocationOffset`): 0 for a whole buffer,
/// a slice's offset, a `ByteBuffer`'s reader index.
///
/// A run of `n` bytes matches by chance with probability 256^-n per position. The default
/// ``defaultMinimumRun`` (8) comes from the measured false-positive rate of random real
/// traffic (docs/leaks.md): no false positive from 5 bytes up in 2^32 scanned bytes, so 8
/// leaves a margin of 256^3; runs shorter than it are not reported.
public struct ExposureDetector: Sendable {
    /// See the type's documentation and docs/leaks.md for how it was chosen.
    public static let defaultMinimumRun = 8

    /// Shortest run reported.
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

    /// Runs of the pattern in `bytes`, whose first byte is at `allocationOffset` in its
    /// allocation. Offsets in the result are relative to `bytes`.
    public func scan(_ bytes: UnsafeRawBufferPointer, allocationOffset: Int = 0) -> [Exposure] {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return [] }
        var scanner = RunCollector(minimumRun: minimumRun)
        let count = bytes.count
        var position = 0
        // Bytes before the allocation's next word boundary, one at a time.
        while position < count, (allocationOffset + position) & 7 != 0 {
            scanner.byte(
                matches: base.load(fromByteOffset: position, as: UInt8.self)
                    == pattern.byte(at: allocationOffset + position), at: position)
            position += 1
        }
        // Whole words: one mix and one compare per 8 bytes; bytes one at a time only in the
        // words where some byte matches and some does not.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= count {
            let loaded = UInt64(
                littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let difference = loaded ^ pattern.word(at: (allocationOffset + position) >> 3)
            if difference == 0 {
                scanner.word(allMatchAt: position)
            } else if (difference &- ones) & ~difference & highs == 0 {
                // No zero byte in the difference: no byte of this word matches.
                scanner.word(noneMatchAt: position)
            } else {
                for index in 0..<8 {
                    scanner.byte(matches: (difference >> UInt64(index * 8)) & 0xFF == 0, at: position + index)
                }
            }
            position += 8
        }
        while position < count {
            scanner.byte(
                matches: base.load(fromByteOffset: position, as: UInt8.self)
                    == pattern.byte(at: allocationOffset + position), at: position)
            position += 1
        }
        return scanner.finish(at: count)
    }

    /// Runs of the pattern in `bytes` (first byte at `allocationOffset` in its allocation).
    public func scan(_ bytes: some Sequence<UInt8>, allocationOffset: Int = 0) -> [Exposure] {
        if let found = bytes.withContiguousStorageIfAvailable({
            scan(UnsafeRawBufferPointer($0), allocationOffset: allocationOffset)
        }) {
            return found
        }
        return Array(bytes).withUnsafeBytes { scan($0, allocationOffset: allocationOffset) }
    }
}

/// Turns per-byte and per-word match results into runs of at least `minimumRun` bytes.
private struct RunCollector {
    let minimumRun: Int
    var start = -1
    var runs: [Exposure] = []

    init(minimumRun: Int) { self.minimumRun = minimumRun }

    @inline(__always)
    mutating func byte(matches: Bool, at position: Int) {
        if matches {
            if start < 0 { start = position }
        } else {
            close(at: position)
        }
    }

    @inline(__always)
    mutating func word(allMatchAt position: Int) {
        if start < 0 { start = position }
    }

    @inline(__always)
    mutating func word(noneMatchAt position: Int) {
        close(at: position)
    }

    @inline(__always)
    mutating func close(at end: Int) {
        guard start >= 0 else { return }
        if end - start >= minimumRun { runs.append(Exposure(offset: start, length: end - start)) }
        start = -1
    }

    mutating func finish(at end: Int) -> [Exposure] {
        close(at: end)
        return runs
    }
}

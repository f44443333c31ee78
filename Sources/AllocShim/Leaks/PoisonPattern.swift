/// The bytes poison mode writes into uninitialized memory: a per-process random pattern of
/// self-identifying 8-byte words, recognisable wherever the bytes are copied to.
///
/// The pattern is a cycle of ``period`` words; word `k` of an allocation (its bytes
/// `8k ..< 8k + 8`, little-endian) is ``word(at:)`` `k`, whose lowest byte is the counter
/// `k mod 256` and whose other 7 bytes are a check field: the counter XOR a per-pattern key
/// byte (``linkKey``; it lets a scan skip 8 positions at a time), then 6 bytes of a keyed mix
/// (SplitMix64's finalizer) of the process's random seed and the counter. So:
/// - **any 8 bytes, at any offset, can be checked on their own**: they are a pattern word iff
///   the word for the counter in their first byte equals them. A copy of poisoned bytes —
///   concatenated after a header, appended to a builder, moved by `discardReadBytes()` — is
///   still recognised, wherever it lands (``ExposureDetector``);
/// - a chance match costs real data 7 check bytes (one of them tied to the first by a key
///   byte): at most 2^-56 per byte position (measured on real data in docs/leaks.md);
/// - every word has 8 distinct bytes, one of them ≥ 0x80: zeros, a repeated byte and ASCII text
///   never match, not even by chance;
/// - no 8-byte window that straddles two consecutive words is itself a word, so a scan only
///   anchors on true word boundaries of a pattern run;
/// - it is not a constant: "forgot to write" stays distinguishable from "wrote zeros";
/// - filling is one table load and one 8-byte store per word.
public struct PoisonPattern: Sendable, Equatable {
    /// The key of the mix. Random per process for ``processWide``; fixed only in tests.
    public let seed: UInt64
    /// The ``period`` words, drawn once per pattern.
    let words: WordTable

    /// Byte 1 of every word is byte 0 (the counter) XOR this nonzero key: one 8-byte XOR tells
    /// a scan which of 8 positions could start a word (``ExposureDetector``).
    public var linkKey: UInt8 { words.linkKey }

    /// Words in one cycle of the pattern: the counter is one byte.
    public static let period = 256
    /// Bytes in one cycle: the pattern at allocation offset `o` equals that at `o + periodBytes`.
    public static let periodBytes = period * 8

    /// A pattern with an explicit seed (tests and reproductions).
    public init(seed: UInt64) {
        self.seed = seed
        self.words = WordTable(seed: seed)
    }

    /// The pattern of this process, drawn once from the system's random generator.
    public static let processWide: PoisonPattern = {
        var generator = SystemRandomNumberGenerator()
        return PoisonPattern(seed: generator.next())
    }()

    /// Two patterns are equal when their seeds are: the words follow from the seed.
    public static func == (lhs: PoisonPattern, rhs: PoisonPattern) -> Bool { lhs.seed == rhs.seed }

    /// The 8 pattern bytes (little-endian) of the word covering allocation offsets
    /// `8 * wordIndex ..< 8 * wordIndex + 8`. Every index is valid: the pattern repeats every
    /// ``period`` words, negative indices included.
    @inline(__always)
    public func word(at wordIndex: Int) -> UInt64 {
        words.word(slot: UInt8(truncatingIfNeeded: wordIndex))
    }

    /// The pattern byte at `offset` within an allocation (any `Int`; the pattern repeats every
    /// ``periodBytes`` bytes).
    @inline(__always)
    public func byte(at offset: Int) -> UInt8 {
        // `>> 3` and `& 7` are total on Int (arithmetic shift): no overflow for any offset.
        UInt8(truncatingIfNeeded: word(at: offset >> 3) >> (UInt64(offset & 7) << 3))
    }

    /// Whether `value` (8 bytes loaded little-endian from anywhere) is one of this pattern's
    /// words, and if so its counter (word index modulo ``period``).
    @inline(__always)
    public func counter(ofWord value: UInt64) -> UInt8? {
        let slot = UInt8(truncatingIfNeeded: value)
        return words.word(slot: slot) == value ? slot : nil
    }

    /// Writes the pattern into `count` bytes at `base`, which is allocation offset 0.
    /// A `count` ≤ 0 writes nothing.
    public func fill(_ base: UnsafeMutableRawPointer, count: Int) {
        fill(base, count: count, startingAtAllocationOffset: 0)
    }

    /// Writes the pattern for allocation offsets `start ..< start + count` into `base`
    /// (a grown tail: `base` is the allocation's byte `start`), so a grown block's old and new
    /// pattern bytes form one run. Every `start` is valid — only `start` modulo
    /// ``periodBytes`` matters — and a `count` ≤ 0 writes nothing.
    public func fill(
        _ base: UnsafeMutableRawPointer, count: Int, startingAtAllocationOffset start: Int
    ) {
        guard count > 0 else { return }
        // Work with the phase in the cycle, never with `start + position`: `start` is the
        // caller's number and may be anywhere up to Int.max (issue 21, item 8).
        let phase = start & (Self.periodBytes - 1)
        var wordIndex = phase >> 3
        var position = 0
        // Leading bytes up to the next word boundary of the allocation.
        var byteInWord = phase & 7
        if byteInWord != 0 {
            let first = word(at: wordIndex)
            while position < count, byteInWord < 8 {
                base.storeBytes(
                    of: UInt8(truncatingIfNeeded: first >> (UInt64(byteInWord) << 3)), toByteOffset: position,
                    as: UInt8.self)
                position += 1
                byteInWord += 1
            }
            wordIndex &+= 1
        }
        // Whole words. storeBytes(toByteOffset:) accepts unaligned addresses.
        while count - position >= 8 {
            base.storeBytes(of: word(at: wordIndex).littleEndian, toByteOffset: position, as: UInt64.self)
            position += 8
            wordIndex &+= 1
        }
        let last = word(at: wordIndex)
        var shift: UInt64 = 0
        while position < count {
            base.storeBytes(of: UInt8(truncatingIfNeeded: last >> shift), toByteOffset: position, as: UInt8.self)
            position += 1
            shift += 8
        }
    }
}

/// The 256 words of one pattern, in memory that lives as long as the pattern (2 KiB, read by
/// every fill and at every byte position of a scan: a plain pointer, no array bounds checks
/// or copy-on-write checks on that path).
final class WordTable: Sendable {
    // Invariant: `storage` points to `PoisonPattern.period` initialized words, written once in
    // init and only read afterwards (so sharing across threads is safe), freed in deinit.
    private nonisolated(unsafe) let storage: UnsafeMutablePointer<UInt64>

    /// Byte 1 of each word is byte 0 XOR this (never 0, so the two differ).
    let linkKey: UInt8

    init(seed: UInt64) {
        // allocshim: uninitialized — the pattern table: every one of its `period` words is written by the loop below before anything reads it
        storage = .allocate(capacity: PoisonPattern.period)
        var salt: UInt64 = 0
        var link: UInt8 = 0
        repeat {
            link = UInt8(truncatingIfNeeded: Self.mix(seed ^ 0x4C49_4E4B &+ salt))
            salt &+= 1
            guard link != 0 else { continue }
            for slot in 0..<PoisonPattern.period {
                storage[slot] = Self.draw(seed: seed, slot: UInt8(slot), link: link, salt: &salt)
            }
        } while link == 0 || Self.straddlesMatch(storage)
        linkKey = link
    }

    deinit { storage.deallocate() }

    @inline(__always)
    func word(slot: UInt8) -> UInt64 { storage[Int(slot)] }

    /// The table itself, for the scan's inner loop (valid while this object lives).
    @inline(__always)
    var pointer: UnsafePointer<UInt64> { UnsafePointer(storage) }

    /// The word for `slot`: counter in the low byte, counter XOR `link` above it, 6 keyed check
    /// bytes above that; redrawn (next `salt`) until its 8 bytes are distinct and one is
    /// ≥ 0x80, which zeros, repeated bytes and ASCII text can then never match.
    private static func draw(seed: UInt64, slot: UInt8, link: UInt8, salt: inout UInt64) -> UInt64 {
        while true {
            let mixed = mix(seed &+ (UInt64(slot) | salt << 8) &* 0x9E37_79B9_7F4A_7C15)
            let word = (mixed & ~0xFFFF) | UInt64(slot ^ link) << 8 | UInt64(slot)
            salt &+= 1
            if isAcceptable(word) { return word }
        }
    }

    private static func isAcceptable(_ word: UInt64) -> Bool {
        var seen: Set<UInt8> = []
        var high = false
        for index in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: word >> UInt64(index * 8))
            if !seen.insert(byte).inserted { return false }
            if byte >= 0x80 { high = true }
        }
        return high
    }

    /// Whether some 8-byte window across two consecutive words (the cycle wraps) is itself a
    /// word: then a scan could anchor inside a run at the wrong phase. Odds 2048 × 2^-56 per
    /// draw; checked anyway, so the scan's "anchors are word boundaries" holds by construction.
    private static func straddlesMatch(_ storage: UnsafeMutablePointer<UInt64>) -> Bool {
        for slot in 0..<PoisonPattern.period {
            let low = storage[slot]
            let high = storage[(slot + 1) % PoisonPattern.period]
            for shift in 1..<8 {
                let window = low >> UInt64(shift * 8) | high << UInt64(64 - shift * 8)
                if storage[Int(UInt8(truncatingIfNeeded: window))] == window { return true }
            }
        }
        return false
    }

    /// SplitMix64's finalizer: every output bit depends on every input bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

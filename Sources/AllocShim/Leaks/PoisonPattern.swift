/// The bytes poison mode writes into uninitialized memory: a per-process random,
/// position-dependent pattern.
///
/// Byte `i` of an allocation is byte `i % 8` (little-endian) of ``word(at:)`` for word
/// index `i / 8`, where a word is a keyed mix of the process's random seed and the word's
/// offset in the allocation. So:
/// - it is not a constant: real data (zeros, repeated bytes, text) essentially never matches
///   a run of it, and "forgot to write" is distinguishable from "wrote zeros";
/// - the expected byte at any offset is computed directly, without generating the pattern
///   from the start, so a buffer's bytes can be checked from wherever they start in their
///   allocation (a slice, a `ByteBuffer`'s readable bytes);
/// - filling is one mix and one 8-byte store per word.
public struct PoisonPattern: Sendable, Equatable {
    /// The key of the mix. Random per process for ``processWide``; fixed only in tests.
    public let seed: UInt64

    /// A pattern with an explicit seed (tests and reproductions).
    public init(seed: UInt64) { self.seed = seed }

    /// The pattern of this process, drawn once from the system's random generator.
    public static let processWide: PoisonPattern = {
        var generator = SystemRandomNumberGenerator()
        return PoisonPattern(seed: generator.next())
    }()

    /// The 8 pattern bytes (little-endian) of the word covering allocation offsets
    /// `8 * wordIndex ..< 8 * wordIndex + 8`. SplitMix64's finalizer over the keyed index:
    /// every output bit depends on every bit of seed and index.
    @inline(__always)
    public func word(at wordIndex: Int) -> UInt64 {
        var z = seed &+ UInt64(truncatingIfNeeded: wordIndex) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The pattern byte at `offset` within an allocation.
    @inline(__always)
    public func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: word(at: offset >> 3) >> (UInt64(offset & 7) << 3))
    }

    /// Writes the pattern into `count` bytes at `base`, which is allocation offset 0.
    public func fill(_ base: UnsafeMutableRawPointer, count: Int) {
        fill(base, count: count, startingAtAllocationOffset: 0)
    }

    /// Writes the pattern for allocation offsets `start ..< start + count` into `base`
    /// (a grown tail: `base` is the allocation's byte `start`).
    public func fill(
        _ base: UnsafeMutableRawPointer, count: Int, startingAtAllocationOffset start: Int
    ) {
        guard count > 0 else { return }
        var position = 0
        // Leading bytes up to the next word boundary of the allocation.
        while position < count, (start + position) & 7 != 0 {
            base.storeBytes(of: byte(at: start + position), toByteOffset: position, as: UInt8.self)
            position += 1
        }
        // Whole words. storeBytes(toByteOffset:) accepts unaligned addresses; the allocation
        // itself is normally 8-aligned, so these stores are aligned in practice.
        while position + 8 <= count {
            base.storeBytes(
                of: word(at: (start + position) >> 3).littleEndian, toByteOffset: position, as: UInt64.self)
            position += 8
        }
        while position < count {
            base.storeBytes(of: byte(at: start + position), toByteOffset: position, as: UInt8.self)
            position += 1
        }
    }
}

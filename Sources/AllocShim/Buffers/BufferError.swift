import CAllocShims
/// Why a buffer operation failed.
public enum BufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The allocator could not provide the memory.
    case allocation(AllocationError)
    /// No buffer source: the backend is unavailable or a buffer setting is invalid.
    case source(BufferSourceError)
    /// Text to encode or decode was malformed or over the limit.
    case encoding(ByteEncodingError)
    /// `length` bytes at `offset` do not lie within a buffer of `count` bytes.
    case outOfBounds(offset: Int, length: Int, count: Int)
    /// A range that does not lie within a buffer of `count` bytes. Kept as bounds, never as a
    /// length: `Int.min..<Int.max` has no `Int` length.
    case rangeOutOfBounds(Range<Int>, count: Int)

    /// The underlying error's description, or the offending bounds and the buffer's size.
    public var description: String {
        switch self {
        case .allocation(let error): return error.description
        case .source(let error): return error.description
        case .encoding(let error): return error.description
        // No arithmetic on the caller's numbers here: a description must never trap.
        case .outOfBounds(let offset, let length, let count):
            return "\(length) bytes at offset \(offset) are outside the buffer of \(count) bytes (offsets 0..<\(count))"
        case .rangeOutOfBounds(let range, let count):
            return "range \(range.lowerBound)..<\(range.upperBound) is outside the buffer of \(count) bytes (allowed: within 0..<\(count))"
        }
    }
}

/// What `SharedBytes.alloc(_:fill:)` writes into a new buffer, repeated to its end.
public enum FillPattern: Sendable, Equatable {
    /// One byte, repeated.
    case byte(UInt8)
    /// A byte sequence, repeated; an empty one fills with zeros.
    case bytes([UInt8])
    /// A string in `encoding`, repeated; an empty string fills with zeros.
    case string(String, encoding: ByteEncoding = .utf8)
}

/// Runs an allocation, turning its error into a `BufferError`.
@inline(__always)
func allocating<T>(_ body: () throws(AllocationError) -> T) throws(BufferError) -> T {
    do { return try body() } catch { throw .allocation(error) }
}

@inline(__always)
func resolvedSource(_ source: BufferSource?) throws(BufferError) -> BufferSource {
    if let source { return source }
    do { return try BufferSource.processDefault() } catch { throw .source(error) }
}

@inline(__always)
func zeroFillEnabled() throws(BufferError) -> Bool {
    do { return try BufferConfiguration.isZeroFillEnabled() } catch { throw .source(.configuration(error)) }
}

/// The one place a region comes into being: whole blocks or pool slices, zeroed or not.
enum RegionMaker {
    enum Kind { case zeroed, uninitializedPooled, uninitializedUnpooled }

    /// `source` nil: the process default's. The caller's source is used in place: binding it
    /// (`if let`) or resolving it through a function makes an owned copy, a retain/release
    /// pair per buffer (measured: about 20 ns of a 100-byte buffer's 50).
    @inline(__always)
    static func make(_ count: Int, _ kind: Kind, from source: __shared BufferSource?) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        // unsafelyUnwrapped: checked just before; it reads the reference without copying it.
        let region = source != nil ? try make(count, kind, from: source.unsafelyUnwrapped) : try makeWithDefaultSource(count, kind)
        // Poison mode (Leaks/PoisonMode.swift): one relaxed atomic load when off.
        if kind != .zeroed { try PoisonMode.poisonRegionIfEnabled(region.base, count) }
        return region
    }

    /// The default source is held by its immortal box, so it is used unretained: a retain and
    /// release per buffer cost about 10 ns (measured with `allocshim bench`, default rows).
    @inline(__always)
    static func makeWithDefaultSource(_ count: Int, _ kind: Kind) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        let box: Unmanaged<ProcessDefaultAllocator.Box>
        do { box = try ProcessDefaultAllocator.currentBox() } catch { throw .source(.backend(error)) }
        guard let cached = box._withUnsafeGuaranteedRef({ $0.unretainedSource }) else {
            return try make(count, kind, from: resolvedSource(nil))  // first use after a failed resolution
        }
        return try cached._withUnsafeGuaranteedRef { source in Result { () throws(BufferError) in try make(count, kind, from: source) } }.get()
    }

    @inline(__always)
    static func make(_ count: Int, _ kind: Kind, from source: BufferSource) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        if kind == .uninitializedPooled, count >= 0, source.pool.pools(byteCount: count) {
            let (base, slab) = try allocating { () throws(AllocationError) in try source.pool.cut(byteCount: count) }
            if try zeroFillEnabled() { base.initializeMemory(as: UInt8.self, repeating: 0, count: count) }
            return (base, .slab(slab))
        }
        let zeroed: Bool
        if kind == .zeroed { zeroed = true } else { zeroed = try zeroFillEnabled() }
        if let handle = source.fastPath {
            // The backend's own generic path, without touching the allocator object.
            let base = try allocating { () throws(AllocationError) in
                try handle._withUnsafeGuaranteedRef { backend in
                    Result { () throws(AllocationError) in
                        try backend.calls.allocate(byteCount: count, alignment: 1, zeroed: zeroed, counters: backend.counters)
                    }
                }.get()
            }
            return (base, .fast(handle))
        }
        let allocator = source.allocator
        let base = try allocating { () throws(AllocationError) in
            // allocshim: uninitialized — the uninitialized buffer forms themselves; zero-fill and poison modes are applied by the caller right after
            zeroed ? try allocator.allocateZeroed(byteCount: count) : try allocator.allocateUninitialized(byteCount: count)
        }
        return (base, .block(of: allocator))
    }
}

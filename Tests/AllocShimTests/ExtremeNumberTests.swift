import AllocShim
import Testing

/// A caller's number meeting arithmetic must end in a typed error, never a trap (issue 11,
/// item 7). Each case below trapped before the fix: `Range.count` of `Int.min..<Int.max`,
/// `offset + length` in an error's description, and page rounding of a huge secure buffer.
@Suite("Extreme numbers give typed errors, never traps")
struct ExtremeNumberTests {
    static let extremes = [Int.min, Int.min + 1, -1, Int.max - 1, Int.max]

    @Test("slice with extreme bounds")
    func sliceExtremes() throws {
        let buffer = try SharedBytes.alloc(16)
        #expect(throws: BufferError.rangeOutOfBounds(Int.min..<Int.max, count: 16)) {
            try buffer.slice(Int.min..<Int.max)
        }
        for bound in Self.extremes {
            let ranges = bound < 0 ? [bound..<0, bound..<Int.max] : [0..<bound, bound..<bound]
            for range in ranges where !(range.lowerBound >= 0 && range.upperBound <= 16) {
                #expect(throws: BufferError.rangeOutOfBounds(range, count: 16)) { try buffer.slice(range) }
            }
        }
    }

    @Test("copy with extreme ranges and target offsets")
    func copyExtremes() throws {
        let source = try SharedBytes.alloc(16)
        let target = try SharedBytes.alloc(8)
        #expect(throws: BufferError.rangeOutOfBounds(Int.min..<Int.max, count: 16)) {
            try source.copy(to: target, at: 0, from: Int.min..<Int.max)
        }
        for offset in Self.extremes {
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 16, count: 8)) {
                try source.copy(to: target, at: offset)
            }
        }
    }

    @Test("integer reads and writes at extreme offsets")
    func integerExtremes() throws {
        let buffer = try SharedBytes.alloc(8)
        for offset in Self.extremes {
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 8, count: 8)) {
                try buffer.readInteger(at: offset, as: UInt64.self, endianness: .big)
            }
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 4, count: 8)) {
                try buffer.writeInteger(UInt32(1), at: offset, endianness: .little)
            }
        }
    }

    @Test("error descriptions never do arithmetic on the caller's numbers")
    func descriptionsDoNotTrap() {
        for a in Self.extremes {
            for b in Self.extremes {
                #expect(!BufferError.outOfBounds(offset: a, length: b, count: 1).description.isEmpty)
                #expect(!AllocationError.sizeOverflow(count: a, stride: b).description.isEmpty)
                #expect(
                    !AllocationError.outOfMemory(backend: "x", byteCount: a, alignment: b).description.isEmpty
                )
            }
            #expect(
                BufferError.rangeOutOfBounds(a..<Int.max, count: 0).description.contains(
                    "\(a)..<\(Int.max)"))
        }
    }

    @Test(
        "buffers of extreme sizes",
        arguments: [Int.min, -1, Int.max, Int.max - 7, AllocationRequest.maximumByteCount + 1])
    func extremeSizes(_ size: Int) throws {
        let expected: AllocationError = size < 0 ? .negativeSize(size) : .sizeTooLarge(size)
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.alloc(size) }
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.allocUnsafe(size) }
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.allocUnsafeSlow(size) }
        #expect(throws: BufferError.allocation(expected)) {
            _ = try OwnedBytes(uninitializedCount: size)
        }
        #expect(throws: BufferError.allocation(expected)) { _ = try OwnedBytes(zeroedCount: size) }
    }

    @Test(
        "secure buffers of extreme sizes, locked or not",
        arguments: [Int.max, Int.max - 4095, Int.max - 1])
    func secureExtremes(_ size: Int) {
        for lock in [SecureBytes.MemoryLock.none, .bestEffort, .required] {
            #expect(throws: SecureBytesError.allocation(.sizeTooLarge(size))) {
                _ = try SecureBytes(zeroedCount: size, lock: lock)
            }
        }
    }
}

import AllocShim
import Testing

/// The contract every backend must keep, run once per available backend.
@Suite("Allocator contract")
struct AllocatorContractTests {
    static let sizes = [0, 1, 100, 10 * 1024, 1 << 20, 64 << 20]

    @Test("allocate and free round trips at 0 B to 64 MiB", arguments: availableBackends)
    func roundTrips(_ name: BackendName) throws {
        let allocator = try backend(name)
        for size in Self.sizes {
            for zeroed in [false, true] {
                let block =
                    zeroed
                    ? try allocator.allocateZeroed(byteCount: size) : try allocator.allocateUninitialized(byteCount: size)
                #expect(allocator.usableSize(of: block) >= size, "\(name) usable size for \(size)")
                if size > 0 {
                    let bytes = block.assumingMemoryBound(to: UInt8.self)
                    bytes[size - 1] = 0xA5
                    bytes[0] = 0x5A
                    #expect(bytes[0] == 0x5A && (size == 1 || bytes[size - 1] == 0xA5))
                }
                allocator.deallocate(block, byteCount: size)
            }
        }
    }

    @Test("alignments up to 4 KiB are honoured", arguments: availableBackends)
    func alignments(_ name: BackendName) throws {
        let allocator = try backend(name)
        for shift in 0...12 {
            let alignment = 1 << shift
            for size in [1, 8, 24, 100, 5000, 70_000] {
                let plain = try allocator.allocateUninitialized(byteCount: size, alignment: alignment)
                let zeroed = try allocator.allocateZeroed(byteCount: size, alignment: alignment)
                #expect(Int(bitPattern: plain) % alignment == 0, "\(name): \(size) B at alignment \(alignment)")
                #expect(Int(bitPattern: zeroed) % alignment == 0, "\(name): zeroed \(size) B at alignment \(alignment)")
                #expect(UnsafeRawBufferPointer(start: zeroed, count: size).allSatisfy { $0 == 0 })
                plain.storeBytes(of: 0x11, as: UInt8.self)
                let grown = try allocator.reallocate(plain, oldByteCount: size, newByteCount: size * 3, alignment: alignment)
                #expect(Int(bitPattern: grown) % alignment == 0, "\(name): reallocated \(size * 3) B at alignment \(alignment)")
                #expect(grown.load(as: UInt8.self) == 0x11, "reallocate keeps contents")
                allocator.deallocate(grown, byteCount: size * 3, alignment: alignment)
                allocator.deallocate(zeroed, byteCount: size, alignment: alignment)
            }
        }
    }

    @Test("zeroed memory is zero even right after the same size held non-zero bytes", arguments: availableBackends)
    func zeroedAfterReuse(_ name: BackendName) throws {
        let allocator = try backend(name)
        for size in [16, 100, 4096, 10 * 1024, 1 << 20] {
            for _ in 0..<20 {
                let dirty = try allocator.allocateUninitialized(byteCount: size)
                dirty.initializeMemory(as: UInt8.self, repeating: 0xC3, count: size)
                allocator.deallocate(dirty, byteCount: size)
                let clean = try allocator.allocateZeroed(byteCount: size)
                let allZero = UnsafeRawBufferPointer(start: clean, count: size).allSatisfy { $0 == 0 }
                allocator.deallocate(clean, byteCount: size)
                #expect(allZero, "\(name): zeroed \(size) B after a dirty block")
            }
        }
    }

    @Test("reallocate keeps the leading bytes when growing and shrinking", arguments: availableBackends)
    func reallocation(_ name: BackendName) throws {
        let allocator = try backend(name)
        var size = 10
        var block = try allocator.allocateUninitialized(byteCount: size)
        for index in 0..<size { block.storeBytes(of: UInt8(index), toByteOffset: index, as: UInt8.self) }
        for newSize in [1000, 100_000, 3 << 20, 50, 10] {
            block = try allocator.reallocate(block, oldByteCount: size, newByteCount: newSize, alignment: allocator.naturalAlignment)
            size = newSize
            for index in 0..<10 { #expect(block.load(fromByteOffset: index, as: UInt8.self) == UInt8(index)) }
        }
        allocator.deallocate(block, byteCount: size)
    }

    @Test("bad sizes, alignments and overflowing counts are typed errors", arguments: availableBackends)
    func badInputs(_ name: BackendName) throws {
        let allocator = try backend(name)
        #expect(throws: AllocationError.negativeSize(-1)) { try allocator.allocateUninitialized(byteCount: -1) }
        #expect(throws: AllocationError.negativeSize(-5)) { try allocator.allocateZeroed(byteCount: -5) }
        for alignment in [0, 3, 24, -16, 1 << 31] {
            #expect(throws: AllocationError.invalidAlignment(alignment)) {
                try allocator.allocateUninitialized(byteCount: 16, alignment: alignment)
            }
        }
        #expect(throws: AllocationError.sizeOverflow(count: Int.max / 2, stride: 3)) {
            try allocator.allocateZeroed(count: Int.max / 2, stride: 3)
        }
        #expect(throws: AllocationError.sizeTooLarge(Int.max)) { try allocator.allocateUninitialized(byteCount: Int.max) }
        let block = try allocator.allocateUninitialized(byteCount: 8)
        #expect(throws: AllocationError.negativeSize(-2)) {
            try allocator.reallocate(block, oldByteCount: 8, newByteCount: -2, alignment: 16)
        }
        allocator.deallocate(block, byteCount: 8)
    }

    @Test("exhaustion is outOfMemory, not a crash or nil", arguments: availableBackends)
    func exhaustion(_ name: BackendName) throws {
        let allocator = try backend(name)
        let impossible = 1 << 52  // 4 PiB: more than this machine's address space allows
        #expect(throws: AllocationError.outOfMemory(backend: name.rawValue, byteCount: impossible, alignment: 16)) {
            try allocator.allocateUninitialized(byteCount: impossible)
        }
    }

    @Test("error descriptions name the bad value and what is allowed")
    func errorDescriptions() {
        #expect(AllocationError.invalidAlignment(3).description.contains("3"))
        #expect(AllocationError.invalidAlignment(3).description.contains("power of two"))
        #expect(AllocationError.negativeSize(-7).description.contains("-7"))
        #expect(AllocationError.sizeOverflow(count: 5, stride: 9).description.contains("5 × 9"))
    }

    @Test("the shim's counters follow allocations and releases", arguments: availableBackends)
    func counters(_ name: BackendName) throws {
        let allocator = try backend(name)
        let before = allocator.statistics()
        let blocks = try (0..<10).map { _ in try allocator.allocateUninitialized(byteCount: 1000) }
        let during = allocator.statistics()
        #expect(during.allocations - before.allocations >= 10)
        for block in blocks { allocator.deallocate(block, byteCount: 1000) }
        let after = allocator.statistics()
        #expect(after.deallocations - before.deallocations >= 10)
    }
}

import AllocShim
import AllocShimTestSupport
import Synchronization
import Testing

/// The output-span initializers and span views (issue 19): a buffer holds exactly what its
/// closure wrote, an error inside the closure leaves nothing allocated, zero-fill and poison
/// modes cover the capacity, and the safe operations of `SharedBytes` exist on `OwnedBytes`.
@Suite("Output-span initializers and span views")
struct OutputSpanTests {
    struct Stop: Error, Equatable { var at: Int }

    /// The four output-span forms, on one source.
    enum Form: String, CaseIterable, CustomStringConvertible {
        case owned, ownedUnpooled, shared, sharedUnpooled
        var description: String { rawValue }

        /// Makes a buffer of `capacity` whose closure appends `written` bytes (value: index & 0xFF)
        /// and returns (count, bytes read back, isPooled).
        func make(capacity: Int, written: Int, using source: BufferSource?) throws -> (Int, [UInt8], Bool) {
            let body: (inout OutputRawSpan) -> Void = { output in
                for index in 0..<written { output.append(UInt8(truncatingIfNeeded: index)) }
            }
            switch self {
            case .owned:
                let buffer = try OwnedBytes(capacity: capacity, using: source, initializingWith: body)
                return (buffer.count, buffer.copyToArray(), buffer.isPooled)
            case .ownedUnpooled:
                let buffer = try OwnedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
                return (buffer.count, buffer.copyToArray(), buffer.isPooled)
            case .shared:
                let buffer = try SharedBytes(capacity: capacity, using: source, initializingWith: body)
                return (buffer.count, buffer.copyToArray(), buffer.isPooled)
            case .sharedUnpooled:
                let buffer = try SharedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
                return (buffer.count, buffer.copyToArray(), buffer.isPooled)
            }
        }

        /// The same, with a closure that throws after appending `written` bytes.
        func makeThrowing(capacity: Int, written: Int, using source: BufferSource?) throws {
            let body: (inout OutputRawSpan) throws(Stop) -> Void = { (output: inout OutputRawSpan) throws(Stop) in
                for index in 0..<written { output.append(UInt8(truncatingIfNeeded: index)) }
                throw Stop(at: written)
            }
            switch self {
            case .owned: _ = try OwnedBytes(capacity: capacity, using: source, initializingWith: body)
            case .ownedUnpooled: _ = try OwnedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
            case .shared: _ = try SharedBytes(capacity: capacity, using: source, initializingWith: body)
            case .sharedUnpooled: _ = try SharedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
            }
        }

        var pools: Bool { self == .owned || self == .shared }
    }

    @Test(
        "count is what the closure initialized: none, some, all of the capacity; on every backend, pooled and unpooled",
        arguments: availableBackends, Form.allCases)
    func countIsWhatWasWritten(_ name: BackendName, _ form: Form) throws {
        let source = try BufferSource.backend(name)
        for capacity in [0, 1, 100, 4096, 100_000] {
            for written in Set([0, capacity / 2, capacity]) {
                let (count, bytes, pooled) = try form.make(capacity: capacity, written: written, using: source)
                #expect(count == written, "\(form) capacity \(capacity)")
                #expect(bytes == (0..<written).map { UInt8(truncatingIfNeeded: $0) }, "\(form) capacity \(capacity)")
                #expect(pooled == (form.pools && source.pool.pools(byteCount: capacity)), "\(form) capacity \(capacity)")
            }
        }
    }

    @Test("an error inside the closure propagates unchanged and leaves nothing allocated", arguments: Form.allCases)
    func errorLeavesNothing(_ form: Form) throws {
        let allocator = RecordingAllocator()
        let source = try BufferSource(allocator: allocator)
        for capacity in [0, 16, 100, 3000, 70_000] {
            let before = source.pool.accounting.referencedBytes
            #expect(throws: Stop(at: capacity / 2)) { try form.makeThrowing(capacity: capacity, written: capacity / 2, using: source) }
            #expect(source.pool.accounting.referencedBytes == before, "\(form) \(capacity): a slice stayed referenced")
        }
        source.pool.releaseIdleSlab()
        let allocations = allocator.allocations.load(ordering: .relaxed)
        let deallocations = allocator.deallocations.load(ordering: .relaxed)
        #expect(allocations > 0)
        #expect(allocations == deallocations, "\(form): \(allocations) allocations, \(deallocations) deallocations")
    }

    @Test("unused capacity of a whole block is given back: live bytes are the count, on the allocator's counters", arguments: Form.allCases)
    func wholeBlocksShrink(_ form: Form) throws {
        let allocator = PrivatelyCountedAllocator()
        let source = try BufferSource(allocator: allocator)
        for (capacity, written) in [(10_000, 100), (100_000, 99_999), (100_000, 0), (5000, 5000)] {
            let before = allocator.counters.liveBytes
            let (count, bytes, _) = try form.make(capacity: capacity, written: written, using: source)
            #expect(count == written && bytes.count == written)
            _ = before
        }
        // Each buffer above is gone: a block freed with a size other than the one it has now
        // would leave the live count off.
        source.pool.releaseIdleSlab()
        #expect(allocator.counters.liveBytes == 0, "\(form): \(allocator.counters.liveBytes) bytes left live")
        let live = try OwnedBytes(unpooledCapacity: 50_000, using: source) { $0.append(repeating: 1, count: 300, as: UInt8.self) }
        #expect(allocator.counters.liveBytes == 300, "the block holds the 300 written bytes, not the 50,000 reserved")
        _ = live.count
    }

    @Test("a pool slice's unused tail is released, and the next buffer on this thread is cut from it")
    func sliceTailGoesBackToThePool() throws {
        let source = try BufferSource.backend(availableBackends[0])  // a per-thread pool
        let first = try OwnedBytes(capacity: 1000, using: source) { $0.append(repeating: 3, count: 100, as: UInt8.self) }
        let second = try OwnedBytes(uninitializedCount: 16, using: source)
        #expect(first.isPooled && second.isPooled)
        let firstStart = first.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        let secondStart = second.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        // Cuts are 8-byte aligned: the next starts right after the 100 bytes kept, not after 1000.
        #expect(secondStart == firstStart + 104, "the next cut started \(Int(secondStart) - Int(firstStart)) bytes after")

        // Accounting, on a private (striped) pool: the slice references what was written.
        let allocator = PrivatelyCountedAllocator()
        let counted = try BufferSource(allocator: allocator)
        let before = counted.pool.accounting.referencedBytes
        let owned = try OwnedBytes(capacity: 3000, using: counted) { $0.append(repeating: 1, count: 10, as: UInt8.self) }
        #expect(counted.pool.accounting.referencedBytes - before == 10)
        let shared = try SharedBytes(capacity: 3000, using: counted) { $0.append(repeating: 1, count: 20, as: UInt8.self) }
        #expect(counted.pool.accounting.referencedBytes - before == 30)
        _ = (owned.count, shared.count)
    }

    @Test("a negative capacity is a typed error naming it; an impossible one is an allocation error", arguments: Form.allCases)
    func badCapacities(_ form: Form) throws {
        #expect(throws: BufferError.allocation(.negativeSize(-1))) { _ = try form.make(capacity: -1, written: 0, using: nil) }
        #expect(throws: BufferError.self) { _ = try form.make(capacity: Int.max, written: 0, using: nil) }
        #expect(throws: BufferError.allocation(.negativeSize(Int.min))) { try form.makeThrowing(capacity: Int.min, written: 0, using: nil) }
    }

    @Test("zero-fill and poison modes cover the whole capacity, written or not", arguments: [false, true])
    func defencesCoverTheCapacity(_ zeroFill: Bool) throws {
        try withPoison(!zeroFill, zeroFill: zeroFill) {
            for capacity in [64, 3000, 20_000] {
                var tail: [UInt8] = []
                let owned = try OwnedBytes(capacity: capacity) { output in
                    output.append(repeating: 0x11, count: 10, as: UInt8.self)
                    // The capacity the closure did not write, as the allocator (and the defence) left it.
                    output.withUnsafeMutableBytes { buffer, initialized in tail = Array(buffer[initialized...]) }
                }
                #expect(owned.count == 10)
                if zeroFill {
                    #expect(tail.allSatisfy { $0 == 0 }, "capacity \(capacity): the unwritten capacity was not zeroed")
                } else {
                    let expected = (10..<capacity).map { PoisonPattern.processWide.byte(at: $0) }
                    #expect(tail == expected, "capacity \(capacity): the unwritten capacity was not poisoned")
                }
            }
        }
    }

    @Test("a span of never-written bytes is reported in poison mode; a written buffer's is not")
    func spansReportExposures() throws {
        let events = Mutex<[String]>([])
        try withPoison(true) {
            ExposureMonitor.setHandler { event in events.withLock { $0.append(event.conversion) } }
            defer { ExposureMonitor.resetHandler() }
            let unwritten = try SharedBytes.allocUnsafe(64)
            _ = unwritten.span.count
            _ = unwritten.bytes.byteCount
            let owned = try OwnedBytes(uninitializedCount: 64)
            _ = owned.span.count
            let written = try OwnedBytes(capacity: 64) { $0.append(repeating: 7, count: 64, as: UInt8.self) }
            _ = written.span.count
            _ = written.bytes.byteCount
        }
        #expect(events.withLock { $0 } == ["Span", "RawSpan", "Span"])
    }

    @Test("span views read and write the buffer's own bytes, without a copy")
    func spanViews() throws {
        var owned = try OwnedBytes(capacity: 8) { output in for byte: UInt8 in 1...8 { output.append(byte) } }
        do {
            var writable = owned.mutableSpan
            writable[0] = 0xF0
        }
        do {
            var raw = owned.mutableBytes
            raw.storeBytes(of: 0xEE, toByteOffset: 1, as: UInt8.self)
        }
        #expect(owned[0] == 0xF0 && owned[1] == 0xEE)
        let span = owned.span
        #expect(span.count == 8 && span[7] == 8)
        #expect(owned.bytes.byteCount == 8)
        owned.withUnsafeBytes { pointer in
            span.withUnsafeBufferPointer { #expect(UnsafeRawPointer($0.baseAddress) == pointer.baseAddress) }
        }

        var shared = try SharedBytes.from([1, 2, 3, 4])
        let slice = try shared.slice(1..<3)
        #expect(slice.span.count == 2 && slice.span[0] == 2)
        do {
            var writable = shared.mutableSpan
            writable[1] = 9
        }
        #expect(slice[0] == 9, "a write through one view shows in the others (Node's semantics)")

        var secret = try SecureBytes(zeroedCount: 4)
        do {
            var writable = secret.mutableSpan
            writable[3] = 5
        }
        #expect(secret.span[3] == 5 && secret.bytes.byteCount == 4)
    }

    @Test("OwnedBytes has SharedBytes' safe operations, with the same results")
    func ownedOperations() throws {
        var owned = try OwnedBytes(zeroedCount: 8)
        let shared = try SharedBytes.alloc(8)
        let empty = try OwnedBytes(zeroedCount: 0)
        let ownedIsEmpty = owned.isEmpty, emptyIsEmpty = empty.isEmpty
        #expect(!ownedIsEmpty)
        #expect(emptyIsEmpty)
        try owned.writeInteger(UInt32(0x0102_0304), at: 0, byteOrder: .big)
        try shared.writeInteger(UInt32(0x0102_0304), at: 0, byteOrder: .big)
        try owned.writeInteger(UInt16(0x0506), at: 4, byteOrder: .little)
        try shared.writeInteger(UInt16(0x0506), at: 4, byteOrder: .little)
        let equalToShared = owned == shared
        #expect(equalToShared)
        #expect(try owned.readInteger(at: 0, as: UInt32.self, byteOrder: .little) == 0x0403_0201)
        #expect(throws: BufferError.outOfBounds(offset: 6, length: 4, count: 8)) {
            try owned.readInteger(at: 6, as: UInt32.self, byteOrder: .big)
        }
        #expect(throws: BufferError.outOfBounds(offset: Int.max, length: 2, count: 8)) {
            try owned.writeInteger(UInt16(1), at: Int.max, byteOrder: .big)
        }
        try owned.fill(.string("ab", encoding: .utf8))
        #expect(try owned.string() == "abababab")
        let same = try OwnedBytes(capacity: 8) { $0.append(repeating: 0x61, count: 8, as: UInt8.self) }
        let other = try OwnedBytes(capacity: 8) { $0.append(repeating: 0x61, count: 7, as: UInt8.self) }
        try owned.fill(.byte(0x61))
        let equalToSame = owned == same, equalToOther = owned == other
        #expect(equalToSame)
        #expect(!equalToOther)
        #expect(owned.copyToArray() == Array(repeating: 0x61, count: 8))
    }

    @Test("descriptions name count, capacity, allocator and pooling, never the bytes")
    func descriptions() throws {
        let secret: [UInt8] = Array("hunter2-hunter2".utf8)
        let shared = try SharedBytes.from(secret)
        let owned = try OwnedBytes(capacity: 100) { output in for byte in secret { output.append(byte) } }
        let texts = [shared.description, "\(shared)", shared.debugDescription, String(reflecting: shared), owned.description]
        var dumped = ""
        dump(shared, to: &dumped)
        for text in texts + [dumped] {
            #expect(!text.contains("hunter2") && !text.contains("104") && !text.contains("ByteStorage"), "\(text)")
        }
        #expect(shared.description.hasPrefix("SharedBytes(count: 15, allocator: "))
        #expect(owned.description.hasPrefix("OwnedBytes(count: 15, allocator: "))
        #expect(owned.description.hasSuffix(", pooled)") == owned.isPooled)
    }
}

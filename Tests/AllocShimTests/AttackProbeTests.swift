// Hostile-user probes of issues 19 and 21 through the public API only (helper h-attack,
// 2026-12-07). Each test names the promise it attacks; a failing one is a broken promise.
import AllocShim
import AllocShimTestSupport
import Foundation
import Synchronization
import Testing

/// An allocator of the user's (over `system`) that tracks every block it handed out, so a test
/// can prove each block is freed exactly once, into this allocator, and never after it died.
final class LifetimeProbeAllocator: Allocator {
    let name = "lifetime-probe"
    let naturalAlignment = 16
    /// Addresses handed out and not yet freed.
    let live = TestLocked<Set<UInt>>([])
    /// Frees of an address this allocator did not hand out (or already took back).
    let foreignFrees = Atomic<Int>(0)
    let allocations = Atomic<Int>(0)
    let deallocations = Atomic<Int>(0)
    private let counters = AllocationCounters()
    private let deathRecord: DeathRecord

    /// What outlives the allocator: whether it died, and whether anything called it after.
    final class DeathRecord: Sendable {
        let died = Atomic<Bool>(false)
        let callsAfterDeath = Atomic<Int>(0)
        init() {}
        var hasDied: Bool { died.load(ordering: .sequentiallyConsistent) }
        var lateCalls: Int { callsAfterDeath.load(ordering: .relaxed) }
    }

    init(deathRecord: DeathRecord) { self.deathRecord = deathRecord }
    deinit { deathRecord.died.store(true, ordering: .sequentiallyConsistent) }

    private func noteCall() {
        if deathRecord.died.load(ordering: .sequentiallyConsistent) {
            deathRecord.callsAfterDeath.wrappingAdd(1, ordering: .relaxed)
        }
    }

    private func handedOut(_ pointer: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        allocations.wrappingAdd(1, ordering: .relaxed)
        live.withLock { _ = $0.insert(UInt(bitPattern: pointer)) }
        return pointer
    }

    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        noteCall()
        return handedOut(try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment))
    }
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        noteCall()
        return handedOut(try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment))
    }
    func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        noteCall()
        let moved = try SystemAllocator.shared.reallocate(
            pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
        live.withLock {
            if $0.remove(UInt(bitPattern: pointer)) == nil { foreignFrees.wrappingAdd(1, ordering: .relaxed) }
            $0.insert(UInt(bitPattern: moved))
        }
        return moved
    }
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        noteCall()
        deallocations.wrappingAdd(1, ordering: .relaxed)
        let known = live.withLock { $0.remove(UInt(bitPattern: pointer)) != nil }
        if !known { foreignFrees.wrappingAdd(1, ordering: .relaxed) }
        SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
    }
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
    }
    func statistics() -> AllocatorStatistics { AllocatorStatistics(backend: name, counters: counters, source: "test") }
}

/// An error whose identity a test can check (a class): "rethrows the same error".
final class IdentifiedError: Error, @unchecked Sendable {}

@Suite("Attack probes: issues 19 and 21 through the public API", .serialized)
struct AttackProbeTests {
    static let hostileSizes = [Int.min, -1, Int.max, Int.max - 7, Int.max / 2]

    // MARK: Issue 19, item 1: output-span initializers

    @Test("output-span count equals the bytes written: 0, 1, partial and full capacity, every form and backend")
    func outputSpanCounts() throws {
        let sources: [BufferSource?] = [nil] + (try availableBackends.map { try BufferSource.backend($0) })
        for source in sources {
            for capacity in [0, 1, 7, 8, 9, 100, 4096, 70_000] {
                for written in Set([0, 1, capacity / 2, capacity]) where written <= capacity {
                    let pattern = (0..<written).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                    let fill: (inout OutputRawSpan) -> Void = { output in
                        for byte in pattern { output.append(byte) }
                    }
                    let pooled = try OwnedBytes(capacity: capacity, using: source, initializingWith: fill)
                    let unpooled = try OwnedBytes(unpooledCapacity: capacity, using: source, initializingWith: fill)
                    let shared = try SharedBytes(capacity: capacity, using: source, initializingWith: fill)
                    let sharedUnpooled = try SharedBytes(unpooledCapacity: capacity, using: source, initializingWith: fill)
                    let ownedCounts = pooled.count == written && unpooled.count == written
                    #expect(ownedCounts)
                    #expect(shared.count == written && sharedUnpooled.count == written)
                    let ownedBytes = pooled.copyToArray() == pattern && unpooled.copyToArray() == pattern
                    #expect(ownedBytes)
                    #expect(shared.copyToArray() == pattern && sharedUnpooled.copyToArray() == pattern)
                }
            }
        }
    }

    @Test("output-span initializers refuse hostile capacities with a typed BufferError, never a trap")
    func outputSpanHostileCapacities() {
        for capacity in Self.hostileSizes {
            #expect(throws: BufferError.self) { _ = try OwnedBytes(capacity: capacity) { _ in } }
            #expect(throws: BufferError.self) { _ = try OwnedBytes(unpooledCapacity: capacity) { _ in } }
            #expect(throws: BufferError.self) { _ = try SharedBytes(capacity: capacity) { _ in } }
            #expect(throws: BufferError.self) { _ = try SharedBytes(unpooledCapacity: capacity) { _ in } }
            #expect(throws: BufferError.self) {
                _ = try OwnedBytes(capacity: capacity) { (_: inout OutputRawSpan) throws(IdentifiedError) in }
            }
            #expect(throws: BufferError.self) {
                _ = try SharedBytes(unpooledCapacity: capacity) { (_: inout OutputRawSpan) throws(IdentifiedError) in }
            }
        }
    }

    @Test("a throwing closure rethrows the same error and leaves nothing of the user's allocator allocated")
    func outputSpanThrowLeaksNothing() throws {
        let record = LifetimeProbeAllocator.DeathRecord()
        do {
            let allocator = LifetimeProbeAllocator(deathRecord: record)
            let source = try BufferSource(allocator: allocator)
            for capacity in [0, 1, 100, 4096, 100_000] {
                for written in Set([0, capacity / 2, capacity]) {
                    let thrown = IdentifiedError()
                    let body = { (output: inout OutputRawSpan) throws(IdentifiedError) -> Void in
                        for _ in 0..<written { output.append(UInt8(0xAB)) }
                        throw thrown
                    }
                    for form in 0..<4 {
                        do {
                            switch form {
                            case 0: _ = try OwnedBytes(capacity: capacity, using: source, initializingWith: body)
                            case 1: _ = try OwnedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
                            case 2: _ = try SharedBytes(capacity: capacity, using: source, initializingWith: body)
                            default: _ = try SharedBytes(unpooledCapacity: capacity, using: source, initializingWith: body)
                            }
                            Issue.record("form \(form) capacity \(capacity): no error")
                        } catch let error as IdentifiedError {
                            #expect(error === thrown, "form \(form): a different error object")
                        } catch {
                            Issue.record("form \(form) capacity \(capacity): \(error) instead of the closure's error")
                        }
                    }
                    // Unpooled blocks must all be back now (pooled slabs may stay with the source).
                }
            }
            #expect(allocator.foreignFrees.load(ordering: .relaxed) == 0)
            // Only slabs the source keeps may be live here; dropping the source frees them.
            _ = source
        }
        #expect(record.hasDied, "the allocator outlived its source and buffers")
        #expect(record.lateCalls == 0)
    }

    @Test("nested output-span initializers (a closure that makes pooled buffers and keeps them) never overlap")
    func nestedOutputSpansDoNotOverlap() throws {
        for source in [nil, try BufferSource(allocator: LifetimeProbeAllocator(deathRecord: .init()))] as [BufferSource?] {
            var kept: [SharedBytes] = []
            var expected: [[UInt8]] = []
            for round in 0..<200 {
                let outerByte = UInt8(truncatingIfNeeded: round)
                let outer = try SharedBytes(capacity: 64 + round % 50, using: source) { output in
                    output.append(outerByte)
                    // Inner buffers cut after the outer one, some kept, some freed, some trimmed.
                    for inner in 0..<3 {
                        let innerByte = UInt8(truncatingIfNeeded: 0x80 &+ inner &+ round)
                        let innerWritten = (round + inner) % 40
                        let buffer = try! SharedBytes(capacity: 40, using: source) { innerOutput in
                            for _ in 0..<innerWritten { innerOutput.append(innerByte) }
                        }
                        if inner != 1 {
                            kept.append(buffer)
                            expected.append([UInt8](repeating: innerByte, count: innerWritten))
                        }
                    }
                    for _ in 1..<(round % 20 + 1) { output.append(outerByte) }
                }
                kept.append(outer)
                expected.append([UInt8](repeating: outerByte, count: round % 20 + 1))
                // Buffers made after the outer one trimmed must not land in any kept one.
                let after = try SharedBytes(capacity: 64, using: source) { output in
                    for _ in 0..<64 { output.append(UInt8(0xEE)) }
                }
                kept.append(after)
                expected.append([UInt8](repeating: 0xEE, count: 64))
            }
            for (index, buffer) in kept.enumerated() {
                #expect(buffer.copyToArray() == expected[index], "buffer \(index) was overwritten")
            }
        }
    }

    @Test("output-span buffers made and trimmed on many threads at once never overlap (user allocator and arena)")
    func concurrentTrimmedOutputSpans() throws {
        var sources: [BufferSource] = [try BufferSource(allocator: LifetimeProbeAllocator(deathRecord: .init()))]
        if let arena = try? JemallocArena() { sources.append(try BufferSource(allocator: arena)) }
        for source in sources {
            let failures = TestLocked<Int>(0)
            runThreads(6) { thread in
                var kept: [SharedBytes] = []
                var expected: [(UInt8, Int)] = []
                for round in 0..<3000 {
                    let byte = UInt8(truncatingIfNeeded: thread &* 40 &+ round)
                    let written = (round &* 7 &+ thread) % 97
                    let buffer = try! OwnedBytes(capacity: 96 + round % 5, using: source) { output in
                        for _ in 0..<written { output.append(byte) }
                    }
                    if round % 3 == 0 {
                        kept.append(buffer.share())
                        expected.append((byte, written))
                    }
                    if kept.count > 50 {
                        for index in expected.indices
                        where kept[index].copyToArray() != [UInt8](repeating: expected[index].0, count: expected[index].1) {
                            failures.withLock { $0 += 1 }
                        }
                        kept.removeAll()
                        expected.removeAll()
                    }
                }
            }
            #expect(failures.withLock { $0 } == 0, "\(source): overlapping slices")
        }
    }

    // MARK: Issue 21, item 1: a user's allocator outlives every buffer made from it

    @Test("every path keeps a user allocator alive until its last block is freed, and frees each block once")
    func userAllocatorLifetimes() throws {
        typealias Make = (BufferSource, LifetimeProbeAllocator) throws -> [SharedBytes]
        let paths: [(String, Make)] = [
            ("alloc", { s, _ in [try SharedBytes.alloc(100, using: s)] }),
            ("allocUnsafe", { s, _ in [try SharedBytes.allocUnsafe(100, using: s)] }),
            ("allocUnsafeSlow", { s, _ in [try SharedBytes.allocUnsafeSlow(100, using: s)] }),
            ("zeroedCount", { s, _ in [try OwnedBytes(zeroedCount: 100, using: s).share()] }),
            ("uninitializedCount", { s, _ in [try OwnedBytes(uninitializedCount: 100, using: s).share()] }),
            ("output span pooled", { s, _ in [try SharedBytes(capacity: 100, using: s) { $0.append(UInt8(1)) }] }),
            ("output span unpooled", { s, _ in [try SharedBytes(unpooledCapacity: 100_000, using: s) { $0.append(UInt8(1)) }] }),
            ("output span unpooled empty", { s, _ in [try SharedBytes(unpooledCapacity: 100, using: s) { _ in }] }),
            ("copying span", { s, _ in [try OwnedBytes(copying: [UInt8](repeating: 3, count: 50).span.bytes, using: s).share()] }),
            ("from", { s, _ in [try SharedBytes.from([1, 2, 3], using: s)] }),
            ("concat", { s, _ in [try SharedBytes.concat([try SharedBytes.from([1, 2], using: s)], using: s)] }),
            (
                "builder",
                { s, _ in
                    var builder = try BytesBuilder(initialCapacity: 4, using: s)
                    for _ in 0..<100 { try builder.append("grow me") }
                    return [try builder.finish()]
                }
            ),
            ("slice", { s, _ in [try SharedBytes.alloc(100, using: s).slice(10..<20)] }),
        ]
        for (name, make) in paths {
            let record = LifetimeProbeAllocator.DeathRecord()
            weak var weakAllocator: LifetimeProbeAllocator?
            var buffers: [SharedBytes]
            var probe: LifetimeProbeAllocator?
            do {
                let allocator = LifetimeProbeAllocator(deathRecord: record)
                weakAllocator = allocator
                probe = allocator
                let source = try BufferSource(allocator: allocator)
                buffers = try make(source, allocator)
            }
            let allocator = try #require(probe)
            probe = nil
            #expect(!record.hasDied, "\(name): the allocator died under a live buffer")
            _ = allocator.deallocations.load(ordering: .relaxed)
            withExtendedLifetime(allocator) {}
            buffers.removeAll()
            _ = weakAllocator
            #expect(record.lateCalls == 0, "\(name): allocator called after it died")
            #expect(allocator.foreignFrees.load(ordering: .relaxed) == 0, "\(name): a block freed twice or not its own")
        }
    }

    @Test("a user allocator dropped before its buffers: nothing calls it after it died, and it dies in the end")
    func userAllocatorDiesAfterBuffers() throws {
        let forms: [(String, (BufferSource) throws -> SharedBytes)] = [
            ("pooled", { try SharedBytes.allocUnsafe(100, using: $0) }),
            ("unpooled", { try SharedBytes.allocUnsafeSlow(100, using: $0) }),
            ("output span pooled trimmed", { try SharedBytes(capacity: 100, using: $0) { $0.append(UInt8(9)) } }),
            ("output span unpooled trimmed", { try SharedBytes(unpooledCapacity: 100_000, using: $0) { $0.append(UInt8(9)) } }),
            ("data", { source in try SharedBytes.alloc(100, using: source) }),
        ]
        for (name, make) in forms {
            let record = LifetimeProbeAllocator.DeathRecord()
            var buffer: SharedBytes? = try {
                let source = try BufferSource(allocator: LifetimeProbeAllocator(deathRecord: record))
                return try make(source)
            }()
            #expect(!record.hasDied, "\(name): died under a live buffer")
            do {
                // The Data holds the region after the buffer is gone; both go before the checks.
                let data = name == "data" ? buffer!.unsafeDataSharingMemory() : nil
                buffer = nil
                #expect(data.map { $0.count == 100 && $0.allSatisfy { $0 == 0 } } ?? true)
            }
            #expect(record.lateCalls == 0, "\(name): called after it died")
            #expect(record.hasDied, "\(name): the allocator outlived its source and its last buffer")
            _ = buffer
        }
    }

    // MARK: Issue 19, item 3: OwnedBytes without unsafe pointers

    @Test("integer reads and writes at hostile offsets: typed outOfBounds errors, both buffer types, slices too")
    func integerOffsets() throws {
        var owned = try OwnedBytes(zeroedCount: 16)
        let shared = try SharedBytes.alloc(64).slice(40..<56)
        let empty = try OwnedBytes(zeroedCount: 0)
        for offset in [Int.min, Int.min + 1, -1, 9, 15, 16, 17, Int.max - 7, Int.max - 1, Int.max] {
            #expect(throws: BufferError.self) { _ = try owned.readInteger(at: offset, as: UInt64.self, byteOrder: .big) }
            #expect(throws: BufferError.self) { try owned.writeInteger(UInt64.max, at: offset, byteOrder: .little) }
            #expect(throws: BufferError.self) { _ = try shared.readInteger(at: offset, as: UInt64.self, byteOrder: .big) }
            #expect(throws: BufferError.self) { try shared.writeInteger(UInt64.max, at: offset, byteOrder: .little) }
            #expect(throws: BufferError.self) { _ = try empty.readInteger(at: offset, as: UInt8.self, byteOrder: .big) }
        }
        #expect(throws: BufferError.self) { _ = try empty.readInteger(at: 0, as: UInt8.self, byteOrder: .big) }
        try owned.writeInteger(UInt64(0x0102_0304_0506_0708), at: 8, byteOrder: .big)
        #expect(try owned.readInteger(at: 8, as: UInt64.self, byteOrder: .big) == 0x0102_0304_0506_0708)
        #expect(try owned.readInteger(at: 15, as: UInt8.self, byteOrder: .little) == 8)
    }

    @Test("string(encoding:) and fill with hostile text: a result or a typed error, never a trap")
    func stringsAndFills() throws {
        let hostile: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00], [0x41], [0x41, 0x42, 0x43], [], [0xF4, 0x90, 0x80, 0x80]]
        for bytes in hostile {
            let owned = try OwnedBytes(copying: bytes.span.bytes)
            let shared = try SharedBytes.from(bytes)
            for encoding in ByteEncoding.allCases {
                _ = try? owned.string(encoding: encoding)
                _ = try? shared.string(encoding: encoding)
                #expect((try? owned.string(encoding: encoding)) == (try? shared.string(encoding: encoding)))
            }
        }
        for pattern: FillPattern in [
            .bytes([]), .string(""), .string("", encoding: .hex), .string("z", encoding: .hex), .string("zz", encoding: .hex),
            .string("a", encoding: .hex), .string("====", encoding: .base64), .string("\u{10FFFF}", encoding: .latin1),
            .string("\u{10FFFF}", encoding: .ascii), .string("é", encoding: .utf16le), .byte(0xFF),
        ] {
            for count in [0, 1, 2, 3, 17] {
                var owned = try OwnedBytes(zeroedCount: count)
                let shared = try SharedBytes.alloc(count)
                let ownedResult = Result { () throws(BufferError) in try owned.fill(pattern) }
                let sharedResult = Result { () throws(BufferError) in try shared.fill(pattern) }
                #expect((try? ownedResult.get()) != nil || (try? sharedResult.get()) == nil, "\(pattern) \(count)")
                if (try? ownedResult.get()) != nil {
                    let same = owned == shared
                    #expect(same, "\(pattern) \(count): fills differ")
                }
            }
        }
    }

    @Test("== between OwnedBytes and SharedBytes, both ways, empty and sliced")
    func equality() throws {
        let owned = try OwnedBytes(copying: ([1, 2, 3] as [UInt8]).span.bytes)
        let shared = try SharedBytes.from([9, 1, 2, 3, 9]).slice(1..<4)
        let ownedFirst = owned == shared
        let sharedFirst = shared == owned
        #expect(ownedFirst && sharedFirst)
        let emptyOwned = try OwnedBytes(zeroedCount: 0)
        let emptyShared = try SharedBytes.alloc(0)
        let emptiesEqual = emptyOwned == emptyShared && emptyShared == emptyOwned
        #expect(emptiesEqual)
        let other = try OwnedBytes(copying: ([1, 2, 4] as [UInt8]).span.bytes)
        let differ = owned != other && owned != emptyShared && emptyShared != owned
        #expect(differ)
    }

    @Test("no description, mirror, dump or interpolation prints a buffer's bytes")
    func descriptionsHideBytes() throws {
        // Bytes that spell a recognisable secret in every rendering a printer might choose.
        let secret: [UInt8] = Array("SECRETSECRET".utf8)
        let shared = try SharedBytes.from(secret)
        let owned = try OwnedBytes(copying: secret.span.bytes)
        var dumped = ""
        dump(shared, to: &dumped)
        var dumpedSlice = ""
        dump(shared[2..<6], to: &dumpedSlice)
        var dumpedOptional = ""
        dump(Optional(shared), to: &dumpedOptional)
        let renderings = [
            shared.description, shared.debugDescription, "\(shared)", String(describing: shared), String(reflecting: shared),
            dumped, dumpedSlice, dumpedOptional, String(describing: shared[2..<6]), String(reflecting: shared[2..<6]),
            String(describing: [shared]), String(reflecting: [shared]), String(describing: (shared, 1)),
            owned.description, String(describing: shared.reversed()),
        ]
        let decimal = secret.map(String.init).joined(separator: ", ")
        for text in renderings {
            #expect(!text.contains("SECRET") && !text.contains(decimal) && !text.contains("83, 69, 67"), "\(text)")
        }
    }

    // MARK: Issue 21, item 5: the exposure detector on bytes that moved

    @Test("unwritten bytes are found wherever they land: every source and target offset, every copying path")
    func movedExposuresAreFound() throws {
        try withPoison(true) {
            let detector = ExposureDetector.standard
            let unwritten = try SharedBytes.allocUnsafeSlow(4096)
            #expect(!detector.scan(unwritten.copyToArray()).isEmpty, "the fresh buffer itself")
            // 15 bytes from any source offset hold one whole pattern word; 8 from an aligned one.
            for (length, sourceOffsets) in [(15, Array(0..<16) + [2040, 2041, 4081]), (8, [0, 8, 2040, 2048, 4088])] {
                for sourceOffset in sourceOffsets {
                    let run = try unwritten.slice(sourceOffset..<(sourceOffset + length))
                    for targetOffset in 0..<17 {
                        let header = try SharedBytes.alloc(targetOffset, fill: .byte(0x20))
                        let place = "length \(length) from \(sourceOffset) to \(targetOffset)"
                        let joined = try SharedBytes.concat([header, run, header])
                        #expect(!detector.scan(joined.copyToArray()).isEmpty, "concat \(place)")
                        var builder = try BytesBuilder(initialCapacity: 1)
                        try builder.append(header)
                        try builder.append(run)
                        let built = try builder.finish()
                        #expect(!detector.scan(built.copyToArray()).isEmpty, "builder \(place)")
                        let target = try SharedBytes.alloc(targetOffset + length + 3, fill: .byte(0x41))
                        try run.copy(to: target, at: targetOffset)
                        #expect(!detector.scan(target.copyToArray()).isEmpty, "copy(to:at:) \(place)")
                        let copied = try OwnedBytes(copying: joined.bytes)
                        let copiedFound = !detector.scan(copied.copyToArray()).isEmpty
                        #expect(copiedFound, "OwnedBytes(copying:) \(place)")
                        let secure = try SecureBytes(copying: joined.bytes)
                        let secureFound = secure.withUnsafeBytes { !detector.scan($0).isEmpty }
                        #expect(secureFound, "SecureBytes(copying:) \(place)")
                        #expect(!detector.scan(joined.dataCopy()).isEmpty, "dataCopy \(place)")
                    }
                }
            }
        }
    }

    // MARK: Issue 21, item 9: ProcessDefaultAllocator.set

    @Test("setting a default allocator many times keeps no allocator that no buffer references, beyond one per distinct allocator")
    func defaultAllocatorSetsAreBounded() throws {
        try ProcessSettingsLock.exclusive {
            let original = try ProcessDefaultAllocator.allocator()
            defer { ProcessDefaultAllocator.set(original) }
            // Switching among a few allocators, with a buffer made from each default: nothing grows.
            let record = LifetimeProbeAllocator.DeathRecord()
            let mine = LifetimeProbeAllocator(deathRecord: record)
            for round in 0..<2000 {
                ProcessDefaultAllocator.set(round % 2 == 0 ? mine : SystemAllocator.shared)
                let buffer = try SharedBytes.allocUnsafe(100)
                #expect(buffer.allocatorName == (round % 2 == 0 ? "lifetime-probe" : SystemAllocator.shared.name))
            }
            ProcessDefaultAllocator.set(original)
            #expect(mine.foreignFrees.load(ordering: .relaxed) == 0)
            #expect(record.lateCalls == 0)
        }
    }

    @Test("pooled output spans that throw, trim or nest leave the pool's referenced bytes where they were, and its slabs freeable")
    func outputSpanPoolAccounting() throws {
        let allocator = LifetimeProbeAllocator(deathRecord: .init())
        for source in [try BufferSource(allocator: allocator), try BufferSource.backend(.system)] {
            let before = source.pool.accounting.referencedBytes
            for capacity in [1, 8, 100, 1000, source.pool.poolingThreshold] {
                for written in Set([0, 1, capacity / 2, capacity]) where written <= capacity {
                    do {
                        _ = try OwnedBytes(capacity: capacity, using: source) { (output: inout OutputRawSpan) throws(IdentifiedError) in
                            for _ in 0..<written { output.append(UInt8(1)) }
                            // A buffer cut after this one, kept past the throw, and one dropped.
                            let inner = try! SharedBytes(capacity: 50, using: source) { $0.append(UInt8(2)) }
                            _ = try! OwnedBytes(capacity: 30, using: source) { _ in }
                            withExtendedLifetime(inner) {}
                            throw IdentifiedError()
                        }
                    } catch {}
                    let trimmed = try OwnedBytes(capacity: capacity, using: source) { output in
                        for _ in 0..<written { output.append(UInt8(3)) }
                    }
                    let trimmedCount = trimmed.count
                    #expect(trimmedCount == written)
                }
            }
            #expect(source.pool.accounting.referencedBytes == before, "\(source.pool.accounting)")
        }
        let slabs = allocator.live.withLock { $0.count }
        #expect(slabs <= 1, "\(slabs) slabs of the user's allocator still live with every buffer gone")
    }

    // MARK: Tenant churn past jemalloc's arena limit

    // On demand only (ATTACK_TENANT_CHURN=1, with --filter): for its 2 s it takes every arena index
    // jemalloc frees, which ArenaThreadCacheTests, running in parallel, waits to get back.
    @Test(
        "6,000 tenants through 2 slots, each with pooled and unpooled buffers: evicted arenas are destroyed, none run out",
        .enabled(if: JemallocControl.isAvailable && getenv("ATTACK_TENANT_CHURN") != nil))
    func tenantChurnDoesNotExhaustArenas() throws {
        let tenants = try TenantArenas(maximumTenants: 2)
        for round in 0..<6000 {
            let name = "tenant-\(round)"
            let source = try tenants.source(for: name)
            let pooled = try SharedBytes.alloc(100, using: source)
            let trimmed = try OwnedBytes(capacity: 200, using: source) { $0.append(UInt8(1)) }
            let unpooled = try SharedBytes.allocUnsafeSlow(10_000, using: source)
            #expect(pooled.count + trimmed.count + unpooled.count == 10_101)
        }
        tenants.evictAll()
    }

    // MARK: Issue 19: spans cannot outlive their buffer, even a temporary one
    //
    // `let span = try make().span` (a span of a temporary made by a throwing call) crashes
    // swift-frontend 6.3.1 in IR generation ("Broken module found"), for `[UInt8]` as for
    // AllocShim's buffers: a compiler bug, so the temporaries here come from non-throwing calls.

    @Test("a span of a temporary buffer: the buffer lives as long as the span is used")
    func spanOfTemporary() throws {
        let allocator = LifetimeProbeAllocator(deathRecord: .init())
        let source = try BufferSource(allocator: allocator)
        let size = 100_000  // unpooled: the block is freed the moment its buffer goes
        func shared() -> SharedBytes { try! SharedBytes.alloc(size, fill: .byte(7), using: source) }
        func owned() -> OwnedBytes {
            try! OwnedBytes(unpooledCapacity: size, using: source) { output in
                for _ in 0..<size { output.append(UInt8(7)) }
            }
        }
        func secure() -> SecureBytes { try! SecureBytes(zeroedCount: size, allocator: allocator) }
        do {
            let span = shared().bytes
            let live = allocator.live.withLock { $0.count }
            #expect(live == 1, "SharedBytes: freed while its span is in use")
            #expect(span.unsafeLoad(fromByteOffset: size - 1, as: UInt8.self) == 7)
        }
        do {
            let span = owned().span
            let live = allocator.live.withLock { $0.count }
            #expect(live == 1, "OwnedBytes: freed while its span is in use")
            #expect(span[size - 1] == 7)
        }
        do {
            let span = secure().span
            let live = allocator.live.withLock { $0.count }
            #expect(live == 1, "SecureBytes: freed while its span is in use")
            #expect(span[size - 1] == 0)
        }
        #expect(allocator.live.withLock { $0.count } == 0)
    }

    // MARK: Collections whose count, storage and iteration disagree (no unsafe operation in the user's code)

    @Test(
        "a Collection whose contiguous storage or iteration disagrees with its count never writes past the buffer nor leaves bytes unwritten",
        arguments: [LyingBytes.Lie.longerStorage, .shorterStorage, .longerIteration, .shorterIteration])
    func lyingCollections(_ lie: LyingBytes.Lie) throws {
        let canaries = CanaryAllocator()
        let source = try BufferSource(allocator: canaries)
        let liar = LyingBytes(lie: lie, count: 10_000)
        do {
            let shared = try SharedBytes.from(liar, using: source)
            #expect(shared.count == 10_000)
            #expect(shared.allSatisfy { $0 == 0x41 || $0 == 0 }, "\(lie): SharedBytes.from left unwritten bytes readable")
        }
        // SecureBytes copied with the standard library's copyBytes(from:), which checks the
        // source's length only in debug builds: here it trapped, and a release build wrote past
        // the block (48 of 48 extra bytes in a -O reproduction).
        do {
            let secure = try SecureBytes(copying: liar, allocator: canaries)
            let onlyCopiedOrZero = secure.withUnsafeBytes { $0.allSatisfy { $0 == 0x41 || $0 == 0 } }
            #expect(secure.count == 10_000 && onlyCopiedOrZero)
        }
        #expect(canaries.overflows.load(ordering: .relaxed) == 0, "\(lie): wrote past the end of a block")
    }
}

/// Bytes whose `count` (10,000) disagrees with their contiguous storage or their iteration, by
/// 8 KiB either way; entirely safe code (the storage is an array's, passed on).
struct LyingBytes: Collection {
    enum Lie: Sendable, CustomTestStringConvertible {
        case longerStorage, shorterStorage, longerIteration, shorterIteration
        var testDescription: String { "\(self)" }
    }
    let lie: Lie
    let count: Int
    private let storage: [UInt8]

    init(lie: Lie, count: Int) {
        self.lie = lie
        self.count = count
        let length = lie == .longerStorage || lie == .longerIteration ? count + 8192 : count - 8192
        storage = [UInt8](repeating: 0x41, count: length)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { lie == .longerIteration || lie == .shorterIteration ? storage.count : count }
    subscript(position: Int) -> UInt8 { storage[position] }
    func index(after i: Int) -> Int { i + 1 }
    func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        guard lie == .longerStorage || lie == .shorterStorage else { return nil }
        return try storage.withContiguousStorageIfAvailable(body)
    }
}

/// A system-backed allocator that hands out uninitialized blocks dirty (0xEE), puts 16 KiB of
/// canary bytes after every block and counts the blocks whose canary was overwritten when they
/// come back.
final class CanaryAllocator: Allocator {
    let name = "canary"
    let naturalAlignment = 16
    static let padding = 16 << 10
    let overflows = Atomic<Int>(0)
    private let counters = AllocationCounters()

    private func padded(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) -> UnsafeMutableRawPointer {
        (pointer + byteCount).initializeMemory(as: UInt8.self, repeating: 0xCD, count: Self.padding)
        return pointer
    }
    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard byteCount <= Int.max - Self.padding else { throw .sizeTooLarge(byteCount) }
        let block = try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount + Self.padding, alignment: alignment)
        // Dirty, as reused memory is: unwritten bytes then show as 0xEE.
        block.initializeMemory(as: UInt8.self, repeating: 0xEE, count: byteCount)
        return padded(block, byteCount)
    }
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        guard byteCount <= Int.max - Self.padding else { throw .sizeTooLarge(byteCount) }
        return padded(try SystemAllocator.shared.allocateZeroed(byteCount: byteCount + Self.padding, alignment: alignment), byteCount)
    }
    func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        check(pointer, oldByteCount)
        let moved = try SystemAllocator.shared.reallocate(
            pointer, oldByteCount: oldByteCount + Self.padding, newByteCount: newByteCount + Self.padding, alignment: alignment)
        return padded(moved, newByteCount)
    }
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        check(pointer, byteCount)
        SystemAllocator.shared.deallocate(pointer, byteCount: byteCount + Self.padding, alignment: alignment)
    }
    private func check(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int) {
        let intact = UnsafeRawBufferPointer(start: pointer + byteCount, count: Self.padding).allSatisfy { $0 == 0xCD }
        if !intact { overflows.wrappingAdd(1, ordering: .relaxed) }
    }
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int { 0 }
    func statistics() -> AllocatorStatistics { AllocatorStatistics(backend: name, counters: counters, source: "test") }
}

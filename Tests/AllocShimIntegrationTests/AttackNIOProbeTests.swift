#if NIO
    // Hostile-user probes of issue 19's NIO handoff and issue 21's lifetimes through the public
    // API only (helper h-attack, 2026-12-07). A failing test is a broken promise.
    import AllocShim
    import AllocShimNIO
    import AllocShimTestSupport
    import Foundation
    import NIOCore
    import Synchronization
    import Testing

    /// A user's allocator over `system` that knows every block it handed out and records any call
    /// made after it died (which, without this record, would be a use-after-free).
    final class MortalLedgerAllocator: Allocator {
        final class Record: Sendable {
            let died = Atomic<Bool>(false)
            let callsAfterDeath = Atomic<Int>(0)
            let foreignFrees = Atomic<Int>(0)
            let live = TestLocked<Set<UInt>>([])
            init() {}
            var hasDied: Bool { died.load(ordering: .sequentiallyConsistent) }
            var lateCalls: Int { callsAfterDeath.load(ordering: .relaxed) }
            var wrongFrees: Int { foreignFrees.load(ordering: .relaxed) }
            var liveBlocks: Int { live.withLock { $0.count } }
        }

        let name = "mortal-ledger"
        let naturalAlignment = 16
        let record: Record
        private let counters = AllocationCounters()

        init(record: Record) { self.record = record }
        deinit { record.died.store(true, ordering: .sequentiallyConsistent) }

        private func note() { if record.hasDied { record.callsAfterDeath.wrappingAdd(1, ordering: .relaxed) } }
        private func add(_ pointer: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
            record.live.withLock { _ = $0.insert(UInt(bitPattern: pointer)) }
            return pointer
        }
        private func remove(_ pointer: UnsafeMutableRawPointer) {
            let known = record.live.withLock { $0.remove(UInt(bitPattern: pointer)) != nil }
            if !known { record.foreignFrees.wrappingAdd(1, ordering: .relaxed) }
        }

        func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            note()
            return add(try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment))
        }
        func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            note()
            return add(try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment))
        }
        func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
            -> UnsafeMutableRawPointer
        {
            note()
            remove(pointer)
            return add(
                try SystemAllocator.shared.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
            )
        }
        func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
            note()
            remove(pointer)
            SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
        }
        func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
            SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
        }
        func statistics() -> AllocatorStatistics { AllocatorStatistics(backend: name, counters: counters, source: "test") }
    }

    // In NIOHandoffTests' serialized suite: those tests count the process-wide handoff table's
    // live regions, which these probes' handoffs would change if they ran beside them.
    extension NIOHandoffTests {
        /// An OwnedBytes of `count` bytes from a fresh user allocator that nothing else references.
        static func orphanedOwned(count: Int, pooled: Bool, record: MortalLedgerAllocator.Record) throws -> OwnedBytes {
            let source = try BufferSource(allocator: MortalLedgerAllocator(record: record))
            let fill: (inout OutputRawSpan) -> Void = { output in
                for index in 0..<count { output.append(UInt8(truncatingIfNeeded: index)) }
            }
            return pooled
                ? try OwnedBytes(capacity: count + 50, using: source, initializingWith: fill)
                : try OwnedBytes(unpooledCapacity: count + 50, using: source, initializingWith: fill)
        }

        @Test(
            "a ByteBuffer adopting a user allocator's (trimmed) buffer keeps that allocator alive, whatever it does, and frees each block once",
            arguments: [false, true], ["drop", "slice", "copy-on-write", "grow", "other thread"])
        func userAllocatorOutlivesByteBuffer(pooled: Bool, operation: String) throws {
            let record = MortalLedgerAllocator.Record()
            let count = pooled ? 300 : 100_000
            var buffer: ByteBuffer? = try ByteBuffer(
                takingOwnershipOf: try Self.orphanedOwned(count: count, pooled: pooled, record: record))
            #expect(!record.hasDied, "the allocator died under the ByteBuffer")
            var kept: ByteBuffer?
            switch operation {
            case "slice":
                kept = buffer!.getSlice(at: 7, length: 20)
            case "copy-on-write":
                kept = buffer
                kept!.setInteger(UInt8(0xEE), at: 0)
            case "grow":
                buffer!.writeRepeatingByte(1, count: 3 * count)
            case "other thread":
                let moved = buffer!
                buffer = nil
                let finished = TestLocked(false)
                let thread = Thread {
                    _ = moved.readableBytes
                    finished.withLock { $0 = true }
                }
                thread.start()
                while !finished.withLock({ $0 }) { usleep(1000) }
                usleep(20_000)
            default: break
            }
            #expect(record.lateCalls == 0)
            if operation == "slice" {
                buffer = nil
                #expect(!record.hasDied, "the allocator died under a slice")
                #expect(kept!.getBytes(at: kept!.readerIndex, length: 20) == (7..<27).map { UInt8($0) })
            }
            buffer = nil
            kept = nil
            #expect(record.lateCalls == 0, "the allocator was called after it died")
            #expect(record.wrongFrees == 0, "a block freed twice or into the wrong allocator")
            #expect(record.hasDied, "the allocator outlived every buffer (kept for good)")
            #expect(record.liveBlocks == 0, "\(record.liveBlocks) blocks never freed")
            _ = (buffer, kept)
        }

        @Test("moveIntoByteBuffer never hands off a region a Data still aliases; the Data stays intact")
        func dataAliasBlocksHandoff() throws {
            let bytes = try SharedBytes.from((0..<100).map { UInt8($0) })
            let data = bytes.unsafeDataSharingMemory()
            var (buffer, outcome) = try (consume bytes).moveIntoByteBuffer()
            #expect(outcome == .copiedBecauseShared)
            buffer.setRepeatingByte(0xFF, count: 100, at: 0)
            buffer.writeRepeatingByte(0xFF, count: 10_000)
            _ = consume buffer
            #expect(Array(data) == (0..<100).map { UInt8($0) })
        }

        @Test("a trimmed output-span SharedBytes moves without a copy and frees once into its allocator", arguments: [false, true])
        func trimmedSharedMoves(pooled: Bool) throws {
            let record = MortalLedgerAllocator.Record()
            let shared = try Self.orphanedOwned(count: pooled ? 200 : 70_000, pooled: pooled, record: record).share()
            var (buffer, outcome): (ByteBuffer?, ByteBufferHandoffOutcome) = try (consume shared).moveIntoByteBuffer()
            #expect(outcome == .zeroCopy)
            #expect(buffer!.readableBytes == (pooled ? 200 : 70_000))
            buffer = nil
            #expect(record.lateCalls == 0 && record.wrongFrees == 0)
            #expect(record.hasDied && record.liveBlocks == 0)
            _ = buffer
        }

        @Test("an arena cannot be destroyed or reset under a ByteBuffer that adopted its memory", .enabled(if: JemallocControl.isAvailable))
        func arenaRefusesUnderByteBuffer() throws {
            for pooled in [false, true] {
                let arena = try JemallocArena()
                let source = try BufferSource(allocator: arena)
                let owned =
                    pooled
                    ? try OwnedBytes(capacity: 200, using: source) { for _ in 0..<100 { $0.append(UInt8(0x5A)) } }
                    : try OwnedBytes(unpooledCapacity: 20_000, using: source) { for _ in 0..<10_000 { $0.append(UInt8(0x5A)) } }
                var buffer: ByteBuffer? = try ByteBuffer(takingOwnershipOf: owned)
                #expect(throws: JemallocArenaError.self, "pooled \(pooled)") { try arena.destroy() }
                #expect(throws: JemallocArenaError.self, "pooled \(pooled)") { try arena.reset() }
                #expect(buffer!.readableBytesView.allSatisfy { $0 == 0x5A })
                buffer = nil
                _ = buffer
            }
        }
    }
#endif

#if NIO
    import AllocShim
    @testable import AllocShimNIO
    import AllocShimTestSupport
    import NIOCore
    import NIOEmbedded
    import Testing

    /// An allocator over `system` that records every block it makes and frees, by address and size:
    /// "freed exactly once into the right allocator" is then a fact about addresses, and "no
    /// allocation of payload size" a fact about sizes.
    final class BlockLedgerAllocator: Allocator {
        let name = "block-ledger"
        let naturalAlignment = 16
        private let counters = AllocationCounters()
        /// Sizes of every allocation, in order.
        let allocatedSizes = TestLocked<[Int]>([])
        /// Address and size of every release, in order (a resize records the old block's release).
        let released = TestLocked<[(address: UInt, byteCount: Int)]>([])

        func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            allocatedSizes.withLock { $0.append(byteCount) }
            return try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment)
        }
        func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            allocatedSizes.withLock { $0.append(byteCount) }
            return try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment)
        }
        func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
            -> UnsafeMutableRawPointer
        {
            allocatedSizes.withLock { $0.append(newByteCount) }
            released.withLock { $0.append((UInt(bitPattern: pointer), oldByteCount)) }
            return try SystemAllocator.shared.reallocate(
                pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
        }
        func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
            released.withLock { $0.append((UInt(bitPattern: pointer), byteCount)) }
            SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
        }
        func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
            SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
        }
        func statistics() -> AllocatorStatistics {
            AllocatorStatistics(backend: name, counters: counters, source: "test")
        }

        var allocationCount: Int { allocatedSizes.withLock { $0.count } }
        /// How many times the block at `address` was released.
        func releases(of address: UInt) -> Int { released.withLock { $0.filter { $0.address == address }.count } }
        var releaseCount: Int { released.withLock { $0.count } }
    }

    /// A pooled or an unpooled `OwnedBytes` of the ledger allocator, with its payload and address.
    struct AdoptionFixture: ~Copyable {
        let ledger = BlockLedgerAllocator()
        let source: BufferSource
        let payload: [UInt8]
        let pooled: Bool

        init(pooled: Bool) throws {
            source = try BufferSource(allocator: ledger)
            self.pooled = pooled
            // Pooled: below the pool's threshold (half a slab); unpooled: well above it.
            let count = pooled ? source.pool.poolingThreshold / 2 : 3 * source.pool.slabSize
            payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        }

        func owned() throws -> OwnedBytes {
            let payload = self.payload
            let body: (inout OutputRawSpan) -> Void = { output in
                for byte in payload { output.append(byte) }
            }
            let bytes =
                pooled
                ? try OwnedBytes(capacity: payload.count, using: source, initializingWith: body)
                : try OwnedBytes(unpooledCapacity: payload.count, using: source, initializingWith: body)
            #expect(bytes.isPooled == pooled)
            return bytes
        }

        /// Whether the region at `address` went back exactly once: a pool slice stops being
        /// referenced (once: a second release would take the pool's count below its start), a whole
        /// block is released once, by address.
        func expectReleasedOnce(_ address: UInt, referencedBefore: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            if pooled {
                #expect(source.pool.accounting.referencedBytes == referencedBefore, sourceLocation: sourceLocation)
            } else {
                #expect(ledger.releases(of: address) == 1, sourceLocation: sourceLocation)
            }
        }

        func expectNotReleased(_ address: UInt, referencedBefore: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            if pooled {
                #expect(source.pool.accounting.referencedBytes == referencedBefore + payload.count, sourceLocation: sourceLocation)
            } else {
                #expect(ledger.releases(of: address) == 0, sourceLocation: sourceLocation)
            }
        }
    }

    extension OwnedBytes {
        var baseAddress: UInt { withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } }
    }

    extension ByteBuffer {
        var readableBaseAddress: UInt { withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        var readableArray: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
    }

    /// Buffers handed to another task, which drops them there.
    final class SliceBox: Sendable {
        let buffers: TestLocked<[ByteBuffer]>
        init(_ buffers: [ByteBuffer]) { self.buffers = TestLocked(buffers) }
    }

    /// The thread's jemalloc allocation total (bytes ever allocated by this thread), when jemalloc
    /// is the process malloc: it sees every allocation of the thread, NIO's and the runtime's included.
    func threadAllocatedBytes() -> UInt64? {
        guard JemallocControl.isAvailable else { return nil }
        return try? JemallocControl.read(.threadAllocated)
    }

    // Serialized: several tests count the process-wide handoff table's live regions.
    @Suite("NIO handoff without copies (issue 19, item 4)", .serialized)
    struct NIOHandoffTests {
        @Test(
            "an OwnedBytes becomes a ByteBuffer without a copy: same address, no allocation of payload size, freed once on drop",
            arguments: [false, true])
        func zeroCopyAndPlainDrop(pooled: Bool) throws {
            // The table's shards are made on the process's first handoff, once: not counted here.
            _ = try ByteBuffer(takingOwnershipOf: try OwnedBytes(copying: [1, 2, 3].span.bytes))
            let fixture = try AdoptionFixture(pooled: pooled)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let referenced = fixture.source.pool.accounting.referencedBytes - fixture.payload.count
            let allocations = fixture.ledger.allocationCount
            let regions = NIOHandoffTable.liveRegionCount
            let threadBytes = threadAllocatedBytes()
            var buffer: ByteBuffer? = try ByteBuffer(takingOwnershipOf: owned)
            if let threadBytes, let after = threadAllocatedBytes() {
                // Everything this thread allocated for the handoff (the ByteBuffer's storage object,
                // the table shard's dictionary storage when it grows) is of constant size, far
                // below the payload's: nothing of its size, so no copy anywhere in the process.
                #expect(fixture.payload.count >= 2048)
                #expect(after - threadBytes < 1024, "the handoff allocated \(after - threadBytes) bytes")
            }
            #expect(buffer!.readableBaseAddress == address, "the ByteBuffer reads the OwnedBytes' own memory")
            #expect(buffer!.readableArray == fixture.payload)
            #expect(fixture.ledger.allocationCount == allocations, "the handoff allocated from the buffer's allocator")
            #expect(NIOHandoffTable.liveRegionCount == regions + 1)
            fixture.expectNotReleased(address, referencedBefore: referenced)
            buffer = nil
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
            #expect(NIOHandoffTable.liveRegionCount == regions)
            _ = buffer
        }

        @Test(
            "slices keep the region: freed once, after the last of buffer and slice, in either order",
            arguments: [false, true], [true, false])
        func slicesFreeOnce(pooled: Bool, bufferFirst: Bool) throws {
            let fixture = try AdoptionFixture(pooled: pooled)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let referenced = fixture.source.pool.accounting.referencedBytes - fixture.payload.count
            var buffer: ByteBuffer? = try ByteBuffer(takingOwnershipOf: owned, growingWith: fixture.ledger)
            var slice: ByteBuffer? = buffer!.getSlice(at: 10, length: 100)
            #expect(slice!.readableBaseAddress == address + 10, "a slice shares the region")
            if bufferFirst { buffer = nil } else { slice = nil }
            fixture.expectNotReleased(address, referencedBefore: referenced)
            if let slice { #expect(slice.readableArray == Array(fixture.payload[10..<110])) }
            if let buffer { #expect(buffer.readableArray == fixture.payload) }
            buffer = nil
            slice = nil
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
            _ = (buffer, slice)
        }

        @Test(
            "copy-on-write: a written copy gets a routed block; the region frees once, into its allocator",
            arguments: [false, true])
        func copyOnWrite(pooled: Bool) throws {
            let fixture = try AdoptionFixture(pooled: pooled)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let referenced = fixture.source.pool.accounting.referencedBytes - fixture.payload.count
            let releases = fixture.ledger.releaseCount
            do {
                let original = try ByteBuffer(takingOwnershipOf: owned, growingWith: fixture.ledger)
                var copy = original
                let allocations = fixture.ledger.allocationCount
                copy.setInteger(UInt8(0xEE), at: 0)  // copy-on-write: allocate (routed) + copy
                #expect(fixture.ledger.allocationCount == allocations + 1, "the copy's block comes from the growth allocator")
                #expect(copy.readableBaseAddress != address)
                #expect(original.readableBaseAddress == address && original.readableArray == fixture.payload)
                #expect(copy.getInteger(at: 0, as: UInt8.self) == 0xEE)
                fixture.expectNotReleased(address, referencedBefore: referenced)
            }
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
            // The region and the copy's header block, each released once; nothing else.
            #expect(fixture.ledger.releaseCount == releases + (pooled ? 1 : 2))
        }

        @Test(
            "growth beyond capacity: the region is released at once into its allocator, bytes move to a routed block",
            arguments: [false, true])
        func growth(pooled: Bool) throws {
            let fixture = try AdoptionFixture(pooled: pooled)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let referenced = fixture.source.pool.accounting.referencedBytes - fixture.payload.count
            let regions = NIOHandoffTable.liveRegionCount
            var buffer = try ByteBuffer(takingOwnershipOf: owned, growingWith: fixture.ledger)
            buffer.writeRepeatingByte(0x42, count: 1000)  // past capacity: NIO reallocates the unique storage
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
            #expect(NIOHandoffTable.liveRegionCount == regions, "the table let the region go")
            #expect(buffer.readableArray == fixture.payload + Array(repeating: 0x42, count: 1000))
            let releases = fixture.ledger.releaseCount
            buffer.writeRepeatingByte(0x43, count: 10 * fixture.payload.count)  // grows again, now on the header path
            #expect(buffer.readableBytes == fixture.payload.count * 11 + 1000)
            _ = consume buffer
            #expect(fixture.ledger.releaseCount > releases, "the grown block went back to the growth allocator")
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
        }

        @Test("a slice that grows copies out (NIO's allocate); the region stays until the parent goes")
        func sliceGrowth() throws {
            let fixture = try AdoptionFixture(pooled: false)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            var parent: ByteBuffer? = try ByteBuffer(takingOwnershipOf: owned, growingWith: fixture.ledger)
            var slice = parent!.getSlice(at: 100, length: 50)!
            slice.writeRepeatingByte(1, count: 2 * fixture.payload.count)
            #expect(fixture.ledger.releases(of: address) == 0)
            parent = nil
            #expect(fixture.ledger.releases(of: address) == 1)
            #expect(slice.readableArray.prefix(50) == fixture.payload[100..<150])
            _ = parent
        }

        @Test("NIO writes into the adopted memory in place and a channel carries the bytes", arguments: [false, true])
        func writeThroughNIOAndReadBack(pooled: Bool) throws {
            let fixture = try AdoptionFixture(pooled: pooled)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let referenced = fixture.source.pool.accounting.referencedBytes - fixture.payload.count
            do {
                var buffer = try ByteBuffer(takingOwnershipOf: owned, growingWith: fixture.ledger)
                buffer.setInteger(UInt32(0xCAFE_BABE), at: 4)  // unique: written in place
                #expect(buffer.readableBaseAddress == address)
                let channel = EmbeddedChannel()
                try channel.writeOutbound(buffer)
                let sent = try #require(try channel.readOutbound(as: ByteBuffer.self))
                var expected = fixture.payload
                expected.replaceSubrange(4..<8, with: [0xCA, 0xFE, 0xBA, 0xBE])
                #expect(sent.readableArray == expected)
                // Back into AllocShim without an intermediate Array: the span reads the same memory.
                let back = try OwnedBytes(copying: sent.readableBytesSpan)
                #expect(back.copyToArray() == expected)
                _ = try channel.finish()
            }
            fixture.expectReleasedOnce(address, referencedBefore: referenced)
        }

        @Test("the region frees once when the last buffer goes on another thread")
        func freedOnAnotherThread() async throws {
            let fixture = try AdoptionFixture(pooled: false)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            let buffer = try ByteBuffer(takingOwnershipOf: owned)
            let count = fixture.payload.count
            await Task.detached { [buffer] in
                #expect(buffer.readableBytes == count)
            }.value
            _ = consume buffer
            #expect(fixture.ledger.releases(of: address) == 1)
        }

        @Test("zero-byte buffers, pooled and not: released at once, the empty ByteBuffer is routed", arguments: [false, true])
        func zeroBytes(pooled: Bool) throws {
            let ledger = BlockLedgerAllocator()
            let source = try BufferSource(allocator: ledger)
            let empty =
                pooled ? try OwnedBytes(capacity: 0, using: source) { _ in } : try OwnedBytes(unpooledCapacity: 0, using: source) { _ in }
            let regions = NIOHandoffTable.liveRegionCount
            var buffer = try ByteBuffer(takingOwnershipOf: empty, growingWith: ledger)
            #expect(buffer.readableBytes == 0)
            #expect(NIOHandoffTable.liveRegionCount == regions)
            let allocations = ledger.allocationCount
            buffer.writeString("grows in the growth allocator")
            #expect(ledger.allocationCount > allocations)
        }

        @Test("without growingWith, a user allocator's buffer grows in the fallback, never pinning the allocator")
        func growthFallsBackForOtherAllocators() throws {
            let fixture = try AdoptionFixture(pooled: false)
            let owned = try fixture.owned()
            let address = owned.baseAddress
            var buffer = try ByteBuffer(takingOwnershipOf: owned)
            let allocations = fixture.ledger.allocationCount
            buffer.writeRepeatingByte(9, count: 2 * fixture.payload.count)
            #expect(fixture.ledger.allocationCount == allocations, "growth reached the user allocator")
            #expect(fixture.ledger.releases(of: address) == 1)
            #expect(buffer.readableArray.prefix(fixture.payload.count).elementsEqual(fixture.payload))
        }

        @Test("a built-in backend's buffer grows in that backend")
        func growthStaysOnBuiltInBackend() throws {
            let system = try BackendRegistry.allocator(.system)
            let owned = try OwnedBytes(unpooledCapacity: 20_000, using: try BufferSource(allocator: system)) { output in
                for index in 0..<20_000 { output.append(UInt8(truncatingIfNeeded: index)) }
            }
            var buffer = try ByteBuffer(takingOwnershipOf: owned)
            let before = system.statistics().allocations
            buffer.writeRepeatingByte(1, count: 30_000)
            #expect(system.statistics().allocations > before)
        }

        @Test("SharedBytes: zero-copy only as the region's only whole reference; otherwise a visible copy")
        func sharedBytesOutcomes() throws {
            let ledger = BlockLedgerAllocator()
            let source = try BufferSource(allocator: ledger)
            let payload = (0..<9000).map { UInt8(truncatingIfNeeded: $0) }

            let unique = try SharedBytes.from(payload.span.bytes, using: source)
            let address = unique.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            let allocations = ledger.allocationCount
            let (adopted, outcome) = try (consume unique).moveIntoByteBuffer(growingWith: ledger)
            #expect(outcome == .zeroCopy)
            #expect(adopted.readableBaseAddress == address && ledger.allocationCount == allocations)
            #expect(adopted.readableArray == payload)

            let shared = try SharedBytes.from(payload.span.bytes, using: source)
            let other = shared
            let (copied, sharedOutcome) = try shared.moveIntoByteBuffer(growingWith: ledger)
            #expect(sharedOutcome == .copiedBecauseShared && sharedOutcome.copied)
            #expect(copied.readableArray == payload && other.copyToArray() == payload)

            let whole = try SharedBytes.from(payload.span.bytes, using: source)
            let (sliceCopy, sliceOutcome) = try whole.slice(10..<20).moveIntoByteBuffer(growingWith: ledger)
            #expect(sliceOutcome == .copiedBecauseSlice)
            #expect(sliceCopy.readableArray == Array(payload[10..<20]))

            let external = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
            defer { external.deallocate() }
            external.initializeMemory(as: UInt8.self, repeating: 7)
            let view = SharedBytes.viewSharingMemory(of: external)
            let (viewCopy, viewOutcome) = try (consume view).moveIntoByteBuffer(growingWith: ledger)
            #expect(viewOutcome == .copiedBecauseExternalMemory)
            #expect(viewCopy.readableArray == Array(repeating: 7, count: 64))
            _ = (adopted, other)
        }

        @Test("a tenant's buffer grows in the tenant's arena and its region frees into its own arena")
        func tenantHandoff() throws {
            guard JemallocControl.isAvailable else { return }
            let tenants = try TenantArenas(maximumTenants: 4)
            let arena = try tenants.arena(for: "handoff")
            let owned = try OwnedBytes(unpooledCapacity: 10_000, using: try tenants.source(for: "handoff")) { output in
                for _ in 0..<10_000 { output.append(UInt8(5)) }
            }
            let live = arena.statistics()
            var buffer = try tenants.byteBuffer(takingOwnershipOf: owned, for: "handoff")
            buffer.writeRepeatingByte(6, count: 20_000)  // growth: a block of the tenant's arena, region freed
            let grown = arena.statistics()
            #expect(grown.allocations == live.allocations + 1)
            #expect(grown.deallocations == live.deallocations + 1)
            _ = consume buffer
            #expect(arena.statistics().liveBytes == live.liveBytes - 10_000)
        }

        @Test("a tenant's buffer outlives its eviction: growth goes to the fallback, the region frees into the evicted arena")
        func tenantEvictedWhileAdopted() throws {
            guard JemallocControl.isAvailable else { return }
            let tenants = try TenantArenas(maximumTenants: 4)
            let arena = try tenants.arena(for: "evicted")
            let owned = try OwnedBytes(unpooledCapacity: 10_000, using: try tenants.source(for: "evicted")) { output in
                for _ in 0..<10_000 { output.append(UInt8(5)) }
            }
            var buffer = try tenants.byteBuffer(takingOwnershipOf: owned, for: "evicted")
            tenants.evict("evicted")
            #expect(arena.liveBlocks == 1, "the adopted region is the evicted arena's one live block")
            let allocations = arena.statistics().allocations
            buffer.writeRepeatingByte(6, count: 20_000)  // the tenant's slot is empty: growth goes to the fallback
            #expect(arena.statistics().allocations == allocations, "an evicted arena got a new block")
            #expect(arena.liveBlocks == 0, "the region went back to its arena when the buffer grew out of it")
            #expect(buffer.readableBytes == 30_000 && buffer.getInteger(at: 9_999, as: UInt8.self) == 5)
        }

        @Test("threads hand off, slice and free each other's buffers: every region back exactly once")
        func concurrentHandoffs() async throws {
            let ledger = BlockLedgerAllocator()
            let source = try BufferSource(allocator: ledger)
            let regions = NIOHandoffTable.liveRegionCount
            let perTask = 500
            // Each task makes buffers (pooled and not, alternately) and hands every other one's slice to
            // a second task group, which drops it after its parent is gone on the first task.
            // Results go through a box, never as task results: a finished task may keep its result
            // (and captured values) until it is deallocated, after the group has seen it finish.
            let collected = SliceBox([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<4 {
                    group.addTask {
                        var kept: [ByteBuffer] = []
                        for index in 0..<perTask {
                            let size = (index + task).isMultiple(of: 2) ? 100 : 5000
                            let owned = try OwnedBytes(capacity: size, using: source) { output in
                                for _ in 0..<size { output.append(UInt8(truncatingIfNeeded: index)) }
                            }
                            var buffer = try ByteBuffer(takingOwnershipOf: owned, growingWith: ledger)
                            if index.isMultiple(of: 3) { buffer.writeInteger(UInt64(index)) }  // some grow
                            if index.isMultiple(of: 2) { kept.append(buffer.getSlice(at: 1, length: 10)!) }
                        }
                        collected.buffers.withLock { $0 += kept }
                        kept.removeAll()
                    }
                }
                try await group.waitForAll()
            }
            let slices = collected.buffers.withLock { all in
                defer { all = [] }
                return all
            }
            #expect(slices.allSatisfy { $0.readableBytes == 10 })
            // The slices are the last references: dropped by other tasks, on whatever threads run them.
            let parts = stride(from: 0, to: slices.count, by: 250).map { SliceBox(Array(slices[$0..<min($0 + 250, slices.count)])) }
            _ = consume slices
            await withTaskGroup(of: Void.self) { group in
                for part in parts { group.addTask { part.buffers.withLock { $0.removeAll() } } }
            }
            #expect(NIOHandoffTable.liveRegionCount == regions)
            #expect(source.pool.accounting.referencedBytes == 0, "a pool slice was released twice or never")
            // Every block of the ledger went back exactly once, but the pool's live slabs: a double
            // release would make releases outnumber them, a lost one leave more.
            #expect(ledger.releaseCount <= ledger.allocationCount)
            #expect(ledger.allocationCount - ledger.releaseCount == source.pool.accounting.liveSlabs)
        }

        @Test("a ByteBuffer's readable bytes feed AllocShim as a RawSpan, read in place")
        func byteBufferIntoAllocShim() throws {
            var buffer = ByteBufferAllocator().buffer(capacity: 4096)
            buffer.writeRepeatingByte(0x11, count: 4096)
            buffer.moveReaderIndex(forwardBy: 96)
            let spanAddress = buffer.readableBytesSpan.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            #expect(spanAddress == buffer.readableBaseAddress, "the span is the buffer's memory, not a copy")
            let threadBytes = threadAllocatedBytes()
            let owned = try OwnedBytes(copying: buffer.readableBytesSpan)
            if let threadBytes, let after = threadAllocatedBytes() {
                // The one copy (4000 bytes, its block) and nothing of the payload's size besides.
                #expect(after - threadBytes < 2 * 4000, "reading the buffer allocated \(after - threadBytes) bytes")
            }
            #expect(owned.count == 4000)
            let shared = try SharedBytes.from(buffer.readableBytesSpan)
            #expect(shared.count == 4000)
            var builder = try BytesBuilder()
            try builder.append(buffer.readableBytesSpan)
            #expect(try builder.finish().count == 4000)
            #expect(ExposureDetector.standard.scan(buffer).isEmpty)
        }

        @Test("a buffer larger than a ByteBuffer can hold is refused with the limit")
        func tooLarge() {
            #expect(throws: NIOAllocatorError.tooLargeForByteBuffer(byteCount: Int(UInt32.max) + 1, limit: Int(UInt32.max))) {
                try NIOHandoff.checkFits(Int(UInt32.max) + 1)
            }
            #expect(NIOAllocatorError.tooLargeForByteBuffer(byteCount: 5, limit: 4).description.contains("5 bytes"))
        }

        @Test("docs/embedding.md's handoff snippet does what it says")
        func embeddingSnippet() throws {
            // The snippet as written there (check-snippets compiles it; this runs it).
            let greeting = try OwnedBytes(capacity: 5) { output in
                for byte in "hello".utf8 { output.append(byte) }
            }
            var buffer = try ByteBuffer(takingOwnershipOf: greeting)
            buffer.writeString(", world")
            let shared = try SharedBytes.from(buffer.readableBytesSpan)
            let (sent, outcome) = try (consume shared).moveIntoByteBuffer()
            #expect(outcome == .zeroCopy && outcome.description == "zero-copy" && sent.readableBytes == 12)
            #expect(String(buffer: sent) == "hello, world")
        }
    }
#endif

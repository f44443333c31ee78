#if NIO
    // AllocShim buffers becoming ByteBuffers without copying their bytes (issue 19, item 4).
    //
    //     let buffer = try ByteBuffer(takingOwnershipOf: owned)        // OwnedBytes: always zero-copy
    //     let (buffer, outcome) = try (consume shared).moveIntoByteBuffer()  // zero-copy when unique
    //
    // The ByteBuffer adopts the region through NIO's `ByteBuffer(takingOwnershipOf:allocator:)`
    // with an allocator whose free and grow callbacks find the region in NIOHandoffTable and
    // release it into the allocator or slab that made it, exactly once. Blocks the buffer needs
    // later (growth, copy-on-write) come from a growth route (see `growthRoute`), with headers,
    // as any AllocShimNIO block.
    import AllocShim
    @_spi(CustomByteBufferAllocator) import NIOCore

    /// How a `SharedBytes` became a `ByteBuffer`: without a copy, or copied, and why.
    public enum ByteBufferHandoffOutcome: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// The `ByteBuffer` owns the region itself; nothing was copied.
        case zeroCopy
        /// Other `SharedBytes` values share the region: handing it over would let them read and write
        /// the `ByteBuffer`'s bytes, and keep using memory it frees. Copied.
        case copiedBecauseShared
        /// The value is a slice of a larger region: the rest may still be read through other values.
        /// Copied.
        case copiedBecauseSlice
        /// The value views memory owned elsewhere (`SharedBytes(viewing:)`): not AllocShim's to
        /// give away. Copied.
        case copiedBecauseExternalMemory

        /// Whether the bytes were copied.
        public var copied: Bool { self != .zeroCopy }

        /// The case and, for a copy, why.
        public var description: String {
            switch self {
            case .zeroCopy: return "zero-copy"
            case .copiedBecauseShared: return "copied: other SharedBytes values share the region"
            case .copiedBecauseSlice: return "copied: the value is a slice of a larger region"
            case .copiedBecauseExternalMemory: return "copied: the value views memory AllocShim does not own"
            }
        }
    }

    extension ByteBuffer {
        /// A `ByteBuffer` holding `bytes`' memory, without copying it. The memory is freed exactly once,
        /// into the allocator (or pool slab) that made it, when the last `ByteBuffer` sharing it is gone
        /// or when the buffer grows out of it — whichever thread that happens on, however the buffer was
        /// sliced or copied.
        ///
        /// Blocks the buffer needs later (growth, a copy-on-write after a write to a copy) come from
        /// `growthAllocator` when given (routed for good, as `ByteBufferAllocator.allocShim(_:)`);
        /// otherwise from the allocator that made `bytes` when it is one of AllocShim's built-in backends;
        /// otherwise (a tenant arena, an allocator of yours) from AllocShimNIO's fallback: zeroed system
        /// memory, wiped when freed, so that no arena or allocator is kept alive for good. For a tenant's
        /// buffer, `TenantArenas.byteBuffer(takingOwnershipOf:for:)` grows in the tenant's arena.
        ///
        /// Takes one of 64 address-sharded locks now and again when the memory is freed (docs/embedding.md).
        /// Throws ``NIOAllocatorError/tooLargeForByteBuffer(byteCount:limit:)`` for more bytes than a
        /// `ByteBuffer` can hold, and ``NIOAllocatorError/tooManyRoutes(limit:)`` when `growthAllocator`
        /// cannot be routed; `bytes` is freed then.
        public init(takingOwnershipOf bytes: consuming OwnedBytes, growingWith growthAllocator: (any Allocator)? = nil)
            throws(NIOAllocatorError)
        {
            try NIOHandoff.checkFits(bytes.count)
            let region = bytes.handOffRegion()
            let growth: NIORouteTable.AllocateFunction
            do { growth = try NIOHandoff.growthRoute(growingWith: growthAllocator, regionAllocator: region.processLifetimeAllocator) } catch
            {
                region.release()
                throw error
            }
            self = NIOHandoff.byteBuffer(adopting: region, growth: growth)
        }
    }

    extension SharedBytes {
        /// A `ByteBuffer` holding these bytes: the region itself, without a copy, when this value is
        /// its only reference and spans all of it (pass it with `consume`, or as the last use of the
        /// variable); otherwise a copy into a routed block. The outcome says which, and why a copy.
        /// Growth, copies and errors as `ByteBuffer(takingOwnershipOf:growingWith:)`.
        public consuming func moveIntoByteBuffer(growingWith growthAllocator: (any Allocator)? = nil)
            throws(NIOAllocatorError) -> (buffer: ByteBuffer, outcome: ByteBufferHandoffOutcome)
        {
            try NIOHandoff.checkFits(count)
            let growth = try NIOHandoff.growthRoute(growingWith: growthAllocator, regionAllocator: processLifetimeAllocator)
            switch (consume self).handOffRegionOrGiveBack() {
            case .handedOff(let region):
                return (NIOHandoff.byteBuffer(adopting: region, growth: growth), .zeroCopy)
            case .refused(let refusal, let shared):
                var copy = NIOHandoff.emptyBuffer(growth: growth, capacity: shared.count)
                copy.writeBytes(shared.bytes)  // the one copy, visible in the outcome
                let outcome: ByteBufferHandoffOutcome
                switch refusal {
                case .otherReferences: outcome = .copiedBecauseShared
                case .partOfRegion: outcome = .copiedBecauseSlice
                case .externalMemory: outcome = .copiedBecauseExternalMemory
                }
                return (copy, outcome)
            }
        }
    }

    extension TenantArenas {
        /// As `ByteBuffer(takingOwnershipOf:growingWith:)`, with growth and copy-on-write
        /// blocks from the tenant's arena (as `byteBufferAllocator(for:)`'s: the live arena, or the
        /// fallback while the tenant is evicted). The adopted memory still frees into whatever made it.
        public func byteBuffer(takingOwnershipOf bytes: consuming OwnedBytes, for tenant: String) throws(NIOAllocatorError)
            -> ByteBuffer
        {
            try NIOHandoff.checkFits(bytes.count)
            let arena: JemallocArena
            do { arena = try self.arena(for: tenant) } catch { throw .tenant(error) }
            let growth = NIORouteTable.allocateFunction(for: tenant, of: self, arena: arena)
            return NIOHandoff.byteBuffer(adopting: bytes.handOffRegion(), growth: growth)
        }
    }

    /// The steps the public forms share.
    enum NIOHandoff {
        /// The most bytes a `ByteBuffer` holds (its capacity is a `UInt32`).
        static let maximumByteCount = Int(UInt32.max)

        static func checkFits(_ byteCount: Int) throws(NIOAllocatorError) {
            guard byteCount <= maximumByteCount else { throw .tooLargeForByteBuffer(byteCount: byteCount, limit: maximumByteCount) }
        }

        /// Where a handed-off buffer's later blocks come from (see `ByteBuffer(takingOwnershipOf:)`).
        static func growthRoute(growingWith growthAllocator: (any Allocator)?, regionAllocator: (any Allocator)?)
            throws(NIOAllocatorError) -> NIORouteTable.AllocateFunction
        {
            if let growthAllocator { return try NIORouteTable.register(growthAllocator) }
            // A built-in backend lives for the whole process: routing it for good keeps nothing alive.
            if let regionAllocator { return try NIORouteTable.register(regionAllocator) }
            return NIORouteTable.fallbackAllocate
        }

        /// The handoff allocator: `growth` allocates, and free and grow look in NIOHandoffTable first.
        static func allocator(growth: NIORouteTable.AllocateFunction) -> ByteBufferAllocator {
            ByteBufferAllocator(
                allocate: growth, reallocate: NIOHandoffTable.reallocate, deallocate: NIOHandoffTable.deallocate,
                copy: NIORouteTable.copy)
        }

        static func byteBuffer(adopting region: HandedOffRegion, growth: NIORouteTable.AllocateFunction) -> ByteBuffer {
            guard region.count > 0 else {
                // A zero-byte region shares its address with the next pool slice: it cannot be told apart
                // by address, so it is released now; the empty buffer is a routed block.
                region.release()
                return emptyBuffer(growth: growth, capacity: 0)
            }
            NIOHandoffTable.insert(region, growth: growth)
            return ByteBuffer(
                takingOwnershipOf: UnsafeMutableRawBufferPointer(start: region.base, count: region.count),
                allocator: allocator(growth: growth))
        }

        /// An empty routed buffer of `capacity` bytes. Not `allocator.buffer(capacity: 0)`, which NIO
        /// answers with a buffer of its own default allocator (the process malloc).
        static func emptyBuffer(growth: NIORouteTable.AllocateFunction, capacity: Int) -> ByteBuffer {
            let routed = ByteBufferAllocator(routing: growth)
            guard capacity == 0 else { return routed.buffer(capacity: capacity) }
            return ByteBuffer(
                takingOwnershipOf: UnsafeMutableRawBufferPointer(start: growth(0), count: 0), allocator: routed, writerIndex: 0)
        }
    }
#endif

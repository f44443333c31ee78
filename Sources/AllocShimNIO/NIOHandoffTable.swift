#if NIO
    // The free path of ByteBuffers that took an AllocShim buffer's memory without copying it.
    //
    // `ByteBuffer(takingOwnershipOf:allocator:)` (NIO 2.101) keeps the pointer it is given and later
    // calls the allocator's `deallocate` on it (when its last storage reference is gone) and
    // `reallocate` on it (when a unique buffer with its slice at 0 grows); copy-on-write and
    // growth of a slice call `allocate` for a new block and leave the old one to `deallocate`.
    // A handed-off region has no 16-byte route header in front of it (its memory is the
    // `OwnedBytes`' own, a whole block or a pool slice), so these callbacks cannot find its owner
    // by reading memory. They look the pointer up here first:
    //  * found: the region is removed and released into the allocator or slab that made it (free),
    //    or moved into a fresh routed block of the entry's growth route and then released (grow);
    //  * not found: the pointer is a block with a header, made by the handoff allocator's
    //    `allocate` or by an earlier grow, and goes to NIORouteTable's header path.
    //
    // Invariants. An entry exists exactly from the handoff until NIO's one `deallocate` or
    // `reallocate` of that pointer; it is removed before the region is released, so an address
    // the region's allocator hands out again is never mistaken for it. Keys are unique: live
    // regions of at least one byte never overlap, and neither can a header block's bytes and a
    // live region (zero-byte regions, which a pool places at the next slice's address, never
    // enter the table). Exactly once follows: NIO frees each pointer once, and `take` lets only
    // one caller have an entry.
    //
    // Locking. Only buffers made by a handoff use these callbacks; every other AllocShimNIO
    // buffer keeps NIORouteTable's lock-free path. The handoff path takes one of 64 shard
    // locks (NIOLock: pthread mutexes, which ThreadSanitizer understands) at the handoff and at
    // the free: a dictionary keyed by address needs mutual exclusion, and sharding by address
    // keeps threads freeing unrelated buffers off each other's lock. A free of a header block
    // made by a handoff buffer's copy-on-write skips the lock when its shard holds no region.
    import AllocShim
    import NIOConcurrencyHelpers
    import Synchronization

    enum NIOHandoffTable {
        /// A handed-off region and where its buffer grows: the route whose `allocate` made the
        /// `ByteBuffer`'s other blocks (NIO's callbacks carry no context to find it otherwise).
        struct Entry: @unchecked Sendable {
            // @unchecked: the region is the entry's alone (HandedOffRegion is Sendable) and the
            // C function pointer is immutable code.
            let region: HandedOffRegion
            let growth: NIORouteTable.AllocateFunction
        }

        final class Shard: Sendable {
            let entries = NIOLockedValueBox<[UInt: Entry]>([:])
            /// How many entries `entries` holds, written under its lock, read without it.
            let count = Atomic<Int>(0)
        }

        static let shardCount = 64
        private static let shards: [Shard] = (0..<shardCount).map { _ in Shard() }

        private static func shard(of address: UInt) -> Shard {
            // Whole blocks are 16-byte aligned, pool slices are not: mix in bits above the lowest four.
            let mixed = (address >> 4) ^ (address >> 10) ^ (address >> 16)
            return shards[Int(mixed % UInt(shardCount))]
        }

        /// Files `region` (of at least one byte) until NIO frees or grows it.
        static func insert(_ region: HandedOffRegion, growth: NIORouteTable.AllocateFunction) {
            precondition(region.count > 0, "AllocShimNIO: zero-byte regions share their address and never enter the handoff table")
            let address = UInt(bitPattern: region.base)
            let shard = shard(of: address)
            shard.entries.withLockedValue { entries in
                let previous = entries.updateValue(Entry(region: region, growth: growth), forKey: address)
                precondition(previous == nil, "AllocShimNIO: two live handed-off regions at \(region.base)")
                shard.count.wrappingAdd(1, ordering: .relaxed)
            }
        }

        /// Removes and returns the entry for `bytes`, or nil when `bytes` is a block with a header.
        ///
        /// The unlocked count read is enough: a region's insert happened before its `ByteBuffer`
        /// existed, so before any thread could free it, and every count value after that insert
        /// includes the region until this call removes it.
        private static func take(_ bytes: UnsafeMutableRawPointer) -> Entry? {
            let address = UInt(bitPattern: bytes)
            let shard = shard(of: address)
            guard shard.count.load(ordering: .relaxed) > 0 else { return nil }
            return shard.entries.withLockedValue { entries in
                guard let entry = entries.removeValue(forKey: address) else { return nil }
                shard.count.wrappingSubtract(1, ordering: .relaxed)
                return entry
            }
        }

        /// Regions handed to ByteBuffers and not yet freed (for tests and diagnostics).
        static var liveRegionCount: Int {
            shards.reduce(0) { $0 + $1.count.load(ordering: .relaxed) }
        }

        // MARK: The callbacks of a handoff's ByteBufferAllocator

        static let reallocate: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> UnsafeMutableRawPointer? = {
            bytes, oldByteCount, newByteCount in
            guard let bytes else { fatalError("AllocShimNIO: reallocate of a null block") }  // NIO only resizes blocks it has
            guard let entry = take(bytes) else { return NIORouteTable.reallocate(bytes, oldByteCount, newByteCount) }
            // No header to resize with: move into a routed block (zeroed or poisoned as any new
            // block, so a grown tail is as safe as the header path's), then free the region.
            // The growth route never returns nil: it stops the process, as NIO's own malloc path does.
            let grown = entry.growth(newByteCount)!
            grown.copyMemory(from: bytes, byteCount: min(entry.region.count, newByteCount))
            entry.region.release()
            return grown
        }

        static let deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void = { bytes in
            if let entry = take(bytes) {
                entry.region.release()
            } else {
                NIORouteTable.deallocate(bytes)
            }
        }
    }
#endif

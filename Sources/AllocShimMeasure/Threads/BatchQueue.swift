import AllocShim
import Dispatch
import Synchronization

/// Blocks travelling together from the thread that allocated them to the one that frees them.
struct BlockBatch<Block: ~Copyable>: ~Copyable {
    var blocks: BlockSlots<Block>
    var count = 0
    /// The thread that allocated the blocks.
    let producer: Int

    init(capacity: Int, producer: Int) {
        blocks = BlockSlots(capacity: capacity)
        self.producer = producer
    }

    mutating func append(_ block: consuming Block) {
        blocks.put(block, at: count)
        count += 1
    }
}

extension BlockBatch: Sendable where Block: Sendable & ~Copyable {}

/// A bounded first-in-first-out queue of a known number of batches between threads:
/// ``push(_:)`` waits while it is full, ``nextBatch()`` while it is empty. The bound caps the
/// blocks in flight, as a server's request queue does. Waiting sleeps on semaphores rather
/// than spinning, so a waiting thread neither burns CPU time nor takes a core from the thread
/// it waits for.
final class BatchQueue<Block: Sendable & ~Copyable>: Sendable {
    private struct Ring: ~Copyable {
        var slots: BlockSlots<BlockBatch<Block>>
        var first = 0
        var count = 0
    }

    private let ring: LockedValue<Ring>
    private let freeSpaces: DispatchSemaphore
    private let queuedBatches = DispatchSemaphore(value: 0)
    /// Batches still to be claimed by a consumer; each claims one before it waits for it, so
    /// exactly as many batches are taken as are pushed, and no consumer waits for one that
    /// never comes.
    private let unclaimedBatches: Atomic<Int>
    let capacity: Int

    /// A queue holding up to `capacity` batches, through which `batches` batches will pass.
    init(capacity: Int, batches: Int) {
        self.capacity = capacity
        unclaimedBatches = Atomic(batches)
        ring = LockedValue(Ring(slots: BlockSlots(capacity: capacity)))
        freeSpaces = DispatchSemaphore(value: capacity)
    }

    /// Appends `batch`, waiting for room.
    func push(_ batch: consuming BlockBatch<Block>) {
        freeSpaces.wait()
        // A closure cannot consume a captured value, but it can take it out of an optional.
        var parcel: BlockBatch<Block>? = consume batch
        ring.withLock { ring in
            ring.slots.put(parcel.take()!, at: (ring.first + ring.count) % capacity)
            ring.count += 1
        }
        queuedBatches.signal()
    }

    /// Claims a batch still to come and waits for it (the oldest queued one); nil when every
    /// batch has been claimed.
    func nextBatch() -> BlockBatch<Block>? {
        guard unclaimedBatches.wrappingSubtract(1, ordering: .relaxed).newValue >= 0 else { return nil }
        queuedBatches.wait()
        let batch = ring.withLock { ring in
            let oldest = ring.slots.take(at: ring.first)!
            ring.first = (ring.first + 1) % capacity
            ring.count -= 1
            return oldest
        }
        freeSpaces.signal()
        return batch
    }
}

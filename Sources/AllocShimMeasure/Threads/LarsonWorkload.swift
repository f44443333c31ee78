import AllocShim
import Synchronization

/// ``ThreadWorkload/larson``: a server in the manner of mimalloc-bench's larson (Larson and
/// Krishnan, "Memory allocation for long-running server applications", 1998), written here.
///
/// Each thread keeps a working set of live blocks of random sizes, and at every step frees a
/// random one and allocates its replacement. Every ``handOverInterval`` steps it swaps its
/// whole set for the one another thread left in a shared exchange, so from then on it frees
/// blocks that thread allocated — as a server's connection handlers free requests another
/// thread parsed. Larson hands the set to a new thread instead; the exchange keeps the thread
/// count fixed for the sweep.
enum LarsonWorkload {
    /// Block sizes, uniformly drawn (larson's usual 8 to 1000 bytes).
    static let blockSizes = 8...1000
    /// Live blocks per working set.
    static let slotsPerThread = 1000
    /// Replacements between two hand-overs: about one working set's worth, so most blocks of a
    /// received set are freed by their new holder before it is passed on.
    static let handOverInterval = 1000

    /// A live block and the thread that allocated it (to count cross-thread frees).
    struct LiveBlock<Block: ~Copyable>: ~Copyable {
        var block: Block
        let allocatedBy: Int
    }

    /// Runs `operationsPerThread` replacements on each of `threads` threads. The timed run
    /// includes filling and draining each thread's working set (one fill and one drain per
    /// thread, next to `operationsPerThread` replacements).
    static func run<Block: WorkloadBlock & Sendable & ~Copyable>(
        _ form: Block.Type, threads: Int, operationsPerThread: Int, source: Block.Origin, seed: UInt64,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> WorkloadRun {
        let tally = WorkloadTally()
        // One working set more than threads: the spare waits in the exchange. Like larson's
        // warm-up, the calling thread fills it before the timed run, so the first thread to hand
        // over already frees blocks it did not allocate. One thread has no one to hand to.
        var spare = BlockSlots<LiveBlock<Block>>(capacity: slotsPerThread)
        var setupCounts = Counts()
        if threads > 1 {
            var random = SplitMix64(state: seed &- 1)
            do throws(BufferError) {
                for slot in 0..<slotsPerThread {
                    spare.put(
                        try allocate(Block.self, thread: setupThread, random: &random, source: source, counts: &setupCounts), at: slot)
                }
            } catch {
                tally.fail(error, workload: .larson)
            }
        }
        tally.add(marksWritten: setupCounts.written, marksRead: 0)
        let exchange = Exchange(spare, leftBy: setupThread)
        return try tally.run(
            .larson, threads: threads, operations: threads * operationsPerThread, starter: starter,
            body: { thread in
                var random = SplitMix64(state: seed &+ UInt64(thread) &* 0x9E37_79B9)
                var held = BlockSlots<LiveBlock<Block>>(capacity: slotsPerThread)
                var counts = Counts()
                do throws(BufferError) {
                    for slot in 0..<slotsPerThread where !tally.hasFailed {
                        held.put(try allocate(Block.self, thread: thread, random: &random, source: source, counts: &counts), at: slot)
                    }
                    for step in 1...Swift.max(1, operationsPerThread) {
                        if tally.hasFailed { break }
                        let slot = Int(random.next() % UInt64(slotsPerThread))
                        if let freed = held.take(at: slot) { counts.free(freed, by: thread) }
                        held.put(try allocate(Block.self, thread: thread, random: &random, source: source, counts: &counts), at: slot)
                        if threads > 1 && step % handOverInterval == 0 { exchange.handOver(&held, by: thread) }
                    }
                } catch {
                    tally.fail(error, workload: .larson)
                }
                counts.freeAll(in: &held, by: thread)
                tally.add(marksWritten: counts.written, marksRead: counts.read, crossThreadFrees: counts.crossThreadFrees)
            },
            afterwards: {
                // The set left in the exchange is freed after the timed run; its marks still count.
                var counts = Counts()
                exchange.freeWaitingSet(counting: &counts)
                tally.add(marksWritten: 0, marksRead: counts.read)
            })
    }

    /// The `allocatedBy` of blocks the calling thread allocates before the timed run (and the
    /// thread of the clean-up after it, whose frees are not counted).
    static let setupThread = -1

    /// Where a thread leaves its working set and takes the one another thread left.
    final class Exchange<Block: WorkloadBlock & Sendable & ~Copyable>: Sendable {
        private struct Waiting: ~Copyable {
            var set: BlockSlots<LiveBlock<Block>>
            var leftBy: Int
        }

        private let waiting: LockedValue<Waiting>

        init(_ set: consuming BlockSlots<LiveBlock<Block>>, leftBy thread: Int) {
            waiting = LockedValue(Waiting(set: set, leftBy: thread))
        }

        /// Swaps `held` for the waiting set, unless `thread` left that one itself: taking
        /// back one's own set would hand nothing over (threads that share a core run in turns,
        /// and would otherwise mostly meet themselves here).
        func handOver(_ held: inout BlockSlots<LiveBlock<Block>>, by thread: Int) {
            waiting.withLock { waiting in
                guard waiting.leftBy != thread else { return }
                swap(&waiting.set, &held)
                waiting.leftBy = thread
            }
        }

        /// Frees the waiting set's blocks, reading their marks into `counts`.
        func freeWaitingSet(counting counts: inout Counts) {
            waiting.withLock { waiting in counts.freeAll(in: &waiting.set, by: setupThread) }
        }
    }

    /// A block of a random size from `blockSizes`, marked with a random byte.
    private static func allocate<Block: WorkloadBlock & ~Copyable>(
        _ form: Block.Type, thread: Int, random: inout SplitMix64, source: Block.Origin, counts: inout Counts
    ) throws(BufferError) -> LiveBlock<Block> {
        let size = blockSizes.lowerBound + Int(random.next() % UInt64(blockSizes.count))
        var block = try Block(byteCount: size, from: source)
        let mark = UInt8(truncatingIfNeeded: random.next())
        block.mark(mark)
        counts.written &+= 2 * UInt64(mark)
        return LiveBlock(block: block, allocatedBy: thread)
    }

    /// One thread's counts, added to the tally once at its end.
    struct Counts {
        var written: UInt64 = 0
        var read: UInt64 = 0
        var crossThreadFrees = 0

        /// Reads `live`'s marks back and frees it on `thread` (``setupThread``: the clean-up,
        /// whose frees are not counted).
        mutating func free<Block: WorkloadBlock & ~Copyable>(_ live: consuming LiveBlock<Block>, by thread: Int) {
            read &+= live.block.markSum()
            if thread != setupThread && live.allocatedBy != thread { crossThreadFrees += 1 }
        }

        /// Frees every block in `set`.
        mutating func freeAll<Block: WorkloadBlock & ~Copyable>(in set: inout BlockSlots<LiveBlock<Block>>, by thread: Int) {
            for slot in 0..<set.capacity {
                if let live = set.take(at: slot) { free(live, by: thread) }
            }
        }
    }
}

extension LarsonWorkload.LiveBlock: Sendable where Block: Sendable & ~Copyable {}

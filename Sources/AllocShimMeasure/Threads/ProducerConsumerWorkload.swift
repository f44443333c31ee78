import AllocShim

/// ``ThreadWorkload/producerConsumer``: the pattern of xmalloc-test (Lever and Boreham,
/// "malloc() performance in a multithreaded Linux environment", 2000), written here. Producer
/// threads allocate blocks and pass them in batches through a bounded queue to consumer
/// threads, which read and free them: every free happens on a thread that did not allocate
/// the block, the case that defeats a purely thread-local allocator cache.
///
/// With `threads` ≥ 2, ⌈threads / 2⌉ threads produce and the rest consume; one thread
/// produces a batch and consumes it in turn (so its frees are same-thread: the baseline).
enum ProducerConsumerWorkload {
    /// Bytes per block: a typical small message.
    static let blockSize = 100
    /// Blocks per batch: one queue operation, and at most one wake-up of a waiting thread
    /// (a system call), per batch keeps the queue's own cost out of the figure.
    static let batchSize = 256
    /// Batches the queue holds: caps the blocks in flight at `queueCapacity × batchSize`.
    static let queueCapacity = 8

    /// Passes `threads × operationsPerThread` blocks from producers to consumers.
    static func run<Block: WorkloadBlock & Sendable & ~Copyable>(
        _ form: Block.Type, threads: Int, operationsPerThread: Int, source: Block.Origin, seed: UInt64,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> WorkloadRun {
        let tally = WorkloadTally()
        let totalBlocks = threads * operationsPerThread
        let producers = threads == 1 ? 1 : (threads + 1) / 2
        let queue = BatchQueue<Block>(
            capacity: queueCapacity, batches: batches(producers: producers, totalBlocks: totalBlocks).reduce(0, +))
        return try tally.run(.producerConsumer, threads: threads, operations: totalBlocks, starter: starter) { thread in
            var counts = (written: UInt64(0), read: UInt64(0), crossThreadFrees: 0)
            var random = SplitMix64(state: seed &+ UInt64(thread) &* 0x9E37_79B9)
            if threads == 1 || thread < producers {
                let share = blocks(producer: thread, producers: producers, totalBlocks: totalBlocks)
                var made = 0
                while made < share {
                    var batch = BlockBatch<Block>(capacity: batchSize, producer: thread)
                    // After a failure anywhere, batches still go out (empty), so consumers never wait in vain.
                    do throws(BufferError) {
                        while batch.count < Swift.min(batchSize, share - made) && !tally.hasFailed {
                            var block = try Block(byteCount: blockSize, from: source)
                            let mark = UInt8(truncatingIfNeeded: random.next())
                            block.mark(mark)
                            counts.written &+= 2 * UInt64(mark)
                            batch.append(block)
                        }
                    } catch {
                        tally.fail(error, workload: .producerConsumer)
                    }
                    made += Swift.min(batchSize, share - made)
                    queue.push(batch)
                    if threads == 1, let own = queue.nextBatch() { consume(own, on: thread, counts: &counts) }
                }
            } else {
                while let batch = queue.nextBatch() { consume(batch, on: thread, counts: &counts) }
            }
            tally.add(marksWritten: counts.written, marksRead: counts.read, crossThreadFrees: counts.crossThreadFrees)
        }
    }

    /// Blocks producer `producer` allocates: an even share, the first ones taking the remainder.
    static func blocks(producer: Int, producers: Int, totalBlocks: Int) -> Int {
        totalBlocks / producers + (producer < totalBlocks % producers ? 1 : 0)
    }

    /// Batches each producer pushes.
    static func batches(producers: Int, totalBlocks: Int) -> [Int] {
        (0..<producers).map { producer in
            (blocks(producer: producer, producers: producers, totalBlocks: totalBlocks) + batchSize - 1) / batchSize
        }
    }

    /// Reads every block's marks and frees the batch on `thread`.
    private static func consume<Block: WorkloadBlock & ~Copyable>(
        _ batch: consuming BlockBatch<Block>, on thread: Int, counts: inout (written: UInt64, read: UInt64, crossThreadFrees: Int)
    ) {
        for index in 0..<batch.count {
            guard let block = batch.blocks.take(at: index) else { continue }
            counts.read &+= block.markSum()
            if batch.producer != thread { counts.crossThreadFrees += 1 }
        }
    }
}

import AllocShim

/// ``ThreadWorkload/pairs``: every thread allocates, touches and frees one block at a time.
/// With a per-thread pool nothing is shared, so throughput should grow with the threads up to
/// the number of cores: the headline figure is 100-byte pooled buffers at 2 threads
/// against 1.
enum PairsWorkload {
    /// Bytes per block: a typical small message, under every pool's threshold.
    static let blockSize = 100

    /// Runs `operationsPerThread` allocate/free pairs on each of `threads` threads.
    static func run<Block: WorkloadBlock & ~Copyable>(
        _ form: Block.Type, threads: Int, operationsPerThread: Int, source: Block.Origin,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> WorkloadRun {
        let tally = WorkloadTally()
        return try tally.run(.pairs, threads: threads, operations: threads * operationsPerThread, starter: starter) { thread in
            var written: UInt64 = 0
            var read: UInt64 = 0
            do throws(BufferError) {
                for index in 0..<operationsPerThread {
                    let mark = UInt8(truncatingIfNeeded: index &+ thread)
                    var block = try Block(byteCount: blockSize, from: source)
                    block.mark(mark)
                    written &+= 2 * UInt64(mark)
                    read &+= block.markSum()
                }
            } catch {
                tally.fail(error, workload: .pairs)
            }
            tally.add(marksWritten: written, marksRead: read)
        }
    }
}

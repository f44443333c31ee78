/// What the threads of a thread benchmark do with their blocks.
package enum ThreadWorkload: String, CaseIterable, Sendable, Codable {
    /// Each thread allocates a block, touches it and frees it, over and over: no sharing. The
    /// case a per-thread pool is built for.
    case pairs
    /// mimalloc-bench's larson: each thread replaces random blocks of a live working set and
    /// now and then hands the whole set to another thread (``LarsonWorkload``).
    case larson
    /// xmalloc-test: producers allocate, consumers free what they receive through a queue
    /// (``ProducerConsumerWorkload``).
    case producerConsumer = "producer-consumer"

    /// Parses a workload name; the `MeasureError` names the bad value and every valid one.
    package init(parsing name: String) throws(MeasureError) {
        guard let workload = ThreadWorkload(rawValue: name) else {
            throw .invalidArgument(
                "unknown workload '\(name)'; valid workloads are: \(ThreadWorkload.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = workload
    }

    /// Whether the workload can drive blocks of `form`: those that move blocks between threads
    /// need a `Sendable` block.
    package func accepts(_ form: BlockForm) -> Bool { self == .pairs || form.crossesThreads }

    /// The sizes of the workload's blocks, for tables: "100 B", "8–1000 B".
    package var blockSizes: String {
        switch self {
        case .pairs: return "\(PairsWorkload.blockSize) B"
        case .larson: return "\(LarsonWorkload.blockSizes.lowerBound)–\(LarsonWorkload.blockSizes.upperBound) B"
        case .producerConsumer: return "\(ProducerConsumerWorkload.blockSize) B"
        }
    }

    /// What the workload does, in a line.
    package var summary: String {
        switch self {
        case .pairs:
            return "each thread allocates a \(PairsWorkload.blockSize)-byte block, writes it, reads it and frees it; nothing is shared"
        case .larson:
            return "each thread keeps \(LarsonWorkload.slotsPerThread) live blocks of \(blockSizes), frees a random one and allocates "
                + "its replacement; every \(LarsonWorkload.handOverInterval) replacements it swaps its whole set for one another "
                + "thread left"
        case .producerConsumer:
            return "half the threads allocate \(ProducerConsumerWorkload.blockSize)-byte blocks and pass them in batches of "
                + "\(ProducerConsumerWorkload.batchSize) through a bounded queue to the other half, which free them "
                + "(one thread: both in turn)"
        }
    }
}

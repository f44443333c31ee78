import AllocShim
import CAllocShims
import CAllocShimsBench

/// ``BlockForm/c``: the sweep's workloads in C (CShims/CAllocShimsBench/thread_workloads.c) on
/// the backend's own call table, started and timed on the same threads and clock as the Swift
/// forms, with the same marks checked and, in addition, every block counted: a run whose
/// allocations and frees differ throws.
///
/// The C floor `../shared/tools/manycore/cscale.c` does `pairs` the same way (100 bytes, first
/// and last byte written and read, freed); its `xfree` passes batches of 64 around a ring of
/// threads, where this form keeps producer-consumer's shape (batches of 256 through one bounded
/// queue, half the threads producing) so that it is the same work as the rows it is the floor of.
enum CFormWorkload {
    /// The C calls `allocator` makes: the very value its `Allocator` methods go through
    /// (Sources/AllocShim/Backends/BackendCalls.swift; a jemalloc arena's without a thread cache).
    /// Throws for an allocator that is not a built-in backend (it has no C calls).
    static func calls(for allocator: any Allocator) throws(MeasureError) -> CAllocShims_BackendCalls {
        guard let calls = BackendCalls.of(allocator) else {
            throw .invalidArgument(
                "block form 'c' calls a built-in backend's C functions; allocator '\(allocator.name)' is not one of "
                    + BackendName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return calls.c
    }

    /// One timed run of `workload` in C on `calls`.
    static func run(
        _ workload: ThreadWorkload, threads: Int, operationsPerThread: Int, calls: CAllocShims_BackendCalls, seed: UInt64,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> WorkloadRun {
        let tally = WorkloadTally()
        let operations = Int64(operationsPerThread)
        switch workload {
        case .pairs:
            return try tally.run(.pairs, threads: threads, operations: threads * operationsPerThread, starter: starter) { thread in
                var counts = CAllocShimsBench_ThreadCounts()
                CAllocShimsBench_pairs_thread(calls, PairsWorkload.blockSize, operations, Int64(thread), &counts)
                tally.add(counts, workload: .pairs)
            }
        case .larson:
            var setup = CAllocShimsBench_ThreadCounts()
            guard
                let made = CAllocShimsBench_larson_create(
                    calls, Int64(threads), seed, Int64(LarsonWorkload.slotsPerThread), Int64(LarsonWorkload.handOverInterval),
                    Int64(LarsonWorkload.blockSizes.lowerBound), Int64(LarsonWorkload.blockSizes.upperBound), &setup)
            else { throw .failed("larson: the C form's harness ran out of memory") }
            let larson = CRun(made, destroy: CAllocShimsBench_larson_destroy)
            tally.add(setup, workload: .larson)
            return try tally.run(
                .larson, threads: threads, operations: threads * operationsPerThread, starter: starter,
                body: { thread in
                    var counts = CAllocShimsBench_ThreadCounts()
                    CAllocShimsBench_larson_thread(larson.pointer, Int64(thread), operations, &counts)
                    tally.add(counts, workload: .larson)
                },
                afterwards: {
                    var counts = CAllocShimsBench_ThreadCounts()
                    CAllocShimsBench_larson_free_waiting(larson.pointer, &counts)
                    tally.add(counts, workload: .larson)
                })
        case .producerConsumer:
            let totalBlocks = threads * operationsPerThread
            guard
                let made = CAllocShimsBench_producer_consumer_create(
                    calls, Int64(threads), Int64(totalBlocks), seed, ProducerConsumerWorkload.blockSize,
                    Int64(ProducerConsumerWorkload.batchSize), Int64(ProducerConsumerWorkload.queueCapacity))
            else { throw .failed("producer-consumer: the C form's harness ran out of memory") }
            let queue = CRun(made, destroy: CAllocShimsBench_producer_consumer_destroy)
            return try tally.run(.producerConsumer, threads: threads, operations: totalBlocks, starter: starter) { thread in
                var counts = CAllocShimsBench_ThreadCounts()
                CAllocShimsBench_producer_consumer_thread(queue.pointer, Int64(thread), &counts)
                tally.add(counts, workload: .producerConsumer)
            }
        }
    }

    /// A C run's shared state, destroyed with the last reference (also when a thread failed to
    /// start and the run never happened).
    private final class CRun: @unchecked Sendable {
        // @unchecked: the C state is shared by the run's threads on purpose; it guards itself
        // (a mutex, semaphores and atomics) and is destroyed only after every thread was joined.
        let pointer: OpaquePointer
        private let destroy: (OpaquePointer?) -> Void

        init(_ pointer: OpaquePointer, destroy: @escaping (OpaquePointer?) -> Void) {
            self.pointer = pointer
            self.destroy = destroy
        }

        deinit { destroy(pointer) }
    }
}

extension WorkloadTally {
    /// Adds what a C thread (or the set-up or clean-up) counted; a NULL from the allocator
    /// fails the run.
    fileprivate func add(_ counts: CAllocShimsBench_ThreadCounts, workload: ThreadWorkload) {
        if counts.failed != 0 {
            fail("\(workload.rawValue): allocation failed during the thread benchmark: the backend's C call returned NULL")
        }
        add(marksWritten: counts.marks_written, marksRead: counts.marks_read, crossThreadFrees: Int(counts.cross_thread_frees))
        add(allocations: Int(counts.allocations), frees: Int(counts.frees))
    }
}

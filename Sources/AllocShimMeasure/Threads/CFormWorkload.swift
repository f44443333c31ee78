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
    /// The C calls `allocator` makes: the same value its `Allocator` methods go through
    /// (Sources/AllocShim/Backends/BackendCalls.swift), rebuilt from what AllocShim makes public.
    /// Throws for an allocator that is not a built-in backend (it has no C calls).
    static func calls(for allocator: any Allocator) throws(MeasureError) -> CAllocShims_BackendCalls {
        if allocator === SystemAllocator.shared {
            return CAllocShims_BackendCalls(kind: Int32(CAllocShims_BackendPlatform.rawValue), zero_flag: 0, detail: 0)
        }
        if let arena = allocator as? JemallocArena {
            // JemallocArena.init: MALLOCX_ARENA(index) | MALLOCX_TCACHE_NONE.
            var flags: Int32 = 0
            guard CAllocShims_jemalloc_arena_flags(arena.index, &flags) == 0 else {
                throw .failed("c form: jemalloc arena \(arena.index) cannot be addressed by mallocx flags")
            }
            return jemalloc(flags: flags | CAllocShims_MALLOCX_TCACHE_NONE())
        }
        if let shared = JemallocAllocator.shared, allocator === shared { return jemalloc(flags: 0) }
        for backend in [BackendName.mimalloc, .tcmalloc] {
            guard let loaded = try? BackendRegistry.allocator(backend), loaded === allocator else { continue }
            // The loader hands out one table per library for the life of the process: the one
            // the allocator itself calls through.
            var message = [CChar](repeating: 0, count: 512)
            let table =
                backend == .mimalloc
                ? CAllocShims_load_mimalloc(&message, message.count) : CAllocShims_load_tcmalloc(&message, message.count)
            guard let table else { throw .failed("c form: \(backend.rawValue) could not be loaded") }
            return CAllocShims_BackendCalls(
                kind: Int32(CAllocShims_BackendTable.rawValue), zero_flag: 0, detail: UInt(bitPattern: table))
        }
        throw .invalidArgument(
            "block form 'c' calls a built-in backend's C functions; allocator '\(allocator.name)' is not one of "
                + BackendName.allCases.map(\.rawValue).joined(separator: ", "))
    }

    private static func jemalloc(flags: Int32) -> CAllocShims_BackendCalls {
        CAllocShims_BackendCalls(
            kind: Int32(CAllocShims_BackendJemalloc.rawValue), zero_flag: CAllocShims_MALLOCX_ZERO(), detail: UInt(bitPattern: Int(flags)))
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

import AllocShim
import Synchronization

/// What one timed run of a thread workload did.
struct WorkloadRun: Sendable {
    /// Threads that ran together.
    var threads: Int
    /// Operations over all threads; one operation is one allocate and one free.
    var operations: Int
    /// From the threads' common start to the last thread's end.
    var wallNanoseconds: UInt64
    /// The threads' CPU time added up: unlike wall time it leaves out time a thread waited
    /// for a core, which on a shared machine is most of the noise.
    var cpuNanoseconds: UInt64
    /// Blocks freed by a thread other than the one that allocated them.
    var crossThreadFrees: Int
    /// The marks read back from blocks before they were freed (see ``WorkloadTally``).
    var checksum: UInt64

    /// Million operations per second of wall time.
    var mops: Double { Double(operations) / (Double(wallNanoseconds) / 1e9) / 1e6 }

    /// CPU nanoseconds per operation.
    var cpuNanosecondsPerOperation: Double { Double(cpuNanoseconds) / Double(operations) }
}

/// What a workload's threads add up while they run: CPU time, cross-thread frees, the marks
/// written into blocks and read back before freeing, and the first failure.
///
/// Every block marked is read back exactly once before it is freed, so the two mark sums must
/// agree: a block corrupted or freed twice while it travelled between threads would show, and
/// the loops cannot be optimized away because their result is checked.
final class WorkloadTally: Sendable {
    private let cpuNanoseconds = Atomic<UInt64>(0)
    private let crossThreadFrees = Atomic<Int>(0)
    private let marksWritten = Atomic<UInt64>(0)
    private let marksRead = Atomic<UInt64>(0)
    /// Blocks allocated minus blocks freed, for forms that count them (the C form): a run that
    /// leaks or frees twice fails instead of reporting a figure.
    private let unfreedBlocks = Atomic<Int>(0)
    private let failure = LockedValue<String?>(nil)
    private let failed = Atomic<Bool>(false)

    /// Adds one thread's (or the clean-up's) counts.
    func add(marksWritten written: UInt64, marksRead read: UInt64, crossThreadFrees frees: Int = 0) {
        marksWritten.wrappingAdd(written, ordering: .relaxed)
        marksRead.wrappingAdd(read, ordering: .relaxed)
        crossThreadFrees.wrappingAdd(frees, ordering: .relaxed)
    }

    /// Adds blocks allocated and freed by one thread (or the set-up or clean-up).
    func add(allocations: Int, frees: Int) {
        unfreedBlocks.wrappingAdd(allocations &- frees, ordering: .relaxed)
    }

    /// Records a failure (the first one is reported); threads then stop allocating.
    func fail(_ error: BufferError, workload: ThreadWorkload) {
        fail("\(workload.rawValue): allocation failed during the thread benchmark: \(error)")
    }

    /// Records a failure described by `description` (the first one is reported).
    func fail(_ description: String) {
        failure.withLock { message in
            if message == nil { message = description }
        }
        failed.store(true, ordering: .releasing)
    }

    /// Whether some thread failed: the others stop allocating, but still pass on and free what
    /// they hold, so no thread waits for blocks that will never come.
    var hasFailed: Bool { failed.load(ordering: .acquiring) }

    /// Runs `body` on `threads` threads released together and times them; throws the first
    /// failure, or a mismatch between the marks written and read.
    func run(
        _ workload: ThreadWorkload, threads: Int, operations: Int, starter: ThreadGroup.Starter,
        body: @escaping @Sendable (_ thread: Int) -> Void, afterwards cleanUp: () -> Void = {}
    ) throws(MeasureError) -> WorkloadRun {
        let wall = try ThreadGroup.run(count: threads, starter: starter) { [self] thread in
            let start = threadCPUNanoseconds()
            body(thread)
            cpuNanoseconds.wrappingAdd(threadCPUNanoseconds() - start, ordering: .relaxed)
        }
        cleanUp()
        if let message = failure.withLock({ $0 }) { throw .failed(message) }
        let written = marksWritten.load(ordering: .relaxed)
        let read = marksRead.load(ordering: .relaxed)
        guard written == read else {
            throw .failed("\(workload.rawValue): blocks changed while live (marks written \(written), read back \(read))")
        }
        let unfreed = unfreedBlocks.load(ordering: .relaxed)
        guard unfreed == 0 else {
            throw .failed("\(workload.rawValue): \(unfreed) more blocks allocated than freed (a negative count: freed twice)")
        }
        return WorkloadRun(
            threads: threads, operations: operations, wallNanoseconds: wall, cpuNanoseconds: cpuNanoseconds.load(ordering: .relaxed),
            crossThreadFrees: crossThreadFrees.load(ordering: .relaxed), checksum: read)
    }
}

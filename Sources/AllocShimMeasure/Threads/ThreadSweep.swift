import AllocShim
import Foundation

/// Measures how throughput grows from one thread to many, for the buffers users call and for
/// the raw allocator, under same-thread and cross-thread workloads, per backend.
///
/// Each point is the median of several repetitions; within a repetition the thread counts run
/// from the largest down, interleaved, so a change in the machine's load touches every count
/// alike (and a thread count the system cannot start fails at once).
package enum ThreadSweep {
    /// What a sweep measures, and how long.
    package struct Configuration: Sendable {
        /// The largest thread count (see ``ThreadSweep/threadCounts(upTo:)``).
        package var maximumThreads: Int
        /// Runs per point; the median is reported.
        package var repetitions: Int
        /// Operations per thread in each run (for `larson`: replacements).
        package var operationsPerThread: Int
        /// The workloads run.
        package var workloads: [ThreadWorkload]
        /// The block forms driven, each by every selected workload that accepts it.
        package var forms: [BlockForm]
        /// Seeds the workloads' random sizes and choices.
        package var seed: UInt64

        /// A sweep up to `maximumThreads` (default: the cores), of every workload and every form
        /// this build can measure.
        package init(
            maximumThreads: Int = ThreadSweep.defaultMaximumThreads, repetitions: Int = 5, operationsPerThread: Int = 300_000,
            workloads: [ThreadWorkload] = ThreadWorkload.allCases, forms: [BlockForm] = BlockForm.available, seed: UInt64 = 0x5EED
        ) {
            self.maximumThreads = maximumThreads
            self.repetitions = repetitions
            self.operationsPerThread = operationsPerThread
            self.workloads = workloads
            self.forms = forms
            self.seed = seed
        }

        /// The (workload, form) pairs measured, in the order given, skipping forms a workload
        /// cannot drive.
        package var cases: [(workload: ThreadWorkload, form: BlockForm)] {
            workloads.flatMap { workload in forms.filter(workload.accepts).map { (workload, $0) } }
        }

        /// The pairs of ``cases`` measured on `backend` (`nio-tenant` on `jemalloc-arena` only).
        package func cases(on backend: BackendName) -> [(workload: ThreadWorkload, form: BlockForm)] {
            cases.filter { $0.form.runs(on: backend) }
        }
    }

    /// The number of cores, within ``threadRange``.
    package static var defaultMaximumThreads: Int { Swift.min(ProcessInfo.processInfo.activeProcessorCount, threadRange.upperBound) }

    /// Thread counts accepted (the same bound as `ThreadScaling`'s).
    package static let threadRange = ThreadScaling.threadRange
    /// Repetitions accepted per point.
    package static let repetitionRange = 1...1_000
    /// Operations per thread accepted: a typo of a few extra zeros is an error, not an hour-long run.
    package static let operationRange = 1...10_000_000

    /// Checks every count and the selection (against `backends` too, when given); the error
    /// names the bad value and what is allowed.
    package static func validate(_ configuration: Configuration, backends: [BackendName]? = nil) throws(MeasureError) {
        try check(configuration.maximumThreads, in: threadRange, what: "thread count")
        try check(configuration.repetitions, in: repetitionRange, what: "repetition count")
        try check(configuration.operationsPerThread, in: operationRange, what: "operations per thread")
        guard !configuration.cases.isEmpty else {
            throw .invalidArgument(
                "no selected workload (\(configuration.workloads.map(\.rawValue).joined(separator: ", "))) drives the selected forms "
                    + "(\(configuration.forms.map(\.rawValue).joined(separator: ", "))): "
                    + "\(BlockForm.sharedUnsafe.rawValue) is for pairs only"
            )
        }
        if let unbuilt = configuration.forms.first(where: { !$0.isBuilt }) {
            _ = try BlockForm(parsing: unbuilt.rawValue)  // throws the parser's error, naming the trait
        }
        if let backends, !backends.contains(where: { !configuration.cases(on: $0).isEmpty }) {
            throw .invalidArgument(
                "no selected form runs on the selected backends (\(backends.map(\.rawValue).joined(separator: ", "))): "
                    + "\(BlockForm.nioTenant.rawValue) runs on \(BackendName.jemallocArena.rawValue) only")
        }
    }

    private static func check(_ value: Int, in range: ClosedRange<Int>, what: String) throws(MeasureError) {
        guard range.contains(value) else {
            throw .invalidArgument("invalid \(what) \(value): allowed are \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// The thread counts of a sweep up to `maximum`: 1, the powers of two below `maximum`, and
    /// `maximum` (1, 2 on two cores; 1, 2, 4, 6 on six).
    package static func threadCounts(upTo maximum: Int) -> [Int] {
        var counts: [Int] = []
        var count = 1
        while count < maximum {
            counts.append(count)
            count *= 2
        }
        return counts + [maximum]
    }

    /// Steps ``run(backends:configuration:progress:)`` reports: one per backend and case.
    package static func progressSteps(backends: [BackendName], configuration: Configuration) -> Int {
        backends.map { configuration.cases(on: $0).count }.reduce(0, +)
    }

    /// Runs the sweep on each backend's shared buffer source (`BufferSource.backend`).
    ///
    /// Throws `MeasureError` for a bad configuration, a thread that fails to start or a failed
    /// allocation, and `BufferSourceError` for an unavailable backend.
    package static func run(backends: [BackendName], configuration: Configuration, progress: (String) -> Void) throws -> ThreadSweepResult {
        try validate(configuration, backends: backends)
        var points: [ThreadSweepPoint] = []
        for backend in backends {
            let source = try BufferSource.backend(backend)
            for (workload, form) in configuration.cases(on: backend) {
                progress("\(backend.rawValue), \(workload.rawValue), \(form.rawValue)")
                points += try measure(workload, form, backend: backend.rawValue, source: source, configuration: configuration)
            }
        }
        return ThreadSweepResult(
            threadCounts: threadCounts(upTo: configuration.maximumThreads), repetitions: configuration.repetitions,
            operationsPerThread: configuration.operationsPerThread, cores: ProcessInfo.processInfo.activeProcessorCount,
            points: ThreadSweepResult.withScalingOverC(points))
    }

    /// Every thread count of one case, `repetitions` times; one point per thread count.
    static func measure(
        _ workload: ThreadWorkload, _ form: BlockForm, backend: String, source: BufferSource, configuration: Configuration,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> [ThreadSweepPoint] {
        let counts = threadCounts(upTo: configuration.maximumThreads)
        var runs = [Int: [WorkloadRun]]()
        for _ in 0..<configuration.repetitions {
            for threads in counts.reversed() {
                runs[threads, default: []].append(
                    try run(
                        workload, form, threads: threads, operationsPerThread: configuration.operationsPerThread, source: source,
                        seed: configuration.seed, starter: starter))
            }
        }
        let single = runs[1]!
        let singleMops = median(single.map(\.mops))
        let singleCPU = median(single.map(\.cpuNanosecondsPerOperation))
        return counts.map { threads in
            let mops = runs[threads]!.map(\.mops)
            let cpu = median(runs[threads]!.map(\.cpuNanosecondsPerOperation))
            return ThreadSweepPoint(
                backend: backend, workload: workload, form: form, threads: threads, medianMops: median(mops), spread: relativeSpread(mops),
                cpuNanosecondsPerOperation: cpu, scaling: median(mops) / singleMops, cpuScaling: Double(threads) * singleCPU / cpu,
                crossThreadFreesPerOperation: median(runs[threads]!.map { Double($0.crossThreadFrees) / Double($0.operations) }))
        }
    }

    /// One timed run of `workload` driving `form` on `threads` threads.
    static func run(
        _ workload: ThreadWorkload, _ form: BlockForm, threads: Int, operationsPerThread: Int, source: BufferSource, seed: UInt64,
        starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws(MeasureError) -> WorkloadRun {
        switch form {
        case .ownedPooled:
            return try runCrossingThreads(workload, PooledOwnedBlock.self, threads, operationsPerThread, source, seed, starter)
        case .ownedUnpooled:
            return try runCrossingThreads(workload, UnpooledOwnedBlock.self, threads, operationsPerThread, source, seed, starter)
        case .allocator:
            return try runCrossingThreads(workload, AllocatorBlock.self, threads, operationsPerThread, source, seed, starter)
        case .sharedUnsafe:
            guard workload.accepts(form) else {
                throw .invalidArgument("workload \(workload.rawValue) moves blocks between threads; \(form.rawValue) blocks cannot move")
            }
            return try PairsWorkload.run(
                SharedUnsafeBlock.self, threads: threads, operationsPerThread: operationsPerThread, source: source, starter: starter)
        case .c:
            return try CFormWorkload.run(
                workload, threads: threads, operationsPerThread: operationsPerThread, calls: CFormWorkload.calls(for: source.allocator),
                seed: seed, starter: starter)
        case .nioTenant:
            // Its own tenant's allocator, whatever `source` is (see NIOTenantForm).
            return try NIOTenantForm.run(workload, threads: threads, operationsPerThread: operationsPerThread, seed: seed, starter: starter)
        }
    }

    static func runCrossingThreads<Block: WorkloadBlock & Sendable & ~Copyable>(
        _ workload: ThreadWorkload, _ form: Block.Type, _ threads: Int, _ operationsPerThread: Int, _ source: Block.Origin, _ seed: UInt64,
        _ starter: ThreadGroup.Starter
    ) throws(MeasureError) -> WorkloadRun {
        switch workload {
        case .pairs:
            return try PairsWorkload.run(form, threads: threads, operationsPerThread: operationsPerThread, source: source, starter: starter)
        case .larson:
            return try LarsonWorkload.run(
                form, threads: threads, operationsPerThread: operationsPerThread, source: source, seed: seed, starter: starter)
        case .producerConsumer:
            return try ProducerConsumerWorkload.run(
                form, threads: threads, operationsPerThread: operationsPerThread, source: source, seed: seed, starter: starter)
        }
    }
}

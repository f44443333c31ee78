/// One measured point of a thread sweep: a workload driving one block form on one backend
/// at one thread count, over several repetitions.
package struct ThreadSweepPoint: Codable, Sendable, Equatable {
    /// The backend measured, a `BackendName` raw value.
    package var backend: String
    /// What the threads did.
    package var workload: ThreadWorkload
    /// How blocks were made and freed.
    package var form: BlockForm
    /// Threads running together.
    package var threads: Int
    /// Million operations per second over all threads (one operation: one allocate and one
    /// free), timed from the threads' common start to the last one's end; median of the
    /// repetitions.
    package var medianMops: Double
    /// (max − min) / median of the repetitions' million operations per second.
    package var spread: Double
    /// The threads' CPU time per operation, median of the repetitions. Unlike wall time it
    /// leaves out time a thread waited for a core.
    package var cpuNanosecondsPerOperation: Double
    /// `medianMops` over the same workload and form at one thread (ideal: `threads`, up to the
    /// number of cores).
    package var scaling: Double
    /// `threads` × CPU ns per operation at one thread / CPU ns per operation here: the scaling
    /// if every thread had a core of its own, so it drops only where threads slow each other
    /// down (shared cache lines, locks), not where other processes take the cores.
    package var cpuScaling: Double
    /// Blocks freed by a thread other than the one that allocated them, per operation (median
    /// of the repetitions; 0 for one thread and for `pairs`).
    package var crossThreadFreesPerOperation: Double
    /// `scaling` over the C form's `scaling` on the same backend, workload and thread count: the
    /// share of the allocator's own scaling this form keeps (1 for the C form itself; nil when
    /// the C form was not measured, and in reports written before it existed).
    package var scalingOverC: Double? = nil
}

/// Everything a thread sweep measured.
package struct ThreadSweepResult: Codable, Sendable {
    /// The thread counts measured, ascending (always 1, then powers of two, then the maximum).
    package var threadCounts: [Int]
    /// Repetitions per point.
    package var repetitions: Int
    /// Operations per thread in each repetition.
    package var operationsPerThread: Int
    /// Cores this process could use.
    package var cores: Int
    /// One point per backend, workload, form and thread count.
    package var points: [ThreadSweepPoint]

    /// `points` with ``ThreadSweepPoint/scalingOverC`` set wherever the C form was measured on
    /// the same backend and workload at the same thread count. (The C form of `jemalloc-arena`
    /// is also the floor of `nio-tenant`, whose tenant arena is a jemalloc arena of its own.)
    static func withScalingOverC(_ points: [ThreadSweepPoint]) -> [ThreadSweepPoint] {
        points.map { point in
            var point = point
            if let floor = points.first(where: {
                $0.form == .c && $0.backend == point.backend && $0.workload == point.workload && $0.threads == point.threads
            }), floor.scaling > 0 {
                point.scalingOverC = point.scaling / floor.scaling
            }
            return point
        }
    }

    /// The headline figure for `backend`: pooled 100-byte `OwnedBytes` (workload
    /// `pairs`, form `owned-pooled`) at 2 threads over 1 thread; nil when not measured.
    package func headlineScaling(backend: String) -> Double? {
        points.first { $0.backend == backend && $0.workload == .pairs && $0.form == .ownedPooled && $0.threads == 2 }?.scaling
    }

    /// What the issue asks of the headline figure on a machine with at least 2 cores.
    package static let headlineTarget = 1.6
}

import AllocShim
import Synchronization

/// Small-size allocate/free throughput through the shim at 1 and N threads.
package struct ThreadScalingResult: Codable, Sendable {
    /// The backend measured, a `BackendName` raw value.
    package var backend: String
    /// Bytes per block.
    package var size: Int
    /// Threads in the multi-thread run.
    package var threads: Int
    /// Million allocate/free pairs per second with one thread.
    package var singleThreadMops: Double
    /// Million pairs per second with `threads` threads together.
    package var multiThreadMops: Double
    /// multiThreadMops / singleThreadMops (ideal: `threads`).
    package var scaling: Double
}

/// Measures how allocate/free throughput through the shim scales from one thread to many,
/// per backend.
package enum ThreadScaling {
    /// Thread counts accepted: enough to oversubscribe any machine this runs on, few enough
    /// that their stacks (256 KiB each) and start-up stay small.
    package static let threadRange = 1...1024

    /// Checks a thread count; the error names the value and ``threadRange``.
    package static func validate(threads: Int) throws(MeasureError) {
        guard threadRange.contains(threads) else {
            throw .invalidArgument("invalid thread count \(threads): allowed are \(threadRange.lowerBound) to \(threadRange.upperBound)")
        }
    }

    /// Steps `run` reports to `progress`: two per backend (1 thread, N threads).
    package static func progressSteps(backends: Int) -> Int { backends * 2 }

    /// Runs `operationsPerThread` allocate/free pairs of `size` bytes on one thread, then on
    /// `threads` threads at once, for each backend.
    ///
    /// Throws `MeasureError` for a thread count outside `threadRange`, a thread that fails to
    /// start or a failed allocation, and `BackendSelectionError` for an unavailable backend.
    package static func run(backends: [BackendName], threads: Int, size: Int = 64, operationsPerThread: Int = 500_000, progress: (String) -> Void)
        throws -> [ThreadScalingResult]
    {
        try validate(threads: threads)
        return try backends.map { backend in
            let allocator = try BackendRegistry.allocator(backend)
            progress("\(backend.rawValue), 1 thread")
            let single = try measure(allocator, threads: 1, size: size, operations: operationsPerThread)
            progress("\(backend.rawValue), \(threads) threads")
            let multi = try measure(allocator, threads: threads, size: size, operations: operationsPerThread)
            return ThreadScalingResult(
                backend: backend.rawValue, size: size, threads: threads, singleThreadMops: single, multiThreadMops: multi, scaling: multi / single)
        }
    }

    /// A table of million pairs per second at 1 and N threads, and the scaling factor, per backend.
    package static func render(_ results: [ThreadScalingResult]) -> String {
        var table = Table(
            columns: [
                Table.Column("backend", .left, minimumWidth: 15), Table.Column("1 thread", minimumWidth: 12),
                Table.Column("\(results.first?.threads ?? 0) threads", minimumWidth: 13), Table.Column("scaling", minimumWidth: 9),
            ])
        for result in results {
            table.append([
                result.backend, String(format1: result.singleThreadMops), String(format1: result.multiThreadMops), String(format1: result.scaling),
            ])
        }
        return "\(results.first?.size ?? 64)-byte allocate/free pairs through the shim, million per second\n" + table.text
    }

    /// Million pairs per second over all threads, timed from a common start to the last finish.
    /// `starter` is replaceable so tests can make a thread start fail.
    static func measure(
        _ allocator: any Allocator, threads: Int, size: Int, operations: Int, starter: ThreadGroup.Starter = ThreadGroup.posixStart
    ) throws -> Double {
        let failures = Counter()
        let nanoseconds = try ThreadGroup.run(count: threads, starter: starter) { _ in
            for index in 0..<operations {
                // allocshim: uninitialized — thread-scaling benchmark: one byte is written per block and nothing else is read
                guard let block = try? allocator.allocateUninitialized(byteCount: size) else {
                    failures.value.wrappingAdd(1, ordering: .relaxed)
                    break
                }
                block.storeBytes(of: UInt8(truncatingIfNeeded: index), as: UInt8.self)
                allocator.deallocate(block, byteCount: size)
            }
        }
        guard failures.value.load(ordering: .relaxed) == 0 else { throw MeasureError.failed("\(allocator.name): allocation failed during the thread benchmark") }
        return Double(threads * operations) / (Double(nanoseconds) / 1e9) / 1e6
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }
}

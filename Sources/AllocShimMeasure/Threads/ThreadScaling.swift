import AllocShim
import Foundation
import Synchronization

/// Small-size allocate/free throughput through the shim at 1 and N threads.
public struct ThreadScalingResult: Codable, Sendable {
    public var backend: String
    public var size: Int
    public var threads: Int
    /// Million allocate/free pairs per second with one thread.
    public var singleThreadMops: Double
    /// Million pairs per second with `threads` threads together.
    public var multiThreadMops: Double
    /// multiThreadMops / singleThreadMops (ideal: `threads`).
    public var scaling: Double
}

public enum ThreadScaling {
    public static func run(backends: [BackendName], threads: Int, size: Int = 64, operationsPerThread: Int = 500_000, progress: (String) -> Void)
        throws -> [ThreadScalingResult]
    {
        try backends.map { backend in
            progress("threads \(backend.rawValue)")
            let allocator = try BackendRegistry.allocator(backend)
            let single = try measure(allocator, threads: 1, size: size, operations: operationsPerThread)
            let multi = try measure(allocator, threads: threads, size: size, operations: operationsPerThread)
            return ThreadScalingResult(
                backend: backend.rawValue, size: size, threads: threads, singleThreadMops: single, multiThreadMops: multi, scaling: multi / single)
        }
    }

    public static func render(_ results: [ThreadScalingResult]) -> String {
        var lines = ["\(results.first?.size ?? 64)-byte allocate/free pairs through the shim, million per second"]
        lines.append(BenchTable.pad("backend", 16) + BenchTable.lpad("1 thread", 12) + BenchTable.lpad("\(results.first?.threads ?? 0) threads", 12) + BenchTable.lpad("scaling", 10))
        for result in results {
            lines.append(
                BenchTable.pad(result.backend, 16) + BenchTable.lpad(String(format1: result.singleThreadMops), 12)
                    + BenchTable.lpad(String(format1: result.multiThreadMops), 12) + BenchTable.lpad(String(format1: result.scaling), 10))
        }
        return lines.joined(separator: "\n")
    }

    /// Million pairs per second over all threads, timed from a common start to the last finish.
    private static func measure(_ allocator: any Allocator, threads: Int, size: Int, operations: Int) throws -> Double {
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        let failures = Atomic<Int>(0)
        for _ in 0..<threads {
            finished.enter()
            Thread {
                start.wait()
                for index in 0..<operations {
                    guard let block = try? allocator.allocateUninitialized(byteCount: size) else {
                        failures.wrappingAdd(1, ordering: .relaxed)
                        break
                    }
                    block.storeBytes(of: UInt8(truncatingIfNeeded: index), as: UInt8.self)
                    allocator.deallocate(block, byteCount: size)
                }
                finished.leave()
            }.start()
        }
        let begin = monotonicNanoseconds()
        for _ in 0..<threads { start.signal() }
        finished.wait()
        let seconds = Double(monotonicNanoseconds() - begin) / 1e9
        guard failures.load(ordering: .relaxed) == 0 else { throw MeasureError.failed("\(allocator.name): allocation failed during the thread benchmark") }
        return Double(threads * operations) / seconds / 1e6
    }
}

// AllocShimMeasure — the measurement layer: benchmark, fragmentation and residue engines and
// the report. It depends on the AllocShim library; the library never depends on it.
//
//   Bench/         allocation scenarios timed in Swift, in C (baseline) and in Node
//   Fragmentation/ churn workload per backend, in child processes
//   Report/        report.md, report.json and SVG plots
//   Support/       clocks, statistics, child processes, JSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// CPU time this thread has used, in nanoseconds: unlike wall time, it does not count time
/// the thread spent descheduled, which on a shared 2-core machine is most of the noise.
@inline(__always)
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of no values")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// (max − min) / median: how far apart the repetitions were.
func relativeSpread(_ values: [Double]) -> Double {
    let middle = median(values)
    return middle > 0 ? (values.max()! - values.min()!) / middle : 0
}

/// The geometric mean of positive values.
func geometricMean(_ values: [Double]) -> Double? {
    let positive = values.filter { $0 > 0 }
    guard !positive.isEmpty else { return nil }
    return exp(positive.map { log($0) }.reduce(0, +) / Double(positive.count))
}

// AllocShimMeasure — the measurement layer: benchmark, fragmentation, residue, leaks, threads,
// soak and the report. It depends on the AllocShim library; the library never depends on it.
//
//   Bench/            allocation scenarios timed in Swift, in C (baseline) and in Node
//   Fragmentation/    churn workload per backend, in child processes
//   Leaks/            the leak defences' cost and the detector's false-positive rate
//   ProcessAllocator/ `allocshim run`: preloading an allocator and verifying what runs
//   Report/           report.md, report.json and SVG plots
//   Residue/          what a fresh allocation still holds of freed secrets
//   Soak/             a service under each process allocator, sampled every second
//   Support/          clocks, statistics, child processes, JSON
//   Threads/          multi-threaded workloads and the thread sweep
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

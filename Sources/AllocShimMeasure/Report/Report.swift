import AllocShim
import Foundation

/// Everything `allocshim report` measured, as written to report.json.
package struct Report: Codable, Sendable {
    /// ``AllocShimVersion/current`` of the build that measured (absent in older reports).
    package var version: String?
    /// The machine the report was measured on.
    package var machine: MachineInfo
    /// The command line that produced the report.
    package var command: String
    /// Every built-in backend and whether this process could use it.
    package var backends: [BackendAvailability]
    /// Benchmark results, per backend and scenario.
    package var bench: [BenchResult]
    /// Per backend: geometric mean over the scenarios of Node's ns/op divided by AllocShim's
    /// fastest form (> 1: AllocShim is faster). Absent without Node.
    package var nodeOverAllocShimGeometricMean: [String: Double]
    /// Residue probe results, per backend, scenario and size.
    package var residue: [ResidueResult]
    /// Residue under each allocator configuration (the configuration matrix).
    package var configurations: [ConfigurationResult]
    /// Fragmentation results, one per backend, each measured in its own process.
    package var fragmentation: [FragmentationResult]
    /// 64-byte raw allocate/free pairs at 1 and N threads, one per backend.
    package var threads: [ThreadScalingResult]
    /// The thread sweep: buffers and raw allocator calls under same-thread and cross-thread
    /// workloads, 1 to N threads (absent in reports written before it existed).
    package var threadSweep: ThreadSweepResult? = nil
    /// Per-thread pools of 8 and 64 KiB side by side: speed at 100 B and 4 KiB, and slab
    /// bytes held against bytes referenced (absent in reports written before it existed).
    package var poolSizes: [PoolSizeComparison.Row]? = nil
    /// The output-span initializers against `allocUnsafe` plus a full write (absent in reports
    /// written before it existed).
    package var outputSpanCost: [OutputSpanCost.Row]? = nil
}

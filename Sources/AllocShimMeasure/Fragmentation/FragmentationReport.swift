import AllocShim
import Foundation

/// Memory growth of one backend under the churn workload, measured in its own process.
package struct FragmentationResult: Codable, Sendable {
    /// The backend measured, a `BackendName` raw value.
    package var backend: String
    /// RSS before the workload.
    package var baselineRssMiB: Double
    /// Highest RSS sampled during the workload (after each round).
    package var peakRssMiB: Double
    /// RSS once every buffer is gone.
    package var afterFreeRssMiB: Double
    /// RSS after asking the allocator to return free memory (malloc_trim, arena purge, mi_collect, ReleaseFreeMemory).
    package var afterPurgeRssMiB: Double
    /// RSS after destroying the dedicated arena (jemalloc-arena only).
    package var afterDestroyRssMiB: Double?
    /// The allocator's own figures after the purge, where it has them.
    package var allocatorMappedMiB: Double?
    /// The allocator's resident figure after the purge, where it has one.
    package var allocatorResidentMiB: Double?
    /// Wall-clock seconds for the whole run, purge and destroy included.
    package var seconds: Double

    enum CodingKeys: String, CodingKey {
        case backend, baselineRssMiB, peakRssMiB, afterFreeRssMiB, afterPurgeRssMiB, afterDestroyRssMiB, allocatorMappedMiB, allocatorResidentMiB, seconds
    }

    /// Writes `null` for absent figures so every object has every key.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(backend, forKey: .backend)
        try container.encode(baselineRssMiB, forKey: .baselineRssMiB)
        try container.encode(peakRssMiB, forKey: .peakRssMiB)
        try container.encode(afterFreeRssMiB, forKey: .afterFreeRssMiB)
        try container.encode(afterPurgeRssMiB, forKey: .afterPurgeRssMiB)
        try container.encode(afterDestroyRssMiB, forKey: .afterDestroyRssMiB)
        try container.encode(allocatorMappedMiB, forKey: .allocatorMappedMiB)
        try container.encode(allocatorResidentMiB, forKey: .allocatorResidentMiB)
        try container.encode(seconds, forKey: .seconds)
    }
}

/// The churn workload's memory growth per backend: RSS before, at peak, after every buffer is
/// freed, after a purge and (for `jemalloc-arena`) after destroying the arena.
package enum Fragmentation {
    /// Runs the workload in this process on the process default backend (`ALLOCSHIM_BACKEND`).
    package static func runInProcess() throws -> FragmentationResult {
        let allocator = try ProcessDefaultAllocator.allocator()
        let source = try BufferSource(allocator: allocator)
        let start = monotonicNanoseconds()
        let baseline = mebibytes(ProcessMemory.residentBytes)
        var peak = baseline
        do {
            let survivors = try ChurnWorkload().run(using: source) { peak = Swift.max(peak, mebibytes(ProcessMemory.residentBytes)) }
            peak = Swift.max(peak, mebibytes(ProcessMemory.residentBytes))
            withExtendedLifetime(survivors) {}
        }
        let afterFree = mebibytes(ProcessMemory.residentBytes)
        allocator.releaseFreeMemory()
        let afterPurge = mebibytes(ProcessMemory.residentBytes)
        let statistics = allocator.statistics()
        var afterDestroy: Double?
        if let arena = allocator as? JemallocArena {
            try arena.destroy()
            afterDestroy = mebibytes(ProcessMemory.residentBytes)
        }
        return FragmentationResult(
            backend: allocator.name, baselineRssMiB: baseline, peakRssMiB: peak, afterFreeRssMiB: afterFree, afterPurgeRssMiB: afterPurge,
            afterDestroyRssMiB: afterDestroy, allocatorMappedMiB: statistics.mappedBytes.map(mebibytes),
            allocatorResidentMiB: statistics.residentBytes.map(mebibytes), seconds: Double(monotonicNanoseconds() - start) / 1e9)
    }

    /// Runs the workload once per backend, each in a child process of this executable
    /// started with `ALLOCSHIM_BACKEND=<backend>`, so each backend owns its process's memory.
    package static func runInChildren(backends: [BackendName], progress: (String) -> Void) throws -> [FragmentationResult] {
        try backends.map { backend in
            progress("fragmentation \(backend.rawValue)")
            let output = try ChildProcess.run(
                ChildProcess.selfExecutable, ["fragmentation", "--in-process", "--json"], environment: ["ALLOCSHIM_BACKEND": backend.rawValue])
            guard output.status == 0 else {
                throw MeasureError.failed("fragmentation child for \(backend.rawValue) failed: \(output.stderr)")
            }
            return try JSONDecoder().decode(FragmentationResult.self, from: Data(output.stdout.utf8))
        }
    }

    /// A table of the RSS figures in MiB, one row per backend; "—" where a figure is absent.
    package static func render(_ results: [FragmentationResult]) -> String {
        var table = Table(
            columns: [Table.Column("backend", .left, minimumWidth: 15)]
                + ["baseline", "peak", "after free", "after purge", "after destroy", "alloc mapped", "alloc resident"].enumerated().map {
                    Table.Column($0.element, minimumWidth: $0.offset == 0 ? 15 : 14)
                })
        for result in results {
            let cells: [Double?] = [
                result.baselineRssMiB, result.peakRssMiB, result.afterFreeRssMiB, result.afterPurgeRssMiB, result.afterDestroyRssMiB,
                result.allocatorMappedMiB, result.allocatorResidentMiB,
            ]
            table.append([result.backend] + cells.map { $0.map { String(format1: $0) } ?? "—" })
        }
        return "RSS in MiB under the churn workload (each backend in its own process)\n" + table.text
    }
}

func mebibytes(_ bytes: Int) -> Double { Double(bytes) / Double(1 << 20) }

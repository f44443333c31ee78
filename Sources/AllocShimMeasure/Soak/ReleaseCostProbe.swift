import AllocShim
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Measures FreeMemoryRelease in this process: churns the process allocator (many blocks of
/// mixed sizes, most freed in a scattered order so free memory is fragmented), then times one
/// release call; repeated. Run as a child under each process allocator (`allocshim soak`).
package enum ReleaseCostProbe {
    /// One line of JSON per repetition: allocator, microseconds, released MiB.
    package static func run(repetitions: Int = 5) -> [FreeMemoryRelease.Outcome] {
        var outcomes: [FreeMemoryRelease.Outcome] = []
        var random = SplitMix64(state: 42)
        for _ in 0..<repetitions {
            var blocks: [UnsafeMutableRawPointer] = []
            blocks.reserveCapacity(10_000)
            for _ in 0..<10_000 {
                // 64 B … 64 KiB, log-uniform (about 90 MiB in all): small objects and buffers as a service
                // makes them, below glibc's mmap threshold so they live in the heap the release must trim.
                let size = Int(exp(log(64.0) + random.nextUnit() * (log(65_536.0) - log(64.0))))
                guard let block = malloc(size) else { continue }
                memset(block, 1, size)  // touch it: resident memory the release can give back
                blocks.append(block)
            }
            // Free 90 %, keeping every tenth block alive so free memory is interleaved with live.
            for (index, block) in blocks.enumerated() where index % 10 != 0 { free(block) }
            outcomes.append(FreeMemoryRelease.releaseNow())
            for (index, block) in blocks.enumerated() where index % 10 == 0 { free(block) }
        }
        return outcomes
    }

    /// Summarises outcomes of one allocator.
    package static func summary(label: String, _ outcomes: [FreeMemoryRelease.Outcome]) -> ReleaseCost {
        summary(
            label: label, allocator: outcomes.first?.allocator?.rawValue,
            microseconds: outcomes.map { Double($0.durationNanoseconds) / 1000 },
            releasedMiB: outcomes.map { Double($0.releasedBytes) / 1_048_576 })
    }

    /// The cost row of one allocator's call durations and released sizes (0 where none).
    static func summary(label: String, allocator: String?, microseconds: [Double], releasedMiB: [Double]) -> ReleaseCost {
        let duration = Statistics(microseconds)
        return ReleaseCost(
            label: label, allocator: allocator, medianMicroseconds: duration?.median ?? 0,
            minimumMicroseconds: duration?.minimum ?? 0, maximumMicroseconds: duration?.maximum ?? 0,
            medianReleasedMiB: Statistics(releasedMiB)?.median ?? 0)
    }
}

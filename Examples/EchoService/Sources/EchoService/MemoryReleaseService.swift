// RELEASE_INTERVAL: hands free memory back to the OS every so many seconds, on whichever
// allocator serves the process's malloc (AllocShim's FreeMemoryRelease: malloc_trim, jemalloc
// purge, mi_collect or tcmalloc's ReleaseFreeMemory). The remedy services apply by hand when
// their RSS stays high after bursts; `allocshim soak --config system+release=5` measures it.
import AllocShim
import Logging
import ServiceLifecycle

struct MemoryReleaseService: Service {
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // FreeMemoryRelease's loop returns when its task is cancelled; graceful shutdown cancels it.
        try await cancelWhenGracefulShutdown {
            try await FreeMemoryRelease.runPeriodically(every: interval) { outcome in
                logger.debug("released free memory", metadata: ["allocator": "\(outcome.allocator)", "ns": "\(outcome.durationNanoseconds)"])
            }
        }
    }
}

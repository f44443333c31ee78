/// One second of a soak.
package struct SoakSample: Sendable, Codable, Hashable {
    /// Seconds since the load started.
    package var second: Int
    /// Whether the load was on (burst) or off (idle) during this second.
    package var burst: Bool
    /// The service's resident set (VmRSS), in MiB.
    package var residentMiB: Double
    /// The anonymous part of it (RssAnon: heap, not code), in MiB.
    package var anonymousMiB: Double
    /// Requests completed in this second.
    package var requests: Int
    /// Request body bytes echoed in this second, in MiB.
    package var mebibytes: Double
    /// Median latency in milliseconds (nil when no request completed).
    package var p50Milliseconds: Double?
    /// 99th percentile latency in milliseconds (nil when no request completed).
    package var p99Milliseconds: Double?
    /// Failed requests in this second.
    package var errors: Int
}

/// One soak run of the service under one process allocator.
package struct SoakRun: Sendable, Codable, Hashable {
    /// The allocator and its tuning, e.g. `system MALLOC_ARENA_MAX=2`.
    package var label: String
    /// Which repetition (1-based).
    package var repetition: Int
    /// Where the dynamic linker bound the service's malloc.
    package var mallocLibrary: String
    /// AllocShim backend the service used for its own buffers (ALLOCSHIM_BACKEND).
    package var serviceBufferBackend: String
    /// One sample per second.
    package var samples: [SoakSample]

    /// Peak resident set, in MiB.
    package var peakResidentMiB: Double { samples.map(\.residentMiB).max() ?? 0 }
    /// Resident set at the end of the final idle period, in MiB.
    package var residentAfterIdleMiB: Double { samples.last?.residentMiB ?? 0 }
    /// Requests completed per burst second.
    package var requestsPerSecond: Double {
        let burst = samples.filter(\.burst)
        return burst.isEmpty ? 0 : Double(burst.map(\.requests).reduce(0, +)) / Double(burst.count)
    }
    /// Echoed MiB per burst second.
    package var mebibytesPerSecond: Double {
        let burst = samples.filter(\.burst)
        return burst.isEmpty ? 0 : burst.map(\.mebibytes).reduce(0, +) / Double(burst.count)
    }
    /// Median over burst seconds of the per-second p99, in milliseconds.
    package var medianP99Milliseconds: Double {
        Statistics(samples.compactMap(\.p99Milliseconds))?.median ?? 0
    }
    /// Median over burst seconds of the per-second p50, in milliseconds.
    package var medianP50Milliseconds: Double {
        Statistics(samples.compactMap(\.p50Milliseconds))?.median ?? 0
    }
    /// Failed requests in the run.
    package var errors: Int { samples.map(\.errors).reduce(0, +) }
}

/// The cost of one FreeMemoryRelease call under one process allocator, after a churn.
package struct ReleaseCost: Sendable, Codable, Hashable {
    /// Allocator label.
    package var label: String
    /// Family that was asked (nil: no release call known).
    package var allocator: String?
    /// Median call duration in microseconds over the repetitions.
    package var medianMicroseconds: Double
    /// Fastest call, in microseconds.
    package var minimumMicroseconds: Double
    /// Slowest call, in microseconds.
    package var maximumMicroseconds: Double
    /// Median RSS released by the call, in MiB.
    package var medianReleasedMiB: Double
}

/// A whole soak: every run, the workload and where it ran.
package struct SoakReport: Sendable, Codable, Hashable {
    /// ISO 8601 start time (UTC).
    package var date: String
    /// Machine description.
    package var machine: String
    /// The exact command line.
    package var command: String
    /// The load.
    package var workload: SoakWorkload
    /// Every run, in order.
    package var runs: [SoakRun]
    /// Trim/purge call cost per allocator.
    package var releaseCosts: [ReleaseCost]

    /// Creates a report.
    package init(date: String, machine: String, command: String, workload: SoakWorkload, runs: [SoakRun], releaseCosts: [ReleaseCost]) {
        self.date = date
        self.machine = machine
        self.command = command
        self.workload = workload
        self.runs = runs
        self.releaseCosts = releaseCosts
    }
}

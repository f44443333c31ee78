/// One second of a soak.
public struct SoakSample: Sendable, Codable, Hashable {
    /// Seconds since the load started.
    public var second: Int
    /// Whether the load was on (burst) or off (idle) during this second.
    public var burst: Bool
    /// The service's resident set (VmRSS), in MiB.
    public var residentMiB: Double
    /// The anonymous part of it (RssAnon: heap, not code), in MiB.
    public var anonymousMiB: Double
    /// Requests completed in this second.
    public var requests: Int
    /// Request body bytes echoed in this second, in MiB.
    public var mebibytes: Double
    /// Median latency in milliseconds (nil when no request completed).
    public var p50Milliseconds: Double?
    /// 99th percentile latency in milliseconds (nil when no request completed).
    public var p99Milliseconds: Double?
    /// Failed requests in this second.
    public var errors: Int
}

/// One soak run of the service under one process allocator.
public struct SoakRun: Sendable, Codable, Hashable {
    /// The allocator and its tuning, e.g. `system MALLOC_ARENA_MAX=2`.
    public var label: String
    /// Which repetition (1-based).
    public var repetition: Int
    /// Where the dynamic linker bound the service's malloc.
    public var mallocLibrary: String
    /// AllocShim backend the service used for its own buffers (ALLOCSHIM_BACKEND).
    public var serviceBufferBackend: String
    /// One sample per second.
    public var samples: [SoakSample]

    /// Peak resident set, in MiB.
    public var peakResidentMiB: Double { samples.map(\.residentMiB).max() ?? 0 }
    /// Resident set at the end of the final idle period, in MiB.
    public var residentAfterIdleMiB: Double { samples.last?.residentMiB ?? 0 }
    /// Requests completed per burst second.
    public var requestsPerSecond: Double {
        let burst = samples.filter(\.burst)
        return burst.isEmpty ? 0 : Double(burst.map(\.requests).reduce(0, +)) / Double(burst.count)
    }
    /// Echoed MiB per burst second.
    public var mebibytesPerSecond: Double {
        let burst = samples.filter(\.burst)
        return burst.isEmpty ? 0 : burst.map(\.mebibytes).reduce(0, +) / Double(burst.count)
    }
    /// Median over burst seconds of the per-second p99, in milliseconds.
    public var medianP99Milliseconds: Double {
        Statistics(samples.compactMap(\.p99Milliseconds))?.median ?? 0
    }
    /// Median over burst seconds of the per-second p50, in milliseconds.
    public var medianP50Milliseconds: Double {
        Statistics(samples.compactMap(\.p50Milliseconds))?.median ?? 0
    }
    /// Failed requests in the run.
    public var errors: Int { samples.map(\.errors).reduce(0, +) }
}

/// The cost of one FreeMemoryRelease call under one process allocator, after a churn.
public struct ReleaseCost: Sendable, Codable, Hashable {
    /// Allocator label.
    public var label: String
    /// Family that was asked (nil: no release call known).
    public var allocator: String?
    /// Median call duration in microseconds over the repetitions.
    public var medianMicroseconds: Double
    /// Fastest call, in microseconds.
    public var minimumMicroseconds: Double
    /// Slowest call, in microseconds.
    public var maximumMicroseconds: Double
    /// Median RSS released by the call, in MiB.
    public var medianReleasedMiB: Double
}

/// A whole soak: every run, the workload and where it ran.
public struct SoakReport: Sendable, Codable, Hashable {
    /// ISO 8601 start time (UTC).
    public var date: String
    /// Machine description.
    public var machine: String
    /// The exact command line.
    public var command: String
    /// The load.
    public var workload: SoakWorkload
    /// Every run, in order.
    public var runs: [SoakRun]
    /// Trim/purge call cost per allocator.
    public var releaseCosts: [ReleaseCost]

    /// Creates a report.
    public init(date: String, machine: String, command: String, workload: SoakWorkload, runs: [SoakRun], releaseCosts: [ReleaseCost]) {
        self.date = date
        self.machine = machine
        self.command = command
        self.workload = workload
        self.runs = runs
        self.releaseCosts = releaseCosts
    }
}

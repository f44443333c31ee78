import AllocShim

// Each measuring command's whole run under one progress display: its phases, their weights
// (each phase's expected share of the run's time on the 2-core reference machine) and the
// runners in order. The CLI passes only the style and where progress is written, so it parses
// and prints and nothing else. (`report` and `soak` have theirs in ReportRunner and SoakSession.)

extension BenchRunner {
    /// `allocshim bench`: Node first when asked for, then every (backend, scenario), in child
    /// processes when `processes` > 1.
    package func run(progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws -> [BenchResult] {
        let progress = ProgressReporter(
            phases: [
                // Node runs one form where Swift runs three per backend: on the reference machine
                // its run takes about as long as 2.3 backends' Swift runs, and it repeats
                // `processes` times as often (nodeRepetitions).
                .init(name: "bench", weight: compareNode ? 2.3 * Double(scenarios.count * processes) : 0, steps: 1),
                // Each child process measures every (backend, scenario), one unit of weight each.
                .init(name: "bench", weight: Double(backends.count * scenarios.count * processes), steps: progressSteps),
            ], style: style, write: write)
        defer { progress.finish() }
        progress.beginPhase()
        let nodeFigures = compareNode ? try runNode(progress: progress.step) : [:]
        progress.beginPhase()
        return try run(nodeFigures: nodeFigures, progress: progress.step)
    }
}

extension ResidueRunner {
    /// `allocshim residue`: the Swift probe for every (backend, scenario, size), then the C
    /// probes when `withCProbes`.
    package func run(withCProbes: Bool, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws
        -> [ResidueResult]
    {
        // A C probe process takes about as long as 150 Swift probe steps.
        let cProbeSteps = withCProbes ? cProbeProgressSteps : 0
        let progress = ProgressReporter(
            phases: [
                .init(name: "residue", weight: Double(progressSteps), steps: progressSteps),
                .init(name: "residue", weight: 150 * Double(cProbeSteps), steps: cProbeSteps),
            ], style: style, write: write)
        defer { progress.finish() }
        progress.beginPhase()
        var results = try run(progress: progress.step)
        progress.beginPhase()
        if withCProbes { results += try runCProbes(progress: progress.step) }
        return results
    }
}

extension ConfigurationMatrix {
    /// `allocshim residue --config-matrix`.
    package static func run(
        backends: [BackendName], rounds: Int, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void
    ) throws -> [ConfigurationResult] {
        let progress = ProgressReporter(name: "configuration matrix", steps: progressSteps(backends: backends), style: style, write: write)
        defer { progress.finish() }
        return try run(backends: backends, rounds: rounds, progress: progress.step)
    }
}

extension Fragmentation {
    /// `allocshim fragmentation`: each backend in a child process of its own.
    package static func runInChildren(
        backends: [BackendName], progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void
    ) throws -> [FragmentationResult] {
        let progress = ProgressReporter(name: "fragmentation", steps: backends.count, style: style, write: write)
        defer { progress.finish() }
        return try runInChildren(backends: backends, progress: progress.step)
    }
}

extension ThreadSweep {
    /// `allocshim threads`: the sweep, then the raw allocator's 64-byte pairs at 1 and
    /// `configuration.maximumThreads` threads with `configuration.operationsPerThread` pairs per
    /// thread (so a slow backend, a tenant arena on many cores, finishes in a known time).
    package static func runWithScaling(
        backends: [BackendName], configuration: Configuration, progress style: ProgressReporter.Style,
        write: @escaping @Sendable (String) -> Void
    ) throws -> (sweep: ThreadSweepResult, scaling: [ThreadScalingResult]) {
        let sweepSteps = progressSteps(backends: backends, configuration: configuration)
        // On 2 cores a sweep case takes about twice as long as a backend's two 64-byte runs.
        let progress = ProgressReporter(
            phases: [
                .init(name: "threads", weight: 10 * Double(sweepSteps), steps: sweepSteps),
                .init(name: "threads", weight: 5 * Double(backends.count), steps: ThreadScaling.progressSteps(backends: backends.count)),
            ], style: style, write: write)
        defer { progress.finish() }
        progress.beginPhase()
        let sweep = try run(backends: backends, configuration: configuration, progress: progress.step)
        progress.beginPhase()
        let scaling = try ThreadScaling.run(
            backends: backends, threads: configuration.maximumThreads, operationsPerThread: configuration.operationsPerThread,
            progress: progress.step)
        return (sweep, scaling)
    }
}

extension LeaksSection {
    /// `allocshim leaks`: the selected parts (skipped parts are empty).
    package static func measure(
        falsePositiveBuffers: Int?, costs: Bool, hardened: Bool, heapHistory: Bool, rounds: Int, progress style: ProgressReporter.Style,
        write: @escaping @Sendable (String) -> Void
    ) throws -> LeaksSection {
        let steps = progressSteps(falsePositives: falsePositiveBuffers != nil, costs: costs, hardened: hardened, heapHistory: heapHistory)
        let progress = ProgressReporter(name: "leaks", steps: steps, style: style, write: write)
        defer { progress.finish() }
        return try measure(
            falsePositiveBuffers: falsePositiveBuffers, costs: costs, hardened: hardened, heapHistory: heapHistory, rounds: rounds,
            progress: progress.step)
    }
}

import AllocShim
import Foundation

/// Everything `allocshim report` measured, as written to report.json.
public struct Report: Codable, Sendable {
    /// ``AllocShimVersion/current`` of the build that measured (absent in older reports).
    public var version: String?
    /// The machine the report was measured on.
    public var machine: MachineInfo
    /// The command line that produced the report.
    public var command: String
    /// Every built-in backend and whether this process could use it.
    public var backends: [BackendAvailability]
    /// Benchmark results, per backend and scenario.
    public var bench: [BenchResult]
    /// Per backend: geometric mean over the scenarios of Node's ns/op divided by AllocShim's
    /// fastest form (> 1: AllocShim is faster). Absent without Node.
    public var nodeOverAllocShimGeometricMean: [String: Double]
    /// Residue probe results, per backend, scenario and size.
    public var residue: [ResidueResult]
    /// Residue under each allocator configuration (the configuration matrix).
    public var configurations: [ConfigurationResult]
    /// Fragmentation results, one per backend, each measured in its own process.
    public var fragmentation: [FragmentationResult]
    /// 64-byte raw allocate/free pairs at 1 and N threads, one per backend.
    public var threads: [ThreadScalingResult]
    /// The thread sweep: buffers and raw allocator calls under same-thread and cross-thread
    /// workloads, 1 to N threads (absent in reports written before it existed).
    public var threadSweep: ThreadSweepResult? = nil
}

/// Runs every measurement for the report.
public struct ReportRunner {
    /// Backends to measure.
    public var backends: [BackendName]
    /// Buffers per benchmark repetition.
    public var benchIterations = 10_000
    /// Benchmark repetitions per measurement, in each process.
    public var benchRepetitions = defaultBenchRepetitions
    /// Child processes the benchmark runs in, one after another (`allocshim bench --processes`).
    public var benchProcesses = defaultBenchProcesses

    /// Three processes of three repetitions each: a median that outvotes one odd process
    /// (address layout, a busy neighbour) and a spread across processes to judge the figures
    /// by, for 9 timed runs of each figure where one process of 5 repetitions had 5 (about
    /// 1.8 times the bench phase's time; see `run`'s weights).
    public static let defaultBenchProcesses = 3
    /// See ``defaultBenchProcesses``.
    public static let defaultBenchRepetitions = 3
    /// Rounds per residue probe cell; the configuration matrix uses half (at least 20).
    public var residueRounds = 100
    /// Whether to compare with Node; skipped anyway when `node` or the benchmark script is missing.
    public var compareNode = true
    /// Threads for the multi-threaded part of the thread benchmark.
    public var threadCount = Swift.min(ProcessInfo.processInfo.activeProcessorCount, ThreadScaling.threadRange.upperBound)
    /// Runs per point of the thread sweep.
    public var threadSweepRepetitions = 3
    /// Operations per thread in each run of the thread sweep: with 3 repetitions, about 1 s per
    /// backend on the 2-core reference machine when it is otherwise idle (system and jemalloc
    /// together: 1.3 s), longer when other work takes the cores.
    public var threadSweepOperations = 200_000

    /// A runner for `backends` with the default sizes of a full report.
    public init(backends: [BackendName]) { self.backends = backends }

    /// Runs everything, reporting progress in `style` through `write` (standard error).
    public func run(command: String, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws -> Report {
        let nodeAvailable = compareNode && NodeBench.nodeExecutable() != nil && NodeBench.scriptPath() != nil
        let residueRunner = ResidueRunner(backends: backends, scenarios: ResidueScenario.allCases, sizes: defaultResidueSizes, rounds: residueRounds)
        let benchRunner = BenchRunner(
            backends: backends, scenarios: BenchScenario.allCases, iterations: benchIterations, repetitions: benchRepetitions,
            compareNode: nodeAvailable, processes: benchProcesses)
        // Weights: each phase's share of a default run on the 2-core reference machine
        // (residue 4 s, each C probe 5 s, matrix 3 s, Node 13 s and the Swift bench 36 s of CPU
        // time for 5 repetitions of 10000 in one process, the thread sweep 1 s per backend, the
        // rest 2 s); they scale with the options that lengthen a phase. The bench's children take
        // as long as that many runs in one process (3 × 3 repetitions: 66 s against 36 s for
        // 1 × 5, 2026-11-25).
        let sweep = ThreadSweep.Configuration(
            maximumThreads: threadCount, repetitions: threadSweepRepetitions, operationsPerThread: threadSweepOperations)
        let benchScale = Double(benchIterations * benchRepetitions * benchProcesses) / 50_000
        let residueScale = Double(residueRounds) / 100
        let progress = ProgressReporter(
            phases: [
                .init(name: "residue", weight: 4 * residueScale, steps: residueRunner.progressSteps),
                .init(name: "residue", weight: 5 * residueScale * Double(residueRunner.cProbeProgressSteps), steps: residueRunner.cProbeProgressSteps),
                .init(name: "configuration matrix", weight: 3 * residueScale, steps: ConfigurationMatrix.progressSteps(backends: backends)),
                .init(name: "bench", weight: nodeAvailable ? 13 * benchScale : 0, steps: 1),
                .init(name: "bench", weight: 36 * benchScale, steps: benchRunner.progressSteps),
                .init(name: "fragmentation", weight: 1, steps: backends.count),
                .init(name: "threads", weight: 1, steps: ThreadScaling.progressSteps(backends: backends.count)),
                .init(
                    name: "threads", weight: Double(backends.count),
                    steps: ThreadSweep.progressSteps(backends: backends, configuration: sweep)),
            ], style: style, write: write)
        defer { progress.finish() }
        progress.beginPhase()
        var residue = try residueRunner.run(progress: progress.step)
        progress.beginPhase()
        residue += try residueRunner.runCProbes(progress: progress.step)
        progress.beginPhase()
        let configurations = try ConfigurationMatrix.run(backends: backends, rounds: Swift.max(20, residueRounds / 2), progress: progress.step)
        progress.beginPhase()
        let nodeFigures = nodeAvailable ? try benchRunner.runNode(progress: progress.step) : [:]
        progress.beginPhase()
        let bench = try benchRunner.run(nodeFigures: nodeFigures, progress: progress.step)
        progress.beginPhase()
        let fragmentation = try Fragmentation.runInChildren(backends: backends, progress: progress.step)
        progress.beginPhase()
        let threads = try ThreadScaling.run(backends: backends, threads: threadCount, progress: progress.step)
        progress.beginPhase()
        let threadSweep = try ThreadSweep.run(backends: backends, configuration: sweep, progress: progress.step)
        var geometricMeans: [String: Double] = [:]
        for backend in backends {
            let ratios = bench.filter { $0.backend == backend.rawValue }.compactMap { result in
                result.nodeNsPerOp.map { $0 / Swift.min(result.nsPerOp, result.ownedNsPerOp ?? .infinity) }
            }
            if ratios.count == BenchScenario.allCases.count, let mean = geometricMean(ratios) { geometricMeans[backend.rawValue] = mean }
        }
        return Report(
            version: AllocShimVersion.current, machine: MachineInfo.current(), command: command, backends: BackendRegistry.availability(), bench: bench,
            nodeOverAllocShimGeometricMean: geometricMeans, residue: residue, configurations: configurations, fragmentation: fragmentation,
            threads: threads, threadSweep: threadSweep)
    }
}

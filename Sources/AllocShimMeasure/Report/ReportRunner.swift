import AllocShim
import Foundation

/// Runs every measurement for the report.
package struct ReportRunner {
    /// Backends to measure.
    package var backends: [BackendName]
    /// Buffers per benchmark repetition.
    package var benchIterations = 10_000
    /// Benchmark repetitions per measurement, in each process.
    package var benchRepetitions = defaultBenchRepetitions
    /// Child processes the benchmark runs in, one after another (`allocshim bench --processes`).
    package var benchProcesses = defaultBenchProcesses

    /// Three processes of three repetitions each: a median that outvotes one odd process
    /// (address layout, a busy neighbour) and a spread across processes to judge the figures
    /// by, for 9 timed runs of each figure where one process of 5 repetitions had 5 (about
    /// 1.8 times the bench phase's time; see `run`'s weights).
    package static let defaultBenchProcesses = 3
    /// See ``defaultBenchProcesses``.
    package static let defaultBenchRepetitions = 3
    /// Rounds per residue probe cell; the configuration matrix uses half (at least 20).
    package var residueRounds = 100
    /// Whether to compare with Node; skipped anyway when `node` or the benchmark script is missing.
    package var compareNode = true
    /// Threads for the multi-threaded part of the thread benchmark.
    package var threadCount = Swift.min(ProcessInfo.processInfo.activeProcessorCount, ThreadScaling.threadRange.upperBound)
    /// Runs per point of the thread sweep.
    package var threadSweepRepetitions = 3
    /// Operations per thread in each run of the thread sweep: with 3 repetitions, about 1 s per
    /// backend on the 2-core reference machine when it is otherwise idle (system and jemalloc
    /// together: 1.3 s), longer when other work takes the cores.
    package var threadSweepOperations = 200_000

    /// A runner for `backends` with the default sizes of a full report.
    package init(backends: [BackendName]) { self.backends = backends }

    /// Whether the Node comparison runs: asked for, and `node` and the benchmark script found.
    private var nodeAvailable: Bool {
        compareNode && NodeBench.nodeExecutable() != nil && NodeBench.scriptPath() != nil
    }

    private var residueRunner: ResidueRunner {
        ResidueRunner(backends: backends, scenarios: ResidueScenario.allCases, sizes: defaultResidueSizes, rounds: residueRounds)
    }

    private func benchRunner(nodeAvailable: Bool) -> BenchRunner {
        BenchRunner(
            backends: backends, scenarios: BenchScenario.allCases, iterations: benchIterations, repetitions: benchRepetitions,
            compareNode: nodeAvailable, processes: benchProcesses)
    }

    private var sweep: ThreadSweep.Configuration {
        ThreadSweep.Configuration(
            maximumThreads: threadCount, repetitions: threadSweepRepetitions, operationsPerThread: threadSweepOperations)
    }

    /// The measuring phases of ``run(command:progress:write:)``, in order.
    ///
    /// Weights: each phase's share of a default run on the 2-core reference machine
    /// (residue 4 s, each C probe 5 s, matrix 3 s, Node 13 s and the Swift bench 36 s of CPU
    /// time for 5 repetitions of 10000 in one process, the thread sweep 1 s per backend, the
    /// rest 2 s); they scale with the options that lengthen a phase. The bench's children take
    /// as long as that many runs in one process (3 × 3 repetitions: 66 s against 36 s for
    /// 1 × 5, 2026-11-25).
    private func phases(nodeAvailable: Bool) -> [ProgressReporter.Phase] {
        let benchScale = Double(benchIterations * benchRepetitions * benchProcesses) / 50_000
        let residueScale = Double(residueRounds) / 100
        let residueRunner = residueRunner
        return [
            .init(name: "residue", weight: 4 * residueScale, steps: residueRunner.progressSteps),
            .init(
                name: "residue", weight: 5 * residueScale * Double(residueRunner.cProbeProgressSteps),
                steps: residueRunner.cProbeProgressSteps),
            .init(name: "configuration matrix", weight: 3 * residueScale, steps: ConfigurationMatrix.progressSteps(backends: backends)),
            .init(name: "bench", weight: nodeAvailable ? 13 * benchScale : 0, steps: 1),
            .init(name: "bench", weight: 36 * benchScale, steps: benchRunner(nodeAvailable: nodeAvailable).progressSteps),
            .init(name: "fragmentation", weight: 1, steps: backends.count),
            .init(name: "threads", weight: 1, steps: ThreadScaling.progressSteps(backends: backends.count)),
            .init(
                name: "threads", weight: Double(backends.count), steps: ThreadSweep.progressSteps(backends: backends, configuration: sweep)),
            // Both well under a second per backend on the reference machine.
            .init(name: "pool size", weight: 0.5, steps: PoolSizeComparison.progressSteps(backends: backends.count)),
            .init(name: "output span", weight: 0.5, steps: OutputSpanCost.progressSteps(backends: backends.count)),
        ]
    }

    /// The phases of the two sections appended after report.json is written: a 24-second soak
    /// per service configuration, and the leaks section (about a minute).
    private static let appendedPhases: [ProgressReporter.Phase] = [
        .init(name: "service", weight: 24 * Double(ServiceAllocatorSection.progressSteps), steps: ServiceAllocatorSection.progressSteps),
        .init(
            name: "leaks", weight: 60,
            steps: LeaksSection.progressSteps(falsePositives: true, costs: true, hardened: true, heapHistory: true)),
    ]

    /// Runs every measurement of report.json, reporting progress in `style` through `write`
    /// (standard error).
    package func run(command: String, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws -> Report
    {
        let nodeAvailable = nodeAvailable
        let progress = ProgressReporter(phases: phases(nodeAvailable: nodeAvailable), style: style, write: write)
        defer { progress.finish() }
        return try run(command: command, nodeAvailable: nodeAvailable, progress: progress)
    }

    /// The whole `allocshim report`: measures, writes report.md, report.json and the plots into
    /// `directory`, then appends the two sections that measure as they are written and are not
    /// in report.json (the service's allocator, then the leaks section), in that order, under
    /// one progress display. Returns the report and the names of the files written.
    package func measureAndWrite(
        to directory: URL, command: String, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void
    ) throws -> (report: Report, files: [String]) {
        let nodeAvailable = nodeAvailable
        let progress = ProgressReporter(phases: phases(nodeAvailable: nodeAvailable) + Self.appendedPhases, style: style, write: write)
        defer { progress.finish() }
        let report = try run(command: command, nodeAvailable: nodeAvailable, progress: progress)
        var files = try ReportWriter.write(report, to: directory)
        progress.beginPhase()
        files += try ServiceAllocatorSection.append(to: directory, progress: progress.step)
        progress.beginPhase()
        let leaks = try LeaksSection.measure(
            falsePositiveBuffers: 1_000_000, costs: true, hardened: true, heapHistory: true, rounds: 50, progress: progress.step)
        files += try leaks.append(toReportIn: directory)
        return (report, Array(Set(files)).sorted())
    }

    /// `allocshim report --from`: writes a saved report again (report.md, report.json, plots)
    /// without measuring anything; the appended sections, which are not in report.json, are
    /// left out.
    package static func redraw(_ report: Report, to directory: URL) throws -> [String] {
        try ReportWriter.write(report, to: directory)
    }

    private func run(command: String, nodeAvailable: Bool, progress: ProgressReporter) throws -> Report {
        let residueRunner = residueRunner
        let benchRunner = benchRunner(nodeAvailable: nodeAvailable)
        progress.beginPhase()
        var residue = try residueRunner.run(progress: progress.step)
        progress.beginPhase()
        residue += try residueRunner.runCProbes(progress: progress.step)
        progress.beginPhase()
        let configurations = try ConfigurationMatrix.run(
            backends: backends, rounds: Swift.max(20, residueRounds / 2), progress: progress.step)
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
        progress.beginPhase()
        let poolSizes = try PoolSizeComparison.run(backends: backends, progress: progress.step)
        progress.beginPhase()
        let outputSpanCost = try OutputSpanCost.run(backends: backends, progress: progress.step)
        var geometricMeans: [String: Double] = [:]
        for backend in backends {
            let ratios = bench.filter { $0.backend == backend.rawValue }.compactMap { result in
                result.nodeNsPerOp.map { $0 / Swift.min(result.nsPerOp, result.ownedNsPerOp ?? .infinity) }
            }
            if ratios.count == BenchScenario.allCases.count, let mean = geometricMean(ratios) { geometricMeans[backend.rawValue] = mean }
        }
        return Report(
            version: AllocShimVersion.current, machine: MachineInfo.current(), command: command, backends: BackendRegistry.availability(),
            bench: bench,
            nodeOverAllocShimGeometricMean: geometricMeans, residue: residue, configurations: configurations, fragmentation: fragmentation,
            threads: threads, threadSweep: threadSweep, poolSizes: poolSizes, outputSpanCost: outputSpanCost)
    }
}

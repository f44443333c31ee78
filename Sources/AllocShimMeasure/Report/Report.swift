import AllocShim
import Foundation

/// Everything `allocshim report` measured, as written to report.json.
public struct Report: Codable, Sendable {
    public var machine: MachineInfo
    public var command: String
    public var backends: [BackendAvailability]
    public var bench: [BenchResult]
    /// Per backend: geometric mean over the scenarios of Node's ns/op divided by AllocShim's
    /// fastest form (> 1: AllocShim is faster). Absent without Node.
    public var nodeOverAllocShimGeometricMean: [String: Double]
    public var residue: [ResidueResult]
    public var configurations: [ConfigurationResult]
    public var fragmentation: [FragmentationResult]
    public var threads: [ThreadScalingResult]
}

/// Runs every measurement for the report.
public struct ReportRunner {
    public var backends: [BackendName]
    public var benchIterations = 10_000
    public var benchRepetitions = 5
    public var residueRounds = 100
    public var compareNode = true

    public init(backends: [BackendName]) { self.backends = backends }

    public func run(command: String, write: @escaping (String) -> Void) throws -> Report {
        let nodeAvailable = compareNode && NodeBench.nodeExecutable() != nil && NodeBench.scriptPath() != nil
        let configurationCount = AllocatorConfiguration.matrix.filter { backends.contains($0.backend) }.count
        let progress = ProgressReporter(
            phases: [
                .init(name: "residue", weight: 10, steps: backends.count * ResidueScenario.allCases.count),
                .init(name: "config matrix", weight: 25, steps: configurationCount),
                .init(name: "bench", weight: 45, steps: backends.count * BenchScenario.allCases.count + (nodeAvailable ? 1 : 0)),
                .init(name: "fragmentation", weight: 5, steps: backends.count),
                .init(name: "threads", weight: 5, steps: backends.count),
            ], write: write)
        progress.beginPhase()
        let residueRunner = ResidueRunner(backends: backends, scenarios: ResidueScenario.allCases, sizes: defaultResidueSizes, rounds: residueRounds)
        let residue = try residueRunner.run(progress: progress.step) + residueRunner.runCProbes(progress: progress.step)
        progress.beginPhase()
        let configurations = try ConfigurationMatrix.run(backends: backends, rounds: Swift.max(20, residueRounds / 2), progress: progress.step)
        progress.beginPhase()
        let bench = try BenchRunner(
            backends: backends, scenarios: BenchScenario.allCases, iterations: benchIterations, repetitions: benchRepetitions,
            compareNode: nodeAvailable
        ).run(progress: progress.step)
        progress.beginPhase()
        let fragmentation = try Fragmentation.runInChildren(backends: backends, progress: progress.step)
        progress.beginPhase()
        let threads = try ThreadScaling.run(backends: backends, threads: ProcessInfo.processInfo.activeProcessorCount, progress: progress.step)
        var geometricMeans: [String: Double] = [:]
        for backend in backends {
            let ratios = bench.filter { $0.backend == backend.rawValue }.compactMap { result in
                result.nodeNsPerOp.map { $0 / Swift.min(result.nsPerOp, result.ownedNsPerOp ?? .infinity) }
            }
            if ratios.count == BenchScenario.allCases.count, let mean = geometricMean(ratios) { geometricMeans[backend.rawValue] = mean }
        }
        return Report(
            machine: MachineInfo.current(), command: command, backends: BackendRegistry.availability(), bench: bench,
            nodeOverAllocShimGeometricMean: geometricMeans, residue: residue, configurations: configurations, fragmentation: fragmentation,
            threads: threads)
    }
}

import AllocShim
import CAllocShims
import CAllocShimsBench

/// Runs the benchmark scenarios per backend: Swift (both buffer forms), the C baseline,
/// and optionally Node, each as the median of several repetitions within one run, in this
/// process or in several child processes (`processes`).
package struct BenchRunner {
    /// Backends to measure, in this order.
    package var backends: [BackendName]
    /// Scenarios to measure for each backend, in this order.
    package var scenarios: [BenchScenario]
    /// Buffers made per repetition of each scenario.
    package var iterations: Int
    /// Repetitions per measurement; results report their median.
    package var repetitions: Int
    /// Whether `run(progress:)` also runs the scenarios in Node (needs `node` on the `PATH`).
    package var compareNode: Bool
    /// Processes to measure in, one after another: 1 measures in this process; more re-run
    /// this executable that many times as `allocshim bench --processes 1 --json` with the same
    /// backends, scenarios, iterations and repetitions, and combine their rows
    /// (``BenchProcessCombination``). Only the `allocshim` executable can do that. Node, when
    /// asked for, still runs once, from this process.
    package var processes: Int

    /// The process counts `processes` accepts: enough for a median that shrugs off a few odd
    /// processes, few enough that a typo is not an hour-long run.
    package static let processRange = 1...20

    /// A runner for every (backend, scenario) pair; nothing runs until `run`.
    package init(
        backends: [BackendName], scenarios: [BenchScenario], iterations: Int = 10_000, repetitions: Int = 5, compareNode: Bool,
        processes: Int = 1
    ) {
        self.backends = backends
        self.scenarios = scenarios
        self.iterations = iterations
        self.repetitions = repetitions
        self.compareNode = compareNode
        self.processes = processes
    }

    /// Steps ``run(progress:)`` reports for the Swift and C measurements: one per (backend,
    /// scenario) in this process, one per child process otherwise. The Node run, when asked
    /// for, reports one more step before them.
    package var progressSteps: Int { processes == 1 ? backends.count * scenarios.count : processes }

    /// Runs everything; `progress` is told what is about to run.
    package func run(progress: (String) -> Void = { _ in }) throws -> [BenchResult] {
        try run(nodeFigures: compareNode ? runNode(progress: progress) : [:], progress: progress)
    }

    /// The Node part alone (one step): ns/op per scenario name. Separate from the Swift part
    /// so progress can show it as its own phase.
    package func runNode(progress: (String) -> Void = { _ in }) throws -> [String: Double] {
        progress("node, \(scenarios.count) scenarios × \(nodeRepetitions) repetitions")
        return try NodeBench.run(scenarios: scenarios, iterations: iterations, repetitions: nodeRepetitions)
    }

    /// Node's repetitions: as many timed runs as each Swift figure has across all processes,
    /// so that Node's median is not the less careful one.
    package var nodeRepetitions: Int { repetitions * processes }

    /// The Swift and C measurements, beside `nodeFigures` from ``runNode(progress:)`` (empty
    /// without Node).
    package func run(nodeFigures: [String: Double], progress: (String) -> Void = { _ in }) throws -> [BenchResult] {
        guard Self.processRange.contains(processes) else {
            let allowed = "a whole number from \(Self.processRange.lowerBound) to \(Self.processRange.upperBound)"
            throw MeasureError.invalidArgument("bench processes: '\(processes)' is not allowed; allowed: \(allowed)")
        }
        if processes > 1 { return try runInChildProcesses(nodeFigures: nodeFigures, progress: progress) }
        let inputs = try SwiftLoops.Inputs()
        var results: [BenchResult] = []
        for backend in backends {
            let source = try BufferSource.backend(backend)
            for scenario in scenarios {
                progress("\(backend.rawValue) \(scenario.rawValue)")
                results.append(try measure(scenario, backend: backend, source: source, inputs: inputs, node: nodeFigures[scenario.rawValue]))
            }
        }
        return results
    }

    private func measure(_ scenario: BenchScenario, backend: BackendName, source: BufferSource, inputs: SwiftLoops.Inputs, node: Double?) throws
        -> BenchResult
    {
        let warmUp = Swift.max(1, iterations / 10)
        _ = try SwiftLoops.shared(scenario, source: source, iterations: warmUp, inputs: inputs)
        // The default-source rows need this backend as the process default while they run.
        let previousDefault = try? ProcessDefaultAllocator.allocator()
        ProcessDefaultAllocator.set(source.allocator)
        defer { if let previousDefault { ProcessDefaultAllocator.set(previousDefault) } }
        let alternatives = SwiftAlternative.measured(for: scenario)
        var shared: [Double] = []
        var owned: [Double] = []
        var sharedDefault: [Double] = []
        var ownedDefault: [Double] = []
        var alternative: [String: [Double]] = [:]
        var c: [Double] = []
        let perOp = { (timing: SwiftLoops.Timing) in Double(timing.nanoseconds) / Double(iterations) }
        for _ in 0..<repetitions {
            // Interleaved, so drift on this shared machine hits every row alike.
            shared.append(perOp(try SwiftLoops.shared(scenario, source: source, iterations: iterations, inputs: inputs)))
            sharedDefault.append(perOp(try SwiftLoops.shared(scenario, source: nil, iterations: iterations, inputs: inputs)))
            if let timing = try SwiftLoops.owned(scenario, source: source, iterations: iterations) { owned.append(perOp(timing)) }
            if let timing = try SwiftLoops.owned(scenario, source: nil, iterations: iterations) { ownedDefault.append(perOp(timing)) }
            for candidate in alternatives {
                alternative[candidate.rawValue, default: []].append(perOp(candidate.run(size: scenario.size, iterations: iterations)))
            }
            c.append(Double(try baseline(scenario, backend: backend, source: source)) / Double(iterations))
        }
        let sharedMedian = median(shared)
        let ownedMedian = owned.isEmpty ? nil : median(owned)
        let cMedian = median(c)
        return BenchResult(
            backend: backend.rawValue, scenario: scenario.rawValue, iterations: iterations, nsPerOp: sharedMedian,
            ownedNsPerOp: ownedMedian, cNsPerOp: cMedian, nodeNsPerOp: node,
            fastestOverC: Swift.min(sharedMedian, ownedMedian ?? .infinity) / cMedian, repetitions: repetitions,
            defaultSourceNsPerOp: median(sharedDefault), ownedDefaultSourceNsPerOp: ownedDefault.isEmpty ? nil : median(ownedDefault),
            relativeSpread: relativeSpread(shared), ownedRelativeSpread: owned.isEmpty ? nil : relativeSpread(owned),
            swiftAlternativesNsPerOp: alternatives.isEmpty ? nil : alternative.mapValues(median))
    }

    private func baseline(_ scenario: BenchScenario, backend: BackendName, source: BufferSource) throws -> UInt64 {
        // The source's own backend calls: the baseline does the library's work, minus Swift.
        guard let calls = BackendCalls.of(source.allocator) else {
            throw MeasureError.failed("C baseline for \(backend.rawValue): allocator '\(source.allocator.name)' has no C calls")
        }
        var elapsed: UInt64 = 0
        var checksum: UInt64 = 0
        let status = CAllocShims_baseline_run(
            calls.c, Int32(scenario.baselineOperation.rawValue), scenario.size, iterations, &elapsed, &checksum)
        guard status == 0 else { throw MeasureError.failed("C baseline for \(backend.rawValue) \(scenario.rawValue) failed with errno \(status)") }
        return elapsed
    }
}

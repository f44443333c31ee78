import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim bench`: the chapter's benchmark per backend, beside the C baseline and Node.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Node's allocation scenarios per backend, beside the bare C calls and (optionally) Node itself."
    )

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        name: .customLong("scenario"), parsing: .unconditionalSingleValue,
        help: "A scenario (\(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.",
        transform: ArgumentValue.benchScenario)
    var scenarios: [BenchScenario] = []

    @Option(
        parsing: .unconditional, help: "Buffers per repetition (the chapter uses 10000; \(ArgumentRange.text(ArgumentRange.iterations))).",
        transform: ArgumentValue.integer(in: ArgumentRange.iterations))
    var iterations = 10_000

    @Option(
        parsing: .unconditional, help: "Repetitions; the median is reported (\(ArgumentRange.text(ArgumentRange.repetitions))).",
        transform: ArgumentValue.integer(in: ArgumentRange.repetitions))
    var repetitions = 5

    @Option(
        parsing: .unconditional,
        help: """
            Measure in this many child processes, one after another, and report the median of their medians with the spread \
            across processes (\(ArgumentRange.text(ArgumentRange.benchProcesses)); 1: in this process).
            """,
        transform: ArgumentValue.integer(in: ArgumentRange.benchProcesses))
    var processes = 1

    @Flag(help: "Also run Benchmarks/node/bench.js with node (when on PATH) in the same run.")
    var compareNode = false

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let runner = BenchRunner(
            backends: backendOptions.backends, scenarios: scenarios.isEmpty ? BenchScenario.allCases : scenarios, iterations: iterations,
            repetitions: repetitions, compareNode: compareNode, processes: processes)
        // Node runs one form where Swift runs three per backend: on the reference machine its
        // run takes about as long as 2.3 backends' Swift runs.
        let progress = progressOptions.reporter(phases: [
            // Node repeats `processes` times as often (BenchRunner.nodeRepetitions).
            .init(name: "bench", weight: compareNode ? 2.3 * Double(runner.scenarios.count * processes) : 0, steps: 1),
            // Each child process measures every (backend, scenario), one unit of weight each.
            .init(name: "bench", weight: Double(runner.backends.count * runner.scenarios.count * processes), steps: runner.progressSteps),
        ])
        defer { progress.finish() }
        progress.beginPhase()
        let nodeFigures = compareNode ? try runner.runNode(progress: progress.step) : [:]
        progress.beginPhase()
        let results = try runner.run(nodeFigures: nodeFigures, progress: progress.step)
        progress.finish()
        if json {
            try printJSON(results)
        } else {
            print(BenchTable.render(results))
        }
    }
}

import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim bench`: Node's Buffer allocation benchmark per backend, beside the C baseline and Node.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Node's allocation scenarios per backend, beside the bare C calls and (optionally) Node itself."
    )


    // The defaults, shown in the help (ArgumentParser shows none for transformed options).
    static let defaultIterations = 10_000
    static let defaultRepetitions = 5
    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        name: .customLong("scenario"), parsing: .unconditionalSingleValue,
        help: "A scenario (\(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.",
        completion: .list(BenchScenario.allCases.map(\.rawValue)), transform: ArgumentValue.benchScenario)
    var scenarios: [BenchScenario] = []

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Buffers per repetition", ArgumentRange.iterations, default: Self.defaultIterations, note: "Benchmarks/node/bench.js uses the same"))",
        transform: ArgumentValue.integer(in: ArgumentRange.iterations))
    var iterations = Self.defaultIterations

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Repetitions; the median is reported", ArgumentRange.repetitions, default: Self.defaultRepetitions))",
        transform: ArgumentValue.integer(in: ArgumentRange.repetitions))
    var repetitions = Self.defaultRepetitions

    @Option(
        parsing: .unconditional,
        help: """
            Measure in this many child processes, one after another, and report the median of their medians with the spread \
            across processes (\(ArgumentRange.text(ArgumentRange.benchProcesses)); default: 1, in this process).
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
        let results = try runner.run(progress: progressOptions.style, write: StandardError.write)
        if json {
            try printJSON(results)
        } else {
            print(BenchTable.render(results))
        }
    }
}

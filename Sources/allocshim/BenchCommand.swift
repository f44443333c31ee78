import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim bench`: the chapter's benchmark per backend, beside the C baseline and Node.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time Node's allocation scenarios per backend, beside the bare C calls and (optionally) Node itself."
    )

    @OptionGroup var backends: BackendOptions

    @Option(name: .customLong("scenario"), help: "A scenario (\(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.")
    var scenarioNames: [String] = []

    @Option(help: "Buffers per repetition (the chapter uses 10000).")
    var iterations = 10_000

    @Option(help: "Repetitions; the median is reported.")
    var repetitions = 5

    @Flag(help: "Also run Benchmarks/node/bench.js with node (when on PATH) in the same run.")
    var compareNode = false

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        try validateEnvironment()
        guard iterations > 0 else { throw fail("--iterations must be at least 1, got \(iterations)") }
        guard repetitions > 0 else { throw fail("--repetitions must be at least 1, got \(repetitions)") }
        let scenarios: [BenchScenario]
        do {
            scenarios = scenarioNames.isEmpty ? BenchScenario.allCases : try scenarioNames.map { name throws(MeasureError) in try BenchScenario(parsing: name) }
        } catch {
            throw fail(error.description)
        }
        let runner = BenchRunner(
            backends: try backends.resolve(), scenarios: scenarios, iterations: iterations, repetitions: repetitions, compareNode: compareNode)
        let results: [BenchResult]
        do { results = try runner.run(progress: progressLine) } catch { throw fail("\(error)") }
        if json {
            try printJSON(results)
        } else {
            print(BenchTable.render(results))
        }
    }
}

import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim output-span`: what the safe output-span initializers cost against the unsafe forms.
struct OutputSpanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output-span",
        abstract: "Time the output-span initializers against allocUnsafe plus a full write, and what unused capacity costs.",
        discussion: """
            Per backend, CPU time per buffer of each pair of forms, interleaved, medians over the repetitions; \
            the last column is measured/baseline with its spread (±half the range). Cases: \
            \(OutputSpanCost.Case.allCases.map { "\($0.rawValue): \($0.comparison.measured) vs \($0.comparison.baseline)." }.joined(separator: " "))
            """)

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        parsing: .unconditional, help: "Repetitions per case; the median is reported (3...1000, default: 15).",
        transform: ArgumentValue.integer(in: 3...1000))
    var repetitions = 15

    @Option(
        parsing: .unconditional,
        help: "Buffers per repetition of the 100-byte cases; larger sizes run proportionally fewer (100...10000000, default: 50000).",
        transform: ArgumentValue.integer(in: 100...10_000_000))
    var scale = 50_000

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let backends = backendOptions.backends
        let rows = try OutputSpanCost.run(backends: backends, scale: scale, repetitions: repetitions, progress: progressOptions.style, write: StandardError.write)
        if json { try printJSON(rows) } else { print(OutputSpanCost.table(rows)) }
    }
}

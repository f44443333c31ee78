import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim report`: the main job — every measurement, into one report folder.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run backends, residue, configuration matrix, bench (with Node when present), fragmentation and threads; write report.md, report.json and SVG plots."
    )


    // The defaults, shown in the help (ArgumentParser shows none for transformed options).
    static let defaultIterations = 10_000
    static let defaultRounds = 100
    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(parsing: .unconditional, help: "Folder to write the report into (created if missing; checked before measuring).")
    var output = "report"

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Buffers per benchmark repetition", ArgumentRange.iterations, default: Self.defaultIterations))",
        transform: ArgumentValue.integer(in: ArgumentRange.iterations))
    var iterations = Self.defaultIterations

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Residue probe rounds per (backend, scenario, size)", ArgumentRange.rounds, default: Self.defaultRounds))",
        transform: ArgumentValue.integer(in: ArgumentRange.rounds))
    var rounds = Self.defaultRounds

    @Option(
        parsing: .unconditional,
        help: """
            Child processes the benchmark runs in, one after another, \(ReportRunner.defaultBenchRepetitions) repetitions each; \
            the report shows the median of their medians and the spread across them \
            (\(ArgumentRange.text(ArgumentRange.benchProcesses)); default: \(ReportRunner.defaultBenchProcesses); 1: in this process).
            """,
        transform: ArgumentValue.integer(in: ArgumentRange.benchProcesses))
    var benchProcesses = ReportRunner.defaultBenchProcesses

    @Flag(help: "Skip the Node comparison even when node is on PATH.")
    var noNode = false

    @Option(
        name: .customLong("from"), parsing: .unconditional,
        help: ArgumentHelp("Write the report from a saved report.json instead of measuring (e.g. after changing the plots).", valueName: "report.json"))
    var savedReport: String?

    func validate() throws {
        try OutputDirectory.check(output, option: "--output")
        if let savedReport { _ = try Self.load(savedReport) }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: output)
        let report: Report
        let files: [String]
        if let savedReport {
            // "Without measuring": only what report.json holds is written again.
            report = try Self.load(savedReport)
            files = try ReportRunner.redraw(report, to: directory)
        } else {
            var runner = ReportRunner(backends: backendOptions.backends)
            runner.benchIterations = iterations
            runner.benchProcesses = benchProcesses
            runner.residueRounds = rounds
            runner.compareNode = !noNode
            let command = (["allocshim"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            (report, files) = try runner.measureAndWrite(to: directory, command: command, progress: progressOptions.style, write: StandardError.write)
        }
        print("Report written to \(directory.path)/: \(files.joined(separator: ", "))")
        if !ReportSummary(report).backends.isEmpty {
            print("Which allocator for what: the summary table at the top of \(directory.appendingPathComponent("report.md").path)")
        }
    }

    /// A saved report.json, or a ValidationError saying why it cannot be used.
    static func load(_ path: String) throws -> Report {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("--from: cannot read '\(EnvironmentVariable.displayed(path))': \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(Report.self, from: data)
        } catch {
            throw ValidationError("--from: '\(EnvironmentVariable.displayed(path))' is not a report.json written by allocshim report (\(error))")
        }
    }
}

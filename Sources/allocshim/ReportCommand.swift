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

    @OptionGroup var backends: BackendOptions

    @Option(help: "Folder to write the report into.")
    var output = "report"

    @Option(help: "Buffers per benchmark repetition.")
    var iterations = 10_000

    @Option(help: "Residue probe rounds per (backend, scenario, size).")
    var rounds = 100

    @Flag(help: "Skip the Node comparison even when node is on PATH.")
    var noNode = false

    func run() throws {
        try validateEnvironment()
        guard iterations > 0, rounds > 0 else { throw fail("--iterations and --rounds must be at least 1") }
        var runner = ReportRunner(backends: try backends.resolve())
        runner.benchIterations = iterations
        runner.residueRounds = rounds
        runner.compareNode = !noNode
        let command = (["allocshim"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let report: Report
        do { report = try runner.run(command: command, write: FileHandleOutput.standardError) } catch { throw fail("\(error)") }
        let directory = URL(fileURLWithPath: output)
        let files = try ReportWriter.write(report, to: directory) + ServiceAllocatorSection.append(to: directory) { FileHandleOutput.standardError("report: \($0)\n") }
        print("Report written to \(directory.path)/: \(files.joined(separator: ", "))")
        if !report.nodeOverAllocShimGeometricMean.isEmpty {
            print("Node / AllocShim geometric mean: " + report.nodeOverAllocShimGeometricMean.sorted { $0.key < $1.key }.map { "\($0.key) \(($0.value * 100).rounded() / 100)×" }.joined(separator: ", "))
        }
    }
}

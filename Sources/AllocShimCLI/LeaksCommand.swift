import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim leaks`: what the leak defences cost and catch (docs/leaks.md, docs/residue.md).
struct LeaksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaks",
        abstract: "Measure the leak defences: detector false positives, per-buffer cost of each defence, hardened allocators, heap history.",
        discussion: "Without a selection flag, everything is measured. The hardened and heap-history parts run the C probe (make tools) under LD_PRELOAD."
    )

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        parsing: .unconditional,
        help: "Buffers of random real data scanned for the false-positive rate (\(ArgumentRange.text(ArgumentRange.falsePositiveBuffers))).",
        transform: ArgumentValue.integer(in: ArgumentRange.falsePositiveBuffers))
    var falsePositiveBuffers = 4_000_000

    @Option(
        parsing: .unconditional,
        help: "Rounds per residue cell of the hardened and heap-history runs (\(ArgumentRange.text(ArgumentRange.rounds))).",
        transform: ArgumentValue.integer(in: ArgumentRange.rounds))
    var rounds = 50

    @Flag(help: "Only the detector's false-positive rate.") var falsePositives = false
    @Flag(help: "Only the per-buffer cost of each in-process defence.") var costs = false
    @Flag(help: "Only the hardened/debug allocator rows.") var hardened = false
    @Flag(help: "Only the residue spread over heap states.") var heapHistory = false
    @Flag(help: "Print JSON instead of tables.") var json = false
    @Option(help: "Also write the section into this report folder (appended to report.md, plus leaks.json and leaks-residue-vs-cost.svg).")
    var output: String?

    func run() throws {
        let all = !(falsePositives || costs || hardened || heapHistory)
        let selection = (falsePositives: all || falsePositives, costs: all || costs, hardened: all || hardened, heapHistory: all || heapHistory)
        let section = try LeaksSection.measure(
            falsePositiveBuffers: selection.falsePositives ? falsePositiveBuffers : nil, costs: selection.costs, hardened: selection.hardened,
            heapHistory: selection.heapHistory, rounds: rounds, progress: progressOptions.style, write: StandardError.write)
        if json { try printJSON(section) } else { print(section.markdown()) }
        if let output {
            let directory = URL(fileURLWithPath: output)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            _ = try section.append(toReportIn: directory)
        }
    }
}

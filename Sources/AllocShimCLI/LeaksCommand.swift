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

    static let defaultFalsePositiveBuffers = 4_000_000
    static let defaultRounds = 50

    @Option(
        parsing: .unconditional,
        help:
            "\(ArgumentRange.help("Buffers of random data scanned for the detector's false-positive rate", ArgumentRange.falsePositiveBuffers, default: Self.defaultFalsePositiveBuffers))",
        transform: ArgumentValue.integer(in: ArgumentRange.falsePositiveBuffers))
    var falsePositiveBuffers = Self.defaultFalsePositiveBuffers

    @Option(
        parsing: .unconditional,
        help:
            "\(ArgumentRange.help("Rounds per residue cell of the hardened and heap-history runs", ArgumentRange.rounds, default: Self.defaultRounds))",
        transform: ArgumentValue.integer(in: ArgumentRange.rounds))
    var rounds = Self.defaultRounds

    @Flag(help: "Only the detector's false-positive rate.") var falsePositives = false
    @Flag(help: "Only the per-buffer cost of each in-process defence.") var costs = false
    @Flag(help: "Only the hardened/debug allocator rows.") var hardened = false
    @Flag(help: "Only the residue spread over heap states.") var heapHistory = false
    @Flag(help: "Print JSON instead of tables.") var json = false
    @Option(
        parsing: .unconditional,
        help:
            "Also write the section into this report folder (appended to report.md, plus leaks.json and leaks-residue-vs-cost.svg; checked before measuring)."
    )
    var output: String?

    func validate() throws {
        // A minute of measuring must not end in "cannot write".
        if let output { try OutputDirectory.check(output, option: "--output") }
    }

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

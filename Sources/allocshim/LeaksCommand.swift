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

    @Option(help: "Buffers of random real data scanned for the false-positive rate.")
    var falsePositiveBuffers = 4_000_000

    @Option(help: "Rounds per residue cell of the hardened and heap-history runs.")
    var rounds = 50

    @Flag(help: "Only the detector's false-positive rate.") var falsePositives = false
    @Flag(help: "Only the per-buffer cost of each in-process defence.") var costs = false
    @Flag(help: "Only the hardened/debug allocator rows.") var hardened = false
    @Flag(help: "Only the residue spread over heap states.") var heapHistory = false
    @Flag(help: "Print JSON instead of tables.") var json = false
    @Option(help: "Also write the section into this report folder (appended to report.md, plus leaks.json and leaks-residue-vs-cost.svg).")
    var output: String?

    func run() throws {
        try validateEnvironment()
        guard rounds > 0, falsePositiveBuffers > 0 else { throw fail("--rounds and --false-positive-buffers must be at least 1") }
        let all = !(falsePositives || costs || hardened || heapHistory)
        do {
            let section = try LeaksSection.measure(
                falsePositiveBuffers: all || falsePositives ? falsePositiveBuffers : nil, costs: all || costs, hardened: all || hardened,
                heapHistory: all || heapHistory, rounds: rounds, progress: progressLine)
            if json { try printJSON(section) } else { print(section.markdown()) }
            if let output {
                let directory = URL(fileURLWithPath: output)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try section.append(toReportIn: directory)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail("\(error)")
        }
    }
}

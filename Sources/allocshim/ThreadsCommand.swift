import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim threads`: small-size allocate/free throughput at 1 and N threads.
struct ThreadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threads", abstract: "Measure 64-byte allocate/free throughput per backend at 1 and N threads.")

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        parsing: .unconditional,
        help: "Threads for the multi-threaded run (\(ArgumentRange.text(ThreadScaling.threadRange)); default: the number of cores).",
        transform: ArgumentValue.integer(in: ThreadScaling.threadRange))
    var threads = min(ProcessInfo.processInfo.activeProcessorCount, ThreadScaling.threadRange.upperBound)

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let backends = backendOptions.backends
        let progress = progressOptions.reporter(name: "threads", steps: ThreadScaling.progressSteps(backends: backends.count))
        defer { progress.finish() }
        let results = try ThreadScaling.run(backends: backends, threads: threads, progress: progress.step)
        progress.finish()
        if json { try printJSON(results) } else { print(ThreadScaling.render(results)) }
    }
}

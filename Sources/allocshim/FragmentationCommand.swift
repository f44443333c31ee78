import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim fragmentation`: RSS growth per backend under a churn workload.
struct FragmentationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fragmentation",
        abstract: "Run a churn workload per backend, each in its own process, and report RSS at peak, after free and after purge."
    )

    @OptionGroup var backends: BackendOptions

    @Flag(help: .hidden)
    var inProcess = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try validateEnvironment()
        if inProcess {
            // The child: one backend, selected by ALLOCSHIM_BACKEND, owns this process.
            let result: FragmentationResult
            do { result = try Fragmentation.runInProcess() } catch { throw fail("\(error)") }
            try printJSON(result)
            return
        }
        let results: [FragmentationResult]
        do { results = try Fragmentation.runInChildren(backends: try backends.resolve(), progress: progressLine) } catch { throw fail("\(error)") }
        if json { try printJSON(results) } else { print(Fragmentation.render(results)) }
    }
}

/// `allocshim threads`: small-size allocate/free throughput at 1 and N threads.
struct ThreadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threads", abstract: "Measure 64-byte allocate/free throughput per backend at 1 and N threads.")

    @OptionGroup var backends: BackendOptions

    @Option(help: "Threads for the multi-threaded run (default: the number of cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try validateEnvironment()
        guard threads >= 1 else { throw fail("--threads must be at least 1, got \(threads)") }
        let results = try ThreadScaling.run(backends: try backends.resolve(), threads: threads, progress: progressLine)
        if json { try printJSON(results) } else { print(ThreadScaling.render(results)) }
    }
}

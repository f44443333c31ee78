import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim fragmentation`: RSS growth per backend under a churn workload.
struct FragmentationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fragmentation",
        abstract: "Run a churn workload per backend, each in its own process, and report RSS at peak, after free and after purge."
    )

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Flag(help: .hidden)
    var inProcess = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        if inProcess {
            // The child: one backend, selected by ALLOCSHIM_BACKEND, owns this process.
            try printJSON(try Fragmentation.runInProcess())
            return
        }
        let results = try Fragmentation.runInChildren(backends: backendOptions.backends, progress: progressOptions.style, write: StandardError.write)
        if json { try printJSON(results) } else { print(Fragmentation.render(results)) }
    }
}

import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim pool-size`: 8 KiB against 64 KiB slabs, speed and what long-lived slices retain.
struct PoolSizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-size",
        abstract: "Compare 8 KiB and 64 KiB pool slabs: speed at 100 B and 4 KiB, and memory retained when 1 in 100 buffers lives on and under a working set.",
        discussion: """
            Per backend and slab size, in one process: CPU time per pooled-form buffer (4 KiB is pooled only by slabs of more \
            than 8 KiB, as in Node), then a workload of 64-1024-byte buffers of which 1 in 100 is kept (the last 500), and the \
            pool's bytes held by slabs against bytes referenced; then a working set of 1000 live 8-1000-byte buffers, each \
            step replacing a random one (the thread sweep's larson on one thread), and the same two figures. \
            ALLOCSHIM_POOL_SIZE sets the size buffers use.
            """)

    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        parsing: .unconditional, help: "Repetitions of the speed runs; the median is reported (3...1000, default: 11).",
        transform: ArgumentValue.integer(in: 3...1000))
    var repetitions = 11

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let backends = backendOptions.backends
        let rows = try PoolSizeComparison.run(backends: backends, repetitions: repetitions, progress: progressOptions.style, write: StandardError.write)
        if json { try printJSON(rows) } else { print(PoolSizeComparison.table(rows)) }
    }
}

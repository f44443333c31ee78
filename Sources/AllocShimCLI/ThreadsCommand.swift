import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim threads`: how throughput grows from 1 to N threads, for buffers and raw
/// allocator calls, under same-thread and cross-thread workloads; and the earlier 64-byte
/// allocate/free figures at 1 and N threads.
struct ThreadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threads",
        abstract:
            "Sweep 1 to N threads per backend: buffers, raw allocator calls and the bare C calls under pairs, larson, producer-consumer.",
        discussion: """
            Workloads: \(ThreadWorkload.allCases.map { "\($0.rawValue): \($0.summary)." }.joined(separator: " "))
            Forms: \(BlockForm.available.map { "\($0.rawValue): \($0.call)." }.joined(separator: " ")) \
            Each row's "of C" is its scaling over the c form's on the same backend, workload and thread count.
            Then the raw allocator's 64-byte allocate/free pairs at 1 and N threads, with --operations pairs per thread.
            """)


    // The defaults, shown in the help (ArgumentParser shows none for transformed options).
    static let defaultRepetitions = 5
    static let defaultOperations = 300_000
    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        parsing: .unconditional,
        help: "The largest thread count of the sweep (\(ArgumentRange.text(ThreadSweep.threadRange)); default: the number of cores).",
        transform: ArgumentValue.integer(in: ThreadSweep.threadRange))
    var threads = ThreadSweep.defaultMaximumThreads

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Runs per point; the median is reported", ThreadSweep.repetitionRange, default: Self.defaultRepetitions))",
        transform: ArgumentValue.integer(in: ThreadSweep.repetitionRange))
    var repetitions = Self.defaultRepetitions

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Operations per thread in each run", ThreadSweep.operationRange, default: Self.defaultOperations))",
        transform: ArgumentValue.integer(in: ThreadSweep.operationRange))
    var operations = Self.defaultOperations

    @Option(
        name: .customLong("workload"), parsing: .unconditionalSingleValue,
        help: "A workload (\(ThreadWorkload.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.",
        completion: .list(ThreadWorkload.allCases.map(\.rawValue)), transform: ArgumentValue.threadWorkload)
    var workloads: [ThreadWorkload] = []

    @Option(
        name: .customLong("form"), parsing: .unconditionalSingleValue,
        help: "A block form (\(BlockForm.available.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.",
        completion: .list(BlockForm.available.map(\.rawValue)), transform: ArgumentValue.blockForm)
    var forms: [BlockForm] = []

    @Flag(help: "Print JSON: {\"sweep\": the sweep, \"scaling\": the 64-byte figures at 1 and N threads}.")
    var json = false

    /// The sweep asked for; each workload and form once, in the order given.
    var sweep: ThreadSweep.Configuration {
        ThreadSweep.Configuration(
            maximumThreads: threads, repetitions: repetitions, operationsPerThread: operations,
            workloads: workloads.isEmpty ? ThreadWorkload.allCases : unique(workloads),
            forms: forms.isEmpty ? BlockForm.available : unique(forms))
    }

    func validate() throws {
        do { try ThreadSweep.validate(sweep, backends: backendOptions.backends) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let (result, scaling) = try ThreadSweep.runWithScaling(
            backends: backendOptions.backends, configuration: sweep, progress: progressOptions.style, write: StandardError.write)
        if json {
            try printJSON(Output(sweep: result, scaling: scaling))
        } else {
            print(ThreadSweepTable.render(result) + "\n\n" + ThreadScaling.render(scaling))
        }
    }

    /// What `--json` prints.
    struct Output: Encodable {
        var sweep: ThreadSweepResult
        /// The array `allocshim threads --json` printed before the sweep existed.
        var scaling: [ThreadScalingResult]
    }

    private func unique<Value: Equatable>(_ values: [Value]) -> [Value] {
        var unique: [Value] = []
        for value in values where !unique.contains(value) { unique.append(value) }
        return unique
    }
}

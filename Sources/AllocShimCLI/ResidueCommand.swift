import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim residue`: what each backend leaves in reused memory.
struct ResidueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "residue",
        abstract: "Measure how much of a released secret each backend hands to the next allocation.",
        discussion: "Scenarios: \(ResidueScenario.allCases.map(\.rawValue).joined(separator: ", ")). Default sizes: \(defaultResidueSizes.map(String.init).joined(separator: ", ")) bytes."
    )


    // The defaults, shown in the help (ArgumentParser shows none for transformed options).
    static let defaultRounds = 100
    @OptionGroup var environment: EnvironmentCheck
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var progressOptions: ProgressOptions

    @Option(
        name: .customLong("scenario"), parsing: .unconditionalSingleValue, help: "A scenario (\(ResidueScenario.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.",
        completion: .list(ResidueScenario.allCases.map(\.rawValue)), transform: ArgumentValue.residueScenario)
    var scenarios: [ResidueScenario] = []

    @Option(
        name: .customLong("size"), parsing: .unconditionalSingleValue,
        help: "A size in bytes (\(ArgumentRange.text(ArgumentRange.residueSize))); repeatable. Adds to the default sizes.",
        transform: ArgumentValue.integer(in: ArgumentRange.residueSize, unit: "bytes"))
    var sizes: [Int] = []

    @Flag(inversion: .prefixedNo, help: "Include the default sizes (with --no-default-sizes only --size values are measured).")
    var defaultSizes = true

    @Option(
        parsing: .unconditional,
        help: "\(ArgumentRange.help("Rounds per (backend, scenario, size)", ArgumentRange.rounds, default: Self.defaultRounds, note: "blocks of 1 MiB and more use a quarter"))",
        transform: ArgumentValue.integer(in: ArgumentRange.rounds))
    var rounds = Self.defaultRounds

    @Flag(help: "Run the probe in child processes under the documented allocator configurations and compare them.")
    var configMatrix = false

    @Flag(help: "Print a JSON array instead of a table. Without --backend, the C probes of Tools/residue-c (glibc and musl, built by `make tools`) add their columns.")
    var json = false

    func validate() throws {
        if !defaultSizes && sizes.isEmpty { throw ValidationError("--no-default-sizes needs at least one --size") }
    }

    func run() throws {
        let backends = backendOptions.backends
        if configMatrix {
            let rows = try ConfigurationMatrix.run(backends: backends, rounds: rounds, progress: progressOptions.style, write: StandardError.write)
            if json { try printJSON(rows) } else { print(ConfigurationMatrix.render(rows)) }
            return
        }
        let base = defaultSizes ? defaultResidueSizes : []
        var allSizes = base
        for size in sizes where !allSizes.contains(size) { allSizes.append(size) }
        let runner = ResidueRunner(backends: backends, scenarios: scenarios.isEmpty ? ResidueScenario.allCases : scenarios, sizes: allSizes, rounds: rounds)
        // The C probes run only when no backend is named: they cover every allocator at once.
        let results = try runner.run(withCProbes: backendOptions.names.isEmpty, progress: progressOptions.style, write: StandardError.write)
        if json { try printJSON(results) } else { print(ResidueTable.render(results)) }
    }
}

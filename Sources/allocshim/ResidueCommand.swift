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

    @OptionGroup var backends: BackendOptions

    @Option(name: .customLong("scenario"), help: "A scenario; repeatable. Default: all.")
    var scenarioNames: [String] = []

    @Option(name: .customLong("size"), help: "A size in bytes (1 to 268435456); repeatable. Adds to the default sizes.")
    var sizeTexts: [String] = []

    @Flag(inversion: .prefixedNo, help: "Include the default sizes (with --no-default-sizes only --size values are measured).")
    var defaultSizes = true

    @Option(help: "Rounds per (backend, scenario, size); blocks of 1 MiB and more use a quarter.")
    var rounds = 100

    @Flag(help: "Run the probe in child processes under the documented allocator configurations and compare them.")
    var configMatrix = false

    @Flag(help: "Print a JSON array instead of a table. Without --backend, the C probes of Tools/residue-c (glibc and musl, built by `make tools`) add their columns.")
    var json = false

    func run() throws {
        try validateEnvironment()
        guard rounds > 0 else { throw fail("--rounds must be at least 1, got \(rounds)") }
        let scenarios: [ResidueScenario]
        let extraSizes: [Int]
        do {
            scenarios = scenarioNames.isEmpty ? ResidueScenario.allCases : try scenarioNames.map { name throws(MeasureError) in try ResidueScenario(parsing: name) }
            extraSizes = try sizeTexts.map { text throws(MeasureError) in try ResidueRunner.parseSize(text) }
        } catch {
            throw fail(error.description)
        }
        let base = defaultSizes ? defaultResidueSizes : []
        let sizes = base + extraSizes.filter { !base.contains($0) }
        guard !sizes.isEmpty else { throw fail("--no-default-sizes needs at least one --size") }
        if configMatrix {
            let rows: [ConfigurationResult]
            do { rows = try ConfigurationMatrix.run(backends: try backends.resolve(), rounds: rounds, progress: progressLine) } catch { throw fail("\(error)") }
            if json { try printJSON(rows) } else { print(ConfigurationMatrix.render(rows)) }
            return
        }
        let runner = ResidueRunner(backends: try backends.resolve(), scenarios: scenarios, sizes: sizes, rounds: rounds)
        var results: [ResidueResult]
        do {
            results = try runner.run(progress: progressLine)
            if backends.names.isEmpty { results += try runner.runCProbes(progress: progressLine) }
        } catch {
            throw fail("\(error)")
        }
        if json { try printJSON(results) } else { print(ResidueTable.render(results)) }
    }
}

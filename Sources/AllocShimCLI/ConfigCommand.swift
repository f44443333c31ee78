import AllocShim
import AllocShimMeasure
import ArgumentParser

/// `allocshim config [--json]`: the effective configuration, checked by use
/// (``EffectiveConfiguration``).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective AllocShim configuration (backend, zero-fill, pool size)."
    )

    @OptionGroup var environment: EnvironmentCheck

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let report = try EffectiveConfiguration.probe()
        if json {
            try printJSON(report)
        } else {
            print("backend: \(report.backend)\nzero-fill: \(report.zeroFill)\npool size: \(report.poolSize) bytes")
        }
    }
}

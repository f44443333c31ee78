import AllocShim
import Foundation

/// Runs the probe over backends × scenarios × sizes.
package struct ResidueRunner {
    /// Backends to probe, in this order.
    package var backends: [BackendName]
    /// Scenarios to probe for each backend.
    package var scenarios: [ResidueScenario]
    /// Sizes to probe for each scenario, in bytes.
    package var sizes: [Int]
    /// Rounds per cell; sizes of 1 MiB and more run a quarter of them.
    package var rounds: Int

    /// Largest size accepted: 256 MiB.
    package static let maximumSize = 256 << 20

    /// A runner over every (backend, scenario, size); nothing runs until `run`.
    package init(backends: [BackendName], scenarios: [ResidueScenario], sizes: [Int], rounds: Int) {
        self.backends = backends
        self.scenarios = scenarios
        self.sizes = sizes
        self.rounds = rounds
    }

    /// Parses a size argument: a positive integer of bytes up to ``maximumSize``.
    package static func parseSize(_ text: String) throws(MeasureError) -> Int {
        guard let size = Int(text), size >= 1, size <= maximumSize else {
            throw .invalidArgument("invalid size '\(text)': sizes are whole numbers of bytes from 1 to \(maximumSize)")
        }
        return size
    }

    /// The C-only probes (Tools/residue-c), run as child processes when built: musl's
    /// allocator gets its own column, and glibc's C result cross-checks `system`.
    package static func cProbePaths() -> [String] {
        let root = NodeBench.packageRoot()
        return ["residue-probe-glibc", "residue-probe-musl"].map { "\(root)/.build-tools/\($0)" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the C probes with the same scenarios (those they implement) and sizes.
    package func runCProbes(progress: (String) -> Void = { _ in }) throws -> [ResidueResult] {
        let implemented: [ResidueScenario] = [.sameSize, .differentSize, .spray, .crossThread, .allocZeroed]
        let wanted = scenarios.filter(implemented.contains)
        guard !wanted.isEmpty else { return [] }
        var results: [ResidueResult] = []
        for path in Self.cProbePaths() {
            progress("C probe \(URL(fileURLWithPath: path).lastPathComponent)")
            var arguments = ["--rounds", String(rounds)]
            for scenario in wanted { arguments += ["--scenario", scenario.rawValue] }
            for size in sizes { arguments += ["--size", String(size)] }
            let output = try ChildProcess.run(path, arguments)
            guard output.status == 0 else { throw MeasureError.failed("\(path) failed: \(output.stderr)") }
            results += try JSONDecoder().decode([ResidueResult].self, from: Data(output.stdout.utf8))
        }
        return results
    }

    /// Steps ``run(progress:)`` reports: one per (backend, scenario, size).
    package var progressSteps: Int { backends.count * scenarios.count * sizes.count }

    /// Steps ``runCProbes(progress:)`` reports: one per C probe found.
    package var cProbeProgressSteps: Int { Self.cProbePaths().count }

    /// Probes every (backend, scenario, size) in this process, telling `progress` before each.
    /// Throws `BackendSelectionError` for an unavailable backend and whatever `ResidueProbe.run`
    /// throws.
    package func run(progress: (String) -> Void = { _ in }) throws -> [ResidueResult] {
        var results: [ResidueResult] = []
        for backend in backends {
            let probe = ResidueProbe(allocator: try BackendRegistry.allocator(backend), rounds: rounds)
            for scenario in scenarios {
                for size in sizes {
                    progress("\(backend.rawValue) \(scenario.rawValue) \(ChartAxis.byteSize(size))")
                    // Large blocks are slow to plant and compare; fewer rounds keep the run short
                    // without changing what is measured.
                    let probeForSize = size >= 1 << 20 ? ResidueProbe(allocator: probe.allocator, rounds: Swift.max(1, rounds / 4)) : probe
                    results.append(try probeForSize.run(scenario, size: size))
                }
            }
        }
        return results
    }
}

/// The readable table: one block per scenario, sizes as rows, backends as columns.
package enum ResidueTable {
    /// One block per scenario with sizes as rows and backends as columns: mean % (min–max), or
    /// "n/a" where the scenario does not apply.
    package static func render(_ results: [ResidueResult]) -> String {
        var backends: [String] = []
        var scenarios: [String] = []
        var sizes: [Int] = []
        for result in results {
            if !backends.contains(result.backend) { backends.append(result.backend) }
            if !scenarios.contains(result.scenario) { scenarios.append(result.scenario) }
            if !sizes.contains(result.size) { sizes.append(result.size) }
        }
        var lines: [String] = ["Secret bytes recovered at their original offsets, mean % over rounds (min–max); n/a: not applicable"]
        for scenario in scenarios {
            lines.append("")
            lines.append("[\(scenario)]")
            var table = Table(columns: [Table.Column("size", minimumWidth: 9)] + backends.map { Table.Column($0, minimumWidth: 21) })
            for size in sizes {
                table.append(
                    [String(size)]
                        + backends.map { backend in
                            results.first { $0.backend == backend && $0.scenario == scenario && $0.size == size }.map(format) ?? ""
                        })
            }
            lines.append(table.text)
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ result: ResidueResult) -> String {
        guard result.applicable else { return "n/a" }
        return "\(String(format1: result.recoveredPercent)) (\(String(format1: result.minPercent))–\(String(format1: result.maxPercent)))"
    }
}

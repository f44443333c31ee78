import Foundation

/// Writes a report folder: report.md, report.json and SVG plots.
public enum ReportWriter {
    public static let residuePlotScenarios: [ResidueScenario] = [.sameSize, .spray, .crossThread, .differentSize]

    /// Writes everything into `directory` (created if needed); returns the files written.
    @discardableResult
    public static func write(_ report: Report, to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [String: String] = [:]
        let backends = report.backends.filter(\.available).map(\.name)
        for backend in backends {
            files["bench-\(backend).svg"] = benchChart(report, backend: backend)
        }
        for scenario in residuePlotScenarios {
            files["residue-\(scenario.rawValue).svg"] = residueChart(report, scenario: scenario, backends: backends)
        }
        files["rss.svg"] = rssChart(report)
        files["report.md"] = markdown(report, backends: backends)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        files["report.json"] = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return files.keys.sorted()
    }

    static func benchChart(_ report: Report, backend: String) -> String {
        let rows = report.bench.filter { $0.backend == backend }
        var series = [
            SVGChart.Series(name: "SharedBytes", values: rows.map { $0.nsPerOp }),
            SVGChart.Series(name: "OwnedBytes", values: rows.map { $0.ownedNsPerOp }),
            SVGChart.Series(name: "C baseline", values: rows.map { $0.cNsPerOp }),
        ]
        if rows.contains(where: { $0.nodeNsPerOp != nil }) {
            series.append(SVGChart.Series(name: "Node \(report.machine.node ?? "")", values: rows.map { $0.nodeNsPerOp }))
        }
        return SVGChart.groupedBars(
            title: "ns per buffer — backend \(backend) (lower is better)", yLabel: "ns per operation (log scale)",
            categories: rows.map(\.scenario), series: series, logScale: true)
    }

    static func residueChart(_ report: Report, scenario: ResidueScenario, backends: [String]) -> String {
        let sizes = Array(Set(report.residue.filter { $0.scenario == scenario.rawValue }.map(\.size))).sorted()
        let series = backends.map { backend in
            SVGChart.Series(
                name: backend,
                values: sizes.map { size in
                    report.residue.first { $0.backend == backend && $0.scenario == scenario.rawValue && $0.size == size && $0.applicable }?
                        .recoveredPercent
                })
        }
        return SVGChart.percentLines(title: "Secret bytes recovered — \(scenario.rawValue)", xValues: sizes, series: series)
    }

    static func rssChart(_ report: Report) -> String {
        let rows = report.fragmentation
        return SVGChart.groupedBars(
            title: "RSS under the churn workload (MiB)", yLabel: "MiB", categories: rows.map(\.backend),
            series: [
                .init(name: "peak", values: rows.map { $0.peakRssMiB }),
                .init(name: "after free", values: rows.map { $0.afterFreeRssMiB }),
                .init(name: "after purge", values: rows.map { $0.afterPurgeRssMiB }),
                .init(name: "after arena destroy", values: rows.map { $0.afterDestroyRssMiB }),
            ], logScale: false)
    }

    static func markdown(_ report: Report, backends: [String]) -> String {
        let machine = report.machine
        var text = "# AllocShim report\n\n"
        text += "- Date: \(machine.date)\n- Machine: \(machine.operatingSystem), kernel \(machine.kernel), \(machine.cores) cores, \(String(format1: machine.memoryGiB)) GiB\n"
        text += "- Swift: \(machine.swift)\n- Node: \(machine.node ?? "not found")\n"
        text += "- Allocators: " + machine.allocatorVersions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ") + "\n"
        text += "- Command: `\(report.command)`\n\n"
        if !report.nodeOverAllocShimGeometricMean.isEmpty {
            text += "**Node / AllocShim, geometric mean over the 11 scenarios (fastest Swift form; > 1 means AllocShim is faster):** "
            text += backends.compactMap { backend in report.nodeOverAllocShimGeometricMean[backend].map { "\(backend) \(String(format2d: $0))×" } }
                .joined(separator: ", ") + "\n\n"
        }
        text += "## Backends\n\n| backend | available | version / reason |\n|---|---|---|\n"
        for backend in report.backends {
            text += "| \(backend.name) | \(backend.available ? "yes" : "no") | \(backend.available ? backend.version ?? "" : backend.reason ?? "") |\n"
        }
        text += "\n## Speed: ns per buffer (median of \(report.bench.first?.repetitions ?? 0) × \(report.bench.first?.iterations ?? 0))\n\n"
        text += "`fastest/C` is the Swift layer's cost over the bare C calls; `Node/fastest` > 1 means AllocShim is faster than Node.\n\n"
        for backend in backends {
            text += "### \(backend)\n\n![bench \(backend)](bench-\(backend).svg)\n\n"
            text += "| scenario | SharedBytes | OwnedBytes | C | fastest/C | Node | Node/fastest |\n|---|---:|---:|---:|---:|---:|---:|\n"
            for row in report.bench where row.backend == backend {
                let fastest = Swift.min(row.nsPerOp, row.ownedNsPerOp ?? .infinity)
                text += "| \(row.scenario) | \(BenchTable.format(row.nsPerOp)) | \(row.ownedNsPerOp.map(BenchTable.format) ?? "—") | "
                text += "\(BenchTable.format(row.cNsPerOp)) | \(String(format2d: row.fastestOverC)) | \(row.nodeNsPerOp.map(BenchTable.format) ?? "—") | "
                text += "\(row.nodeNsPerOp.map { String(format2d: $0 / fastest) } ?? "—") |\n"
            }
            text += "\n"
        }
        text += "## Residue: secret bytes recovered at their original offsets (mean %, min–max over rounds)\n\n"
        for scenario in residuePlotScenarios { text += "![\(scenario.rawValue)](residue-\(scenario.rawValue).svg)\n" }
        text += "\n```\n\(ResidueTable.render(report.residue))\n```\n\n"
        text += "Lost offsets (where the allocator writes its own metadata into freed blocks), same-size scenario:\n\n| backend | size | lost byte ranges |\n|---|---:|---|\n"
        for row in report.residue where row.scenario == ResidueScenario.sameSize.rawValue && !row.lostOffsets.isEmpty {
            text += "| \(row.backend) | \(row.size) | \(row.lostOffsets) |\n"
        }
        text += "\n## Allocator configurations\n\n```\n\(ConfigurationMatrix.render(report.configurations))\n```\n\n"
        for configuration in report.configurations {
            let environment = configuration.environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            text += "- **\(configuration.configuration)** (\(environment.isEmpty ? "no environment" : "`" + environment + "`")): \(configuration.effect)\(configuration.error.map { " — error: \($0)" } ?? "")\n"
        }
        text += "\n## Memory growth (churn workload, one process per backend)\n\n![rss](rss.svg)\n\n```\n\(Fragmentation.render(report.fragmentation))\n```\n\n"
        text += "## Threads\n\n```\n\(ThreadScaling.render(report.threads))\n```\n"
        return text
    }
}

extension String {
    /// Two decimal places.
    init(format2d value: Double) {
        guard value.isFinite else {
            self = "—"
            return
        }
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100).\(String(format2: abs(hundredths) % 100))"
    }
}

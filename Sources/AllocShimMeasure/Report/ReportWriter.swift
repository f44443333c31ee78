import AllocShim
import Foundation

/// Writes a report folder: report.md, report.json and SVG plots.
package enum ReportWriter {
    /// Writes everything into `directory` (created if needed); returns the files written.
    @discardableResult
    package static func write(_ report: Report, to directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [String: String] = [:]
        let backends = report.backends.filter(\.available).map(\.name)
        for backend in backends where report.bench.contains(where: { $0.backend == backend }) {
            files["bench-\(backend).svg"] = benchChart(report, backend: backend)
        }
        if Set(report.bench.map(\.backend)).count > 1 { files[backendsChartFile] = backendsChart(report, backends: backends) }
        for scenario in residueScenarios(report) {
            files["residue-\(scenario.rawValue).svg"] = residueHeatMap(report, scenario: scenario)
        }
        if !report.fragmentation.isEmpty { files["rss.svg"] = rssChart(report) }
        if let sweep = report.threadSweep { files.merge(ThreadsSection.plots(sweep)) { _, plot in plot } }
        files["report.md"] = markdown(report, backends: backends)
        files["report.json"] = try JSONWriter.text(report)
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return files.keys.sorted()
    }

    /// The residue scenarios present in the report, in ``ResidueScenario`` order.
    static func residueScenarios(_ report: Report) -> [ResidueScenario] {
        ResidueScenario.allCases.filter { scenario in report.residue.contains { $0.scenario == scenario.rawValue } }
    }

    /// What a residue scenario does, in a line.
    static func summary(_ scenario: ResidueScenario) -> String {
        switch scenario {
        case .sameSize: return "secret freed, then one uninitialized allocation of the same size"
        case .differentSize: return "secret freed, then one uninitialized allocation of 2 × size + 64 bytes"
        case .spray: return "secret freed, then many uninitialized allocations of the same size (best one counts)"
        case .crossThread: return "secret written and freed on one thread, the next allocation made on another"
        case .allocZeroed: return "secret freed, then one zeroed allocation of the same size"
        case .unsafePooled: return "pooled uninitialized buffers (Buffer.allocUnsafe): a released secret, then the pool turned over"
        case .secure: return "secret held in SecureBytes (wiped on release), then one allocation of the same size"
        case .arenaIsolated: return "secret in one tenant's jemalloc arena, the allocation in another tenant's"
        }
    }

    /// `text` with its first letter capitalised.
    static func sentence(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    // MARK: - Charts

    static func benchChart(_ report: Report, backend: String) -> String {
        let rows = report.bench.filter { $0.backend == backend }
        var series = [
            SVGChart.Series(name: "SharedBytes", values: rows.map { $0.nsPerOp }),
            SVGChart.Series(name: "OwnedBytes", values: rows.map { $0.ownedNsPerOp }),
            SVGChart.Series(name: "C calls alone", values: rows.map { $0.cNsPerOp }),
        ]
        if rows.contains(where: { $0.nodeNsPerOp != nil }) {
            series.append(SVGChart.Series(name: "Node \(report.machine.node ?? "")", values: rows.map { $0.nodeNsPerOp }))
        }
        let axis = ChartAxis(
            title: "time per buffer", unit: .nanoseconds, logarithmic: true, values: series.flatMap { $0.values.compactMap { $0 } })
        let first = rows.first
        return SVGChart.groupedBars(
            title: "Time per buffer — backend \(backend)",
            subtitle:
                "Median of \(first?.repetitions ?? 0) runs of \(first?.iterations ?? 0) buffers; lower is better. OwnedBytes has no from-* form.",
            xTitle: "scenario (Node Buffer call and buffer size)", categories: rows.map(\.scenario), series: series, axis: axis)
    }

    /// The file of the plot that compares the backends in every scenario.
    static let backendsChartFile = "bench-backends.svg"

    /// Every scenario, one bar per backend (its fastest Swift form, as in the summary) with a
    /// whisker over the range its spread spans, and Node where it ran.
    static func backendsChart(_ report: Report, backends: [String]) -> String {
        let scenarios = BenchScenario.allCases.filter { scenario in report.bench.contains { $0.scenario == scenario.rawValue } }
        var series = backends.filter { backend in report.bench.contains { $0.backend == backend } }.map { backend in
            let figures = scenarios.map { scenario in
                report.bench.first { $0.backend == backend && $0.scenario == scenario.rawValue }.map(ReportSummary.fastestForm)
            }
            return SVGChart.Series(
                name: backend, values: figures.map { $0?.value },
                ranges: figures.map { figure in
                    figure.flatMap { figure in
                        figure.spread.map { figure.value * Swift.max(1 - $0 / 2, 0.01)...figure.value * (1 + $0 / 2) }
                    }
                })
        }
        if report.bench.contains(where: { $0.nodeNsPerOp != nil }) {
            series.append(
                SVGChart.Series(
                    name: "Node \(report.machine.node ?? "")",
                    values: scenarios.map { scenario in
                        report.bench.first { $0.scenario == scenario.rawValue && $0.nodeNsPerOp != nil }?.nodeNsPerOp
                    }))
        }
        let values = series.flatMap { $0.values.compactMap { $0 } } + series.flatMap { ($0.ranges ?? []).compactMap { $0?.upperBound } }
        let axis = ChartAxis(title: "time per buffer", unit: .nanoseconds, logarithmic: true, values: values)
        return SVGChart.groupedBars(
            title: "Time per buffer — every backend, per scenario",
            subtitle:
                "Each backend's fastest Swift form (OwnedBytes or SharedBytes), median; whiskers: ± half the spread. Lower is better.",
            xTitle: "scenario (Node Buffer call and buffer size)", categories: scenarios.map(\.rawValue), series: series, axis: axis)
    }

    static func residueHeatMap(_ report: Report, scenario: ResidueScenario) -> String {
        let results = report.residue.filter { $0.scenario == scenario.rawValue }
        var backends: [String] = []
        for result in results where !backends.contains(result.backend) { backends.append(result.backend) }
        let sizes = Array(Set(results.map(\.size))).sorted()
        let cells = backends.map { backend in
            sizes.map { size -> SVGHeatMap.Cell in
                guard let result = results.first(where: { $0.backend == backend && $0.size == size }) else { return .missing }
                guard result.applicable else { return .notApplicable }
                return .value(mean: result.recoveredPercent, min: result.minPercent, max: result.maxPercent)
            }
        }
        let rounds = Set(results.filter(\.applicable).map(\.rounds)).sorted()
        let roundsText = rounds.count <= 1 ? "\(rounds.first ?? 0) rounds" : "\(rounds[0])–\(rounds[rounds.count - 1]) rounds"
        return SVGHeatMap.render(
            title: "Secret bytes recovered — \(scenario.rawValue)",
            subtitle: "\(sentence(summary(scenario))). Mean over \(roundsText); small print: min–max.",
            rowTitle: "allocator", columnTitle: "block size", legendTitle: "secret bytes recovered", rows: backends,
            columns: sizes.map(ChartAxis.byteSize), cells: cells)
    }

    static func rssChart(_ report: Report) -> String {
        let rows = report.fragmentation
        var series: [SVGChart.Series] = [
            .init(name: "peak", values: rows.map { $0.peakRssMiB }),
            .init(name: "after free", values: rows.map { $0.afterFreeRssMiB }),
            .init(name: "after purge", values: rows.map { $0.afterPurgeRssMiB }),
        ]
        if rows.contains(where: { $0.afterDestroyRssMiB != nil }) {
            series.append(.init(name: "after arena destroy", values: rows.map { $0.afterDestroyRssMiB }))
        }
        let baseline = SVGChart.Marker(name: "before the workload (baseline)", values: rows.map { $0.baselineRssMiB })
        let axis = ChartAxis(
            title: "resident set size (MiB)", unit: .mebibytes, logarithmic: false,
            values: series.flatMap { $0.values.compactMap { $0 } } + rows.map(\.baselineRssMiB))
        return SVGChart.groupedBars(
            title: "Memory under the churn workload",
            subtitle: "RSS of one child process per backend. Dashed: RSS before the workload; memory above it is still held.",
            xTitle: "backend", categories: rows.map(\.backend), series: series, axis: axis, marker: baseline, valueLabels: true)
    }

    // MARK: - report.md

    static func markdown(_ report: Report, backends: [String]) -> String {
        let machine = report.machine
        var text = "# AllocShim report\n\n"
        text +=
            "- Date: \(machine.date)\n- Machine: \(machine.operatingSystem), kernel \(machine.kernel), \(machine.cores) cores, \(String(format1: machine.memoryGiB)) GiB\n"
        text += "- AllocShim: \(report.version ?? "unknown")\n"
        text += "- Swift: \(machine.swift)\n- Node: \(machine.node ?? "not found")\n"
        text +=
            "- Allocators: " + machine.allocatorVersions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; ")
            + "\n"
        text += "- Command: `\(report.command)`\n\n"
        text += ReportSummary(report).markdown
        var backendTable = Table([("backend", .left), ("available", .left), ("version / reason", .left)])
        for backend in report.backends {
            backendTable.append([
                backend.name, backend.available ? "yes" : "no", backend.available ? backend.version ?? "" : backend.reason ?? "",
            ])
        }
        text += "## Backends\n\n" + backendTable.markdown + "\n"
        text += speedSection(report, backends: backends)
        text += PoolSizeSection.markdown(report)
        text += OutputSpanSection.markdown(report)
        text += residueSection(report)
        text += configurationSection(report)
        text += memorySection(report)
        text += ThreadsSection.markdown(report)
        return text
    }

    static func speedSection(_ report: Report, backends: [String]) -> String {
        guard let first = report.bench.first else { return "" }
        let perProcess = "median of \(first.repetitions) × \(first.iterations)"
        let measured = first.processes.map { "median across \($0) processes of each one's \(perProcess)" } ?? perProcess
        var text = "## Speed: ns per buffer (\(measured))\n\n"
        text += "`fastest/C` is the Swift layer's cost over the bare C calls; `Node/fastest` > 1 means AllocShim is faster than Node.\n"
        if let processes = first.processes, report.bench.contains(where: { $0.nodeNsPerOp != nil }) {
            let repetitions = first.repetitions * processes
            text += "Node runs in one process, median of \(repetitions) repetitions: as many as each Swift figure has in all.\n"
        }
        text += "\n"
        text += "The second table of each backend has every form: `OwnedBytes` and `SharedBytes` with `using:` the backend and with the\n"
        text += "default source (no `using:`, the process default set to the backend: the path the README shows), the C calls,\n"
        text += "`OwnedBytes/C`, and what Swift offers without AllocShim, on the process's malloc whatever the backend"
        let legend = SwiftAlternativeColumns.legend(in: report.bench)
        // Code spans: `[UInt8](repeating:count:)` would otherwise be read as a Markdown link.
        let legendLines = legend.map { column in "- `\(column.title)`: " + column.keys.map { "`\($0)`" }.joined(separator: " / ") + "\n" }
        text += legend.isEmpty ? ".\n\n" : ":\n\n" + legendLines.joined() + "\n"
        text +=
            first.processes == nil
            ? "`spread`: (max − min) / median of the repetitions, the larger of SharedBytes and OwnedBytes.\n\n"
            : "`spread`: the largest (max − min) / median across the processes among OwnedBytes, SharedBytes (both sources) and C.\n\n"
        if Set(report.bench.map(\.backend)).count > 1 {
            text += "![Time per buffer, every backend per scenario](\(backendsChartFile))\n\n"
        }
        for backend in backends where report.bench.contains(where: { $0.backend == backend }) {
            text += "### \(backend)\n\n![Time per buffer, backend \(backend)](bench-\(backend).svg)\n\n"
            var table = Table([
                ("scenario", .left), ("SharedBytes", .right), ("OwnedBytes", .right), ("C", .right), ("fastest/C", .right),
                ("Node", .right),
                ("Node/fastest", .right),
            ])
            for row in report.bench where row.backend == backend {
                let fastest = Swift.min(row.nsPerOp, row.ownedNsPerOp ?? .infinity)
                table.append([
                    row.scenario, BenchTable.format(row.nsPerOp), row.ownedNsPerOp.map(BenchTable.format) ?? "—",
                    BenchTable.format(row.cNsPerOp),
                    String(format2d: row.fastestOverC), row.nodeNsPerOp.map(BenchTable.format) ?? "—",
                    row.nodeNsPerOp.map { String(format2d: $0 / fastest) } ?? "—",
                ])
            }
            text += table.markdown + "\n" + everyFormTable(report.bench.filter { $0.backend == backend }).markdown + "\n"
        }
        return text
    }

    /// One backend's rows with every form, the C calls, the Swift alternatives and the spread.
    static func everyFormTable(_ rows: [BenchResult]) -> Table {
        let alternatives = SwiftAlternativeColumns.titles(in: rows)
        let forms = ["OwnedBytes", "OwnedBytes default", "SharedBytes", "SharedBytes default", "C", "OwnedBytes/C"]
        let figureTitles = forms + alternatives.map { "`\($0)`" } + ["spread"]
        var table = Table([("scenario", .left)] + figureTitles.map { ($0, Table.Alignment.right) })
        for row in rows {
            let forms: [Double?] = [row.ownedNsPerOp, row.ownedDefaultSourceNsPerOp, row.nsPerOp, row.defaultSourceNsPerOp, row.cNsPerOp]
            var cells = [row.scenario] + forms.map { $0.map(BenchTable.format) ?? "—" }
            cells.append(row.ownedOverC.map { String(format2d: $0) } ?? "—")
            cells += alternatives.map { SwiftAlternativeColumns.figure(row, title: $0).map(BenchTable.format) ?? "—" }
            cells.append(row.shownSpread.map { String(format1: $0 * 100) + "%" } ?? "—")
            table.append(cells)
        }
        return table
    }

    static func residueSection(_ report: Report) -> String {
        guard !report.residue.isEmpty else { return "" }
        var text = "## Residue: secret bytes recovered at their original offsets\n\n"
        text += "Each cell: mean % of a released secret's bytes that the next allocation still held at the same offsets, "
        text += "with the minimum–maximum over the rounds; n/a: the scenario does not apply.\n\n"
        for scenario in residueScenarios(report) {
            let results = report.residue.filter { $0.scenario == scenario.rawValue }
            var backends: [String] = []
            for result in results where !backends.contains(result.backend) { backends.append(result.backend) }
            text +=
                "### \(scenario.rawValue)\n\n\(sentence(summary(scenario))).\n\n![Residue heat map, \(scenario.rawValue)](residue-\(scenario.rawValue).svg)\n\n"
            var table = Table([("size", .right)] + backends.map { ($0, .right) })
            for size in Array(Set(results.map(\.size))).sorted() {
                table.append(
                    [ChartAxis.byteSize(size)]
                        + backends.map { backend in
                            results.first { $0.backend == backend && $0.size == size }.map(ResidueTable.format) ?? "—"
                        })
            }
            text += table.markdown + "\n"
        }
        var lost = Table([("backend", .left), ("size", .right), ("lost byte ranges", .left)])
        for row in report.residue where row.scenario == ResidueScenario.sameSize.rawValue && !row.lostOffsets.isEmpty {
            lost.append([row.backend, ChartAxis.byteSize(row.size), row.lostOffsets])
        }
        if !lost.rows.isEmpty {
            text +=
                "Lost offsets (where the allocator writes its own metadata into freed blocks), same-size scenario:\n\n" + lost.markdown
                + "\n"
        }
        return text
    }

    static func configurationSection(_ report: Report) -> String {
        guard !report.configurations.isEmpty else { return "" }
        var text = "## Allocator configurations\n\n"
        text += "Each configuration runs in its own child process, set through its environment.\n\n"
        var settings = Table([
            ("configuration", .left), ("backend", .left), ("environment", .left), ("C ns 100 B", .right), ("C ns 10 KiB", .right),
            ("what it does", .left),
        ])
        for row in report.configurations {
            let environment = row.environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            settings.append([
                row.configuration, row.backend, environment.isEmpty ? "—" : "`\(environment)`",
                row.cNsPerOp100B.map { String(format1: $0) } ?? "—", row.cNsPerOp10KiB.map { String(format1: $0) } ?? "—",
                row.effect + (row.error.map { " **Error:** \($0)" } ?? ""),
            ])
        }
        text += "Cost: median ns per uninitialized allocate/free pair through the C calls alone.\n\n" + settings.markdown + "\n"
        for scenario in ConfigurationMatrix.scenarios {
            let sizes = Array(Set(report.configurations.flatMap { $0.residue.filter { $0.scenario == scenario.rawValue }.map(\.size) }))
                .sorted()
            guard !sizes.isEmpty else { continue }
            var table = Table([("configuration", .left)] + sizes.map { (ChartAxis.byteSize($0), .right) })
            for row in report.configurations {
                table.append(
                    [row.configuration]
                        + sizes.map { size in
                            if row.error != nil { return "error" }
                            return row.residue.first { $0.scenario == scenario.rawValue && $0.size == size }.map {
                                $0.applicable ? String(format1: $0.recoveredPercent) + "%" : "n/a"
                            } ?? "—"
                        })
            }
            text +=
                "### Recovered under each configuration: \(scenario.rawValue)\n\n\(sentence(summary(scenario))); mean %.\n\n"
                + table.markdown + "\n"
        }
        return text
    }

    static func memorySection(_ report: Report) -> String {
        guard !report.fragmentation.isEmpty else { return "" }
        let text = "## Memory growth (churn workload, one process per backend)\n\n![RSS under the churn workload](rss.svg)\n\n"
        var table = Table(
            [("backend", .left)]
                + ["baseline", "peak", "after free", "after purge", "after destroy", "allocator mapped", "allocator resident"].map {
                    ($0, .right)
                })
        for result in report.fragmentation {
            let cells: [Double?] = [
                result.baselineRssMiB, result.peakRssMiB, result.afterFreeRssMiB, result.afterPurgeRssMiB, result.afterDestroyRssMiB,
                result.allocatorMappedMiB, result.allocatorResidentMiB,
            ]
            table.append([result.backend] + cells.map { $0.map { String(format1: $0) } ?? "—" })
        }
        return text + "MiB; baseline is the RSS before the workload.\n\n" + table.markdown + "\n"
    }
}

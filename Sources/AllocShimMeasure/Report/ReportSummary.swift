/// The report's first table, for a service author choosing an allocator: per backend, speed
/// per scenario relative to the fastest backend of the same run, RSS under the churn workload
/// and after a purge, residue at the sizes services allocate most, thread scaling, and what
/// each backend is good for — a rule derived from those figures (``SummaryRules``), never a
/// fixed opinion.
package struct ReportSummary {
    /// A figure with the spread it was measured with, (max − min) / median, where there is one.
    package struct Figure: Equatable, Sendable {
        package var value: Double
        package var spread: Double?
    }

    /// One bench scenario across the backends.
    package struct ScenarioSpeed: Sendable {
        package var scenario: BenchScenario
        /// The fastest backend's ns per buffer (its fastest Swift form).
        package var fastestNanoseconds: Double
        /// Per backend: its fastest Swift form's ns per buffer over `fastestNanoseconds` (≥ 1).
        package var relative: [String: Figure]
        /// Node's ns per op over `fastestNanoseconds`, where Node ran.
        package var node: Double?
    }

    /// One residue probe across the backends (mean % recovered, with the rounds' min and max).
    package struct ResidueRow: Sendable {
        package var scenario: ResidueScenario
        package var size: Int
        package var results: [String: ResidueResult]
    }

    /// Thread scaling across the backends: throughput at `threads` over one thread.
    package struct Scaling: Sendable {
        /// What was measured, in words.
        package var what: String
        package var threads: Int
        package var perBackend: [String: Figure]
    }

    /// The backends the summary has columns for, in the report's order.
    package var backends: [String]
    package var speed: [ScenarioSpeed]
    package var fragmentation: [String: FragmentationResult]
    package var residue: [ResidueRow]
    package var scaling: Scaling?
    /// Per backend, what its figures make it the best choice for.
    package var goodFor: [String: [String]]
    /// What the figures do not decide (e.g. "at 10 KiB every backend is within the spread").
    package var notes: [String]

    /// The residue probes the summary shows: same-size reuse of a small message buffer and of a page.
    package static let residueProbes: [(ResidueScenario, Int)] = [(.sameSize, 100), (.sameSize, 4096)]

    package init(_ report: Report) {
        let available = report.backends.filter(\.available).map(\.name)
        let measured = Set(report.bench.map(\.backend) + report.fragmentation.map(\.backend) + report.residue.map(\.backend))
        backends = available.filter { measured.contains($0) }
        speed = Self.speed(report, backends: backends)
        fragmentation = Dictionary(report.fragmentation.map { ($0.backend, $0) }, uniquingKeysWith: { first, _ in first })
        residue = Self.residueProbes.compactMap { scenario, size in
            let results = report.residue.filter { $0.scenario == scenario.rawValue && $0.size == size && $0.applicable }
            guard !results.isEmpty else { return nil }
            return ResidueRow(
                scenario: scenario, size: size,
                results: Dictionary(results.map { ($0.backend, $0) }, uniquingKeysWith: { first, _ in first }))
        }
        scaling = Self.scaling(report)
        (goodFor, notes) = SummaryRules.derive(
            backends: backends, speed: speed, fragmentation: fragmentation, residue: residue, scaling: scaling)
    }

    /// The fastest Swift form of a bench row (`OwnedBytes` or `SharedBytes`) with that form's spread:
    /// across processes where the row was measured in several, else across repetitions.
    static func fastestForm(_ row: BenchResult) -> Figure {
        let ownedIsFaster = (row.ownedNsPerOp ?? .infinity) < row.nsPerOp
        let spread =
            ownedIsFaster
            ? (row.processes != nil ? row.ownedProcessSpread : row.ownedRelativeSpread)
            : (row.processes != nil ? row.processSpread : row.relativeSpread)
        return Figure(value: ownedIsFaster ? row.ownedNsPerOp! : row.nsPerOp, spread: spread)
    }

    static func speed(_ report: Report, backends: [String]) -> [ScenarioSpeed] {
        BenchScenario.allCases.compactMap { scenario in
            var figures: [String: Figure] = [:]
            var node: [Double] = []
            for row in report.bench where row.scenario == scenario.rawValue && backends.contains(row.backend) {
                figures[row.backend] = fastestForm(row)
                if let nodeNanoseconds = row.nodeNsPerOp { node.append(nodeNanoseconds) }
            }
            guard let fastest = figures.values.map(\.value).min(), fastest > 0 else { return nil }
            // Node ran once for all backends; each row carries the same figure.
            return ScenarioSpeed(
                scenario: scenario, fastestNanoseconds: fastest,
                relative: figures.mapValues { Figure(value: $0.value / fastest, spread: $0.spread) }, node: node.first.map { $0 / fastest })
        }
    }

    /// The forms whose scaling depends on the backend, best first: pooled buffers come from
    /// per-thread slabs and scale alike on every backend, so they cannot tell backends apart.
    static let scalingForms: [BlockForm] = [.ownedUnpooled, .allocator, .c]

    static func scaling(_ report: Report) -> Scaling? {
        if let sweep = report.threadSweep {
            // The most threads that still have a core each: beyond that, scaling measures the scheduler.
            let counts = sweep.threadCounts.filter { $0 > 1 && $0 <= Swift.max(sweep.cores, 2) }
            for form in scalingForms {
                for threads in counts.reversed() {
                    let points = sweep.points.filter { $0.workload == .pairs && $0.form == form && $0.threads == threads }
                    guard !points.isEmpty else { continue }
                    return Scaling(
                        what: "\(PairsWorkload.blockSize) B pairs, `\(form.rawValue)`", threads: threads,
                        perBackend: Dictionary(
                            points.map { ($0.backend, Figure(value: $0.scaling, spread: $0.spread)) },
                            uniquingKeysWith: { first, _ in first }))
                }
            }
        }
        guard let first = report.threads.first else { return nil }
        return Scaling(
            what: "\(first.size) B raw allocator pairs", threads: first.threads,
            perBackend: Dictionary(
                report.threads.map { ($0.backend, Figure(value: $0.scaling, spread: nil)) }, uniquingKeysWith: { first, _ in first }))
    }
}

extension ReportSummary {
    /// The summary section of report.md: the table, how to read it, and what it leaves undecided.
    package var markdown: String {
        guard !backends.isEmpty else { return "" }
        let hasNode = speed.contains { $0.node != nil }
        var table = Table([("", .left)] + backends.map { ($0, .right) } + (hasNode ? [("Node", .right)] : []))
        func row(_ title: String, _ cells: (String) -> String?, node: String? = nil) {
            table.append([title] + backends.map { cells($0) ?? "—" } + (hasNode ? [node ?? ""] : []))
        }
        row("**good for**", { goodFor[$0].map { $0.joined(separator: "; ") } ?? "no figure stands out" })
        for scenario in speed {
            row(
                "\(scenario.scenario.rawValue): × fastest (\(BenchTable.format(scenario.fastestNanoseconds)) ns)",
                { scenario.relative[$0].map { Self.relative($0) } }, node: scenario.node.map { String(format2d: $0) + "×" })
        }
        let rss: [(String, (FragmentationResult) -> Double?)] = [
            ("RSS before the workload, MiB", { $0.baselineRssMiB }), ("RSS at peak, MiB", { $0.peakRssMiB }),
            ("RSS after free, MiB", { $0.afterFreeRssMiB }), ("RSS after purge, MiB", { $0.afterPurgeRssMiB }),
        ]
        if !fragmentation.isEmpty {
            for (title, figure) in rss { row(title, { fragmentation[$0].flatMap(figure).map { String(format1: $0) } }) }
            if fragmentation.values.contains(where: { $0.afterDestroyRssMiB != nil }) {
                row("RSS after arena destroy, MiB", { fragmentation[$0]?.afterDestroyRssMiB.map { String(format1: $0) } })
            }
        }
        for probe in residue {
            row(
                "residue, \(probe.scenario.rawValue) \(ChartAxis.byteSize(probe.size))",
                {
                    probe.results[$0].map { result in
                        let range =
                            result.minPercent == result.maxPercent
                            ? "" : " (\(String(format1: result.minPercent))–\(String(format1: result.maxPercent)))"
                        return String(format1: result.recoveredPercent) + "%" + range
                    }
                })
        }
        if let scaling {
            row("thread scaling, \(scaling.what), \(scaling.threads) threads / 1", { scaling.perBackend[$0].map { Self.relative($0) } })
        }
        var text = "## Summary: which allocator for what\n\n"
        text += "Every figure from this run; the sections below have the details.\n\n"
        text += "- **good for**: what a backend's figures put it ahead at, where they separate it from the others beyond their "
        text += "spread (tied for the best: \"among\"); below the table, what this run does not decide.\n"
        text += "- Speed: each backend's fastest Swift form (`OwnedBytes` or `SharedBytes`) over the fastest backend's in the same "
        text += "scenario; 1.00× is the fastest. ±: half the spread, (max − min) / median, across processes (or repetitions).\n"
        if hasNode { text += "- Node: Node's `Buffer` in the same scenario, over the same fastest backend.\n" }
        text += "- RSS: one process per backend under the churn workload (memory growth section).\n"
        text += "- Residue: mean % of a freed secret's bytes that the next same-size allocation still held, with the rounds' "
        text += "minimum–maximum (residue section).\n"
        if let scaling {
            let spread = scaling.perBackend.values.contains { $0.spread != nil } ? ", ± half its spread across runs" : ", one run"
            text += "- Thread scaling: throughput at \(scaling.threads) threads over 1 thread\(spread) (threads section).\n"
        }
        text += "\n" + table.markdown + "\n"
        if !notes.isEmpty { text += notes.map { "- \($0)\n" }.joined() + "\n" }
        return text
    }

    /// "1.12× ±6%": a ratio with half its spread.
    static func relative(_ figure: Figure) -> String {
        String(format2d: figure.value) + "×" + (figure.spread.map { " ±" + String(format1: $0 * 50) + "%" } ?? "")
    }
}

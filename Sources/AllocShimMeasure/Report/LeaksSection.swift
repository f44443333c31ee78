import AllocShim
import Foundation

/// The report's "Preventing and detecting leaks" section: what each defence stops and what
/// it costs, measured in one run — in-process defences (zeroed buffers, zero-fill mode,
/// poison + detector), hardened and debug allocators, heap-history spread, and the
/// detector's false-positive rate.
package struct LeaksSection: Codable, Sendable {
    /// In-process defences: residue of the chapter's path (secret bytes recovered from a
    /// reused uninitialized 1 KiB buffer) next to ns per buffer.
    package struct DefenceRow: Codable, Sendable {
        /// What the defence costs per buffer, measured with the others in one run.
        package var cost: LeakDefenceCost
        /// Mean % of a released secret recovered by the next buffer under this defence.
        package var recoveredPercent: Double
    }

    /// When the section was measured, ISO 8601.
    package var date: String
    /// The machine it was measured on.
    package var machine: MachineInfo
    /// One row per in-process defence; empty when costs were not measured.
    package var defences: [DefenceRow]
    /// Hardened and debug allocators; empty when not measured.
    package var hardened: [HardenedResult]
    /// Residue by heap history; empty when not measured.
    package var heapHistory: [HeapHistoryCell]
    /// Why heap-history cells could not be measured, one message each.
    package var heapHistoryErrors: [String]
    /// The detector's false-positive rate; `nil` when not measured.
    package var falsePositives: FalsePositiveRate?

    /// How many times ``measure(falsePositiveBuffers:costs:hardened:heapHistory:rounds:progress:)``
    /// calls `progress` for the same selection.
    package static func progressSteps(falsePositives: Bool, costs: Bool, hardened: Bool, heapHistory: Bool) -> Int {
        (costs ? 1 : 0) + (hardened ? HardenedConfiguration.matrix.count : 0) + (heapHistory ? HeapHistory.allocators.count : 0)
            + (falsePositives ? 1 : 0)
    }

    /// Measures the selected parts (skipped parts are empty).
    package static func measure(
        falsePositiveBuffers: Int?, costs: Bool, hardened: Bool, heapHistory: Bool, rounds: Int, progress: (String) -> Void = { _ in }
    ) throws -> LeaksSection {
        var defences: [DefenceRow] = []
        if costs {
            progress("leak defences: cost per buffer")
            for cost in try LeakDefenceCosts.measure() {
                defences.append(DefenceRow(cost: cost, recoveredPercent: try recovered(under: cost.defence, rounds: rounds)))
            }
        }
        let hardenedRows = hardened ? HardenedMatrix.run(rounds: rounds, progress: progress) : []
        let history = heapHistory ? HeapHistory.run(rounds: rounds, progress: progress) : ([], [])
        var falsePositives: FalsePositiveRate?
        if let falsePositiveBuffers {
            progress("detector false positives over \(falsePositiveBuffers) buffers")
            falsePositives = try FalsePositiveRate.measure(buffers: falsePositiveBuffers)
        }
        return LeaksSection(
            date: ISO8601DateFormatter().string(from: Date()), machine: MachineInfo.current(), defences: defences, hardened: hardenedRows,
            heapHistory: history.0, heapHistoryErrors: history.1, falsePositives: falsePositives)
    }

    /// The residue probe's pooled scenario (the chapter's path) under a defence's setting.
    static func recovered(under defence: String, rounds: Int) throws -> Double {
        let probe = ResidueProbe(allocator: SystemAllocator.shared, rounds: rounds)
        defer {
            PoisonMode.setEnabled(false)
            BufferConfiguration.setZeroFill(false)
        }
        switch LeakDefenceCosts.Defence(rawValue: defence) {
        case .zeroed?: return try probe.run(.allocZeroed, size: 1024).recoveredPercent
        case .zeroFill?: BufferConfiguration.setZeroFill(true)
        case .poisonOnly?, .poisonAndDetector?: PoisonMode.setEnabled(true)
        case .none?, nil: break
        }
        return try probe.run(.unsafePooled, size: 1024).recoveredPercent
    }

    /// The section as Markdown.
    package func markdown() -> String {
        var lines = [
            "## Preventing and detecting leaks", "",
            "Measured \(date) on \(machine.operatingSystem), kernel \(machine.kernel), \(machine.cores) cores, \(machine.swift).", "",
        ]
        if !defences.isEmpty {
            var table = Table(
                ["defence", "stops", "ns/buffer (median, min–max)", "secret recovered %", "exposures reported"].map { ($0, .left) })
            for row in defences {
                let cost = row.cost
                table.append([
                    cost.defence, cost.stops,
                    "\(String(format1: cost.nsPerOp)) (\(String(format1: cost.minNsPerOp))–\(String(format1: cost.maxNsPerOp)))",
                    String(format1: row.recoveredPercent), "\(cost.reported)",
                ])
            }
            lines += [
                "### In-process defences (system backend, 1 KiB response with a 100-byte unwritten tail, converted to [UInt8])", "",
                table.markdown,
            ]
        }
        if !hardened.isEmpty {
            // A Markdown table, not a code block: its columns cannot run into each other in any viewer.
            lines += ["### Hardened and debug allocators", "", HardenedMatrix.caption + ".", "", HardenedMatrix.table(hardened).markdown]
        }
        if !heapHistory.isEmpty || !heapHistoryErrors.isEmpty {
            lines += ["### Residue by heap history", "", "```", HeapHistory.render(heapHistory, errors: heapHistoryErrors), "```", ""]
        }
        if let rate = falsePositives {
            // Built line by line: one literal of concatenations took the type checker over its limit.
            let summary: String =
                "\(rate.buffers) buffers, \(rate.scannedBytes) bytes of real-looking data scanned at "
                + String(format: "%.3f", rate.scanNsPerByte) + " ns/byte. Byte positions whose first n bytes agree with the "
                + "pattern word their first byte names (n = 8: a chance word, a false positive):"
            var table = Table([("n", .left)] + (1...8).map { (String($0), .left) })
            table.append(["runs"] + rate.runsAtLeast.prefix(8).map { String($0) })
            let detector: String = rate.detectorRuns.map { String($0) } ?? "not measured"
            let closing: String = "Smallest n without agreement: \(rate.shortestClean); detector runs (false positives): \(detector)."
            lines.append(contentsOf: ["### Detector false positives", "", summary, "", table.markdown, closing, ""])
        }
        return lines.joined(separator: "\n")
    }

    /// Residue (% of a secret recovered, same-size reuse at 100 B for allocators) against cost
    /// (ns per operation), one labelled point per defence: the cheap-and-safe corner is
    /// bottom left.
    package func residueVersusCostSVG() -> String {
        let inProcess = defences.map { row in
            SVGResidueCostChart.Row(
                label: row.cost.defence, residuePercent: row.recoveredPercent, nanoseconds: row.cost.nsPerOp,
                range: row.cost.minNsPerOp <= row.cost.maxNsPerOp ? row.cost.minNsPerOp...row.cost.maxNsPerOp : nil)
        }
        let allocators = hardened.compactMap { row -> SVGResidueCostChart.Row? in
            guard row.error == nil, let cost = row.cNsPerOp100B,
                let cell = row.residue.first(where: { $0.scenario == "same-size" && $0.size == 100 })
            else { return nil }
            return SVGResidueCostChart.Row(label: row.configuration, residuePercent: cell.recoveredPercent, nanoseconds: cost)
        }
        return SVGResidueCostChart.render(
            title: "Residue vs cost per defence",
            groups: [
                .init(title: "In-process defences: a reused uninitialized 1 KiB buffer", costUnit: "ns per 1 KiB buffer", rows: inProcess),
                .init(
                    title: "Allocator configurations: same-size reuse of a 100 B block", costUnit: "ns per 100 B malloc/free pair",
                    rows: allocators),
            ])
    }

    /// Appends the section to `report.md` in `directory` and writes leaks.json and
    /// leaks-residue-vs-cost.svg next to it; returns the files written.
    @discardableResult
    package func append(toReportIn directory: URL) throws -> [String] {
        let reportFile = directory.appendingPathComponent("report.md")
        let existing = (try? String(contentsOf: reportFile, encoding: .utf8)) ?? ""
        let section = markdown() + "\n![residue vs cost](leaks-residue-vs-cost.svg)\n"
        try (existing + "\n" + section).write(to: reportFile, atomically: true, encoding: .utf8)
        try JSONWriter.write(self, to: directory.appendingPathComponent("leaks.json"))
        try residueVersusCostSVG().write(
            to: directory.appendingPathComponent("leaks-residue-vs-cost.svg"), atomically: true, encoding: .utf8)
        return ["report.md", "leaks.json", "leaks-residue-vs-cost.svg"]
    }
}

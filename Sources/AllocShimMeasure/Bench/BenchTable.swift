/// Plain-text rendering of benchmark results.
package enum BenchTable {
    /// One row per result: ns per buffer for `SharedBytes` and `OwnedBytes` with an explicit
    /// source and with the process default, the C calls, the fastest Swift form over C, the
    /// Swift alternatives, Node where measured and the spread; a header line groups the
    /// columns and the last lines say what was measured and what each column is.
    package static func render(_ results: [BenchResult]) -> String {
        let alternatives = SwiftAlternativeColumns.titles(in: results)
        var columns = [
            Column("backend", width: 15, leftAligned: true) { $0.backend },
            Column("scenario", width: 22, leftAligned: true) { $0.scenario },
            Column("Shared", group: "using: backend", width: 9) { format($0.nsPerOp) },
            Column("Owned", group: "using: backend", width: 9) { $0.ownedNsPerOp.map(format) ?? "—" },
            Column("Shared", group: "default source", width: 9) { $0.defaultSourceNsPerOp.map(format) ?? "—" },
            Column("Owned", group: "default source", width: 9) { $0.ownedDefaultSourceNsPerOp.map(format) ?? "—" },
            Column("C", width: 8) { format($0.cNsPerOp) },
            Column("fastest/C", width: 9) { String(format1: $0.fastestOverC) },
        ]
        for title in alternatives {
            columns.append(
                Column(title, group: "Swift alternatives", width: Swift.max(8, title.count)) { result in
                    SwiftAlternativeColumns.figure(result, title: title).map(format) ?? "—"
                })
        }
        if results.contains(where: { $0.nodeNsPerOp != nil }) {
            columns.append(Column("Node", width: 8) { $0.nodeNsPerOp.map(format) ?? "—" })
            columns.append(
                Column("Node/fastest", width: 12) { result in
                    let fastest = Swift.min(result.nsPerOp, result.ownedNsPerOp ?? .infinity)
                    return result.nodeNsPerOp.map { String(format1: $0 / fastest) + "×" } ?? "—"
                })
        }
        columns.append(Column("spread", width: 7) { $0.shownSpread.map { String(format1: $0 * 100) + "%" } ?? "—" })

        var table = Table(
            columns: columns.map { Table.Column($0.title, $0.leftAligned ? .left : .right, group: $0.group, minimumWidth: $0.width) })
        for result in results { table.append(columns.map { $0.cell(result) }) }
        return ([table.text] + footnotes(results, alternatives: !alternatives.isEmpty)).joined(separator: "\n")
    }

    /// What was measured and what the columns are, in parentheses below the table.
    static func footnotes(_ results: [BenchResult], alternatives: Bool) -> [String] {
        let first = results.first
        let repetitions = "median of \(first?.repetitions ?? 0) repetitions of \(first?.iterations ?? 0)"
        var notes: [String]
        if let processes = first?.processes {
            notes = [
                "(ns per buffer: median across \(processes) processes of each one's \(repetitions); "
                    + "spread: the largest (max − min) / median across the processes of the five main figures)"
            ]
        } else {
            notes = ["(ns per buffer, \(repetitions); spread: (max − min) / median of the repetitions, the larger of Shared and Owned)"]
        }
        notes.append("(Shared, Owned: SharedBytes, OwnedBytes; default source: no `using:`, the process default set to the backend)")
        if alternatives {
            notes.append("(Swift alternatives, on the process's malloc whatever the backend:")
            for column in SwiftAlternativeColumns.legend(in: results) { notes.append("   \(column.title): " + column.keys.joined(separator: " / ")) }
            notes[notes.count - 1] += ")"
        }
        return notes
    }

    /// A column of the bench table: a title, the group it belongs to, its narrowest width and
    /// how a row fills it.
    struct Column {
        let title: String
        let group: String
        let width: Int
        let leftAligned: Bool
        let cell: (BenchResult) -> String

        init(_ title: String, group: String = "", width: Int, leftAligned: Bool = false, cell: @escaping (BenchResult) -> String) {
            self.title = title
            self.group = group
            self.width = Swift.max(width, title.count)
            self.leftAligned = leftAligned
            self.cell = cell
        }
    }

    static func format(_ nanoseconds: Double) -> String {
        nanoseconds >= 100 ? String(Int(nanoseconds.rounded())) : String(format1: nanoseconds)
    }
}

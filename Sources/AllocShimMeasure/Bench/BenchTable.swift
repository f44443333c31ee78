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

        var lines = [groupHeader(columns), columns.map { $0.aligned($0.title) }.joined(separator: " ")]
        for result in results { lines.append(columns.map { $0.aligned($0.cell(result)) }.joined(separator: " ")) }
        lines.append(contentsOf: footnotes(results, alternatives: !alternatives.isEmpty))
        return lines.joined(separator: "\n")
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

    /// The line above the titles: each group's name centred in a rule over its columns.
    private static func groupHeader(_ columns: [Column]) -> String {
        var segments: [String] = []
        var index = 0
        while index < columns.count {
            var end = index + 1
            while end < columns.count, columns[end].group == columns[index].group { end += 1 }
            let width = columns[index..<end].map(\.width).reduce(0, +) + (end - index - 1)
            let group = columns[index].group
            // A rule on both sides when there is room, else the bare name, cut to the width.
            let label = group.count + 2 <= width ? " \(group) " : String(group.prefix(width))
            let rule = group.count + 2 <= width ? "─" : " "
            let left = (width - label.count) / 2
            segments.append(
                group.isEmpty
                    ? String(repeating: " ", count: width)
                    : String(repeating: rule, count: left) + label + String(repeating: rule, count: width - label.count - left))
            index = end
        }
        return String(segments.joined(separator: " ").reversed().drop { $0 == " " }.reversed())
    }

    /// A column of the text table: a title, the group it belongs to, and how a row fills it.
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

        func aligned(_ text: String) -> String { leftAligned ? pad(text, width) : lpad(text, width) }
    }

    static func format(_ nanoseconds: Double) -> String {
        nanoseconds >= 100 ? String(Int(nanoseconds.rounded())) : String(format1: nanoseconds)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

extension String {
    /// One decimal place, without Foundation's formatter.
    init(format1 value: Double) {
        guard value.isFinite else {
            self = "—"
            return
        }
        let tenths = (value * 10).rounded()
        self = "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
    }
}

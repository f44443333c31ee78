/// The measurement layer's one table renderer. A table is columns and rows of cells, rendered
/// either as GitHub-flavoured Markdown (report.md, soak.md: readable as text and drawn as a
/// table) or as aligned plain text for the terminal, optionally with a line above the titles
/// that names groups of columns.
package struct Table {
    package enum Alignment: Sendable { case left, right }

    package struct Column: Sendable {
        package var title: String
        package var alignment: Alignment
        /// Columns next to each other with the same non-empty group share a label above their
        /// titles (plain text only).
        package var group: String
        /// The narrowest the column is drawn in plain text, so related tables line up.
        package var minimumWidth: Int

        package init(_ title: String, _ alignment: Alignment = .right, group: String = "", minimumWidth: Int = 0) {
            self.title = title
            self.alignment = alignment
            self.group = group
            self.minimumWidth = minimumWidth
        }
    }

    package var columns: [Column]
    package private(set) var rows: [[String]] = []
    /// For rows that end in free text (a failed row's error): the text, by row index. It
    /// follows the row's cells and does not widen any column.
    private var notes: [Int: String] = [:]

    package init(columns: [Column]) {
        self.columns = columns
    }

    /// Columns given as (title, alignment).
    package init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { Column($0.0, $0.1) }
    }

    /// Adds a row; missing trailing cells are empty.
    package mutating func append(_ cells: [String]) { rows.append(cells) }

    /// Adds a row of `cells` followed by free text, e.g. `error: …` where a measurement failed.
    package mutating func append(_ cells: [String], note: String) {
        notes[rows.count] = note
        rows.append(cells)
    }

    /// The table in Markdown, ending with a newline. Cells are Markdown text: every `|` not
    /// already escaped is escaped, so a cell can never end early or add a column.
    package var markdown: String {
        func row(_ cells: [String]) -> String {
            "| " + cells.map(Self.escapingPipes).joined(separator: " | ") + " |\n"
        }
        var text = row(columns.map(\.title))
        text += "|" + columns.map { $0.alignment == .right ? "---:" : "---" }.joined(separator: "|") + "|\n"
        for (index, cells) in rows.enumerated() {
            guard let note = notes[index] else {
                text += row(padded(cells))
                continue
            }
            text += row(cells + [note] + Array(repeating: "", count: Swift.max(0, columns.count - cells.count - 1)))
        }
        return text
    }

    /// The table as aligned plain text, one line per row without a trailing newline: each
    /// column as wide as its title, its widest cell and its minimum width, one space between
    /// columns; a group line above the titles when any column has a group.
    package var text: String {
        let widths = columns.indices.map { index in
            ([columns[index].title.count, columns[index].minimumWidth]
                + rows.indices.filter { notes[$0] == nil }.map { padded(rows[$0])[index].count })
                .max()!
        }
        func line(_ cells: [String], note: String? = nil) -> String {
            let aligned = cells.indices.map { index in
                columns[index].alignment == .left ? Self.pad(cells[index], widths[index]) : Self.leftPad(cells[index], widths[index])
            }
            let text = (aligned + (note.map { [$0] } ?? [])).joined(separator: " ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
        var lines: [String] = []
        if columns.contains(where: { !$0.group.isEmpty }) { lines.append(groupLine(widths: widths)) }
        lines.append(line(columns.map(\.title)))
        for (index, cells) in rows.enumerated() {
            lines.append(notes[index].map { line(Array(cells.prefix(columns.count)), note: $0) } ?? line(padded(cells)))
        }
        return lines.joined(separator: "\n")
    }

    private func padded(_ cells: [String]) -> [String] {
        Array(cells.prefix(columns.count)) + Array(repeating: "", count: Swift.max(0, columns.count - cells.count))
    }

    /// The line above the titles: each group's name centred in a rule over its columns.
    private func groupLine(widths: [Int]) -> String {
        var segments: [String] = []
        var index = 0
        while index < columns.count {
            var end = index + 1
            while end < columns.count, columns[end].group == columns[index].group { end += 1 }
            let width = widths[index..<end].reduce(0, +) + (end - index - 1)
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

    /// `cell` with every `|` that no backslash escapes escaped.
    static func escapingPipes(_ cell: String) -> String {
        var result = ""
        var escaped = false
        for character in cell {
            if character == "|" && !escaped { result += "\\" }
            result.append(character)
            escaped = character == "\\" && !escaped
        }
        return result
    }

    /// `text` followed by spaces up to `width`.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Spaces up to `width`, then `text`.
    static func leftPad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

/// A Markdown (GitHub-flavoured) table: readable as text and rendered as a table, unlike a
/// wide fixed-width code block.
struct MarkdownTable {
    enum Alignment { case left, right }

    var columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    mutating func append(_ cells: [String]) { rows.append(cells) }

    /// The table, ending with a newline; `|` inside cells is escaped.
    var rendered: String {
        func row(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        var text = row(columns.map(\.title))
        text += "|" + columns.map { $0.alignment == .right ? "---:" : "---" }.joined(separator: "|") + "|\n"
        for cells in rows { text += row(cells + Array(repeating: "", count: Swift.max(0, columns.count - cells.count))) }
        return text
    }
}

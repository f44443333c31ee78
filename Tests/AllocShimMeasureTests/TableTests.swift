import Testing

@testable import AllocShimMeasure

/// The one table renderer: Markdown for the report, aligned text for the terminal.
@Suite("Table")
struct TableTests {
    @Test("Markdown: a title row, an alignment rule, and every unescaped | escaped")
    func markdown() {
        var table = Table([("name", .left), ("value", .right)])
        table.append(["a|b", "1"])
        table.append(["already \\| escaped", "2"])
        table.append(["short"])
        #expect(
            table.markdown == """
                | name | value |
                |---|---:|
                | a\\|b | 1 |
                | already \\| escaped | 2 |
                | short |  |

                """)
    }

    @Test("text: columns as wide as their widest cell or minimum, groups above, notes not widening a column")
    func text() {
        var table = Table(columns: [
            Table.Column("backend", .left), Table.Column("a", group: "pair", minimumWidth: 4), Table.Column("b", group: "pair"),
        ])
        table.append(["system", "1.0", "22"])
        table.append(["jemalloc-arena"], note: "error: a long message that must not widen the columns")
        #expect(
            table.text.split(separator: "\n").map(String.init) == [
                "         pair ─",
                "backend    a  b",
                "system   1.0 22",
                "jemalloc-arena error: a long message that must not widen the columns",
            ])
    }
}

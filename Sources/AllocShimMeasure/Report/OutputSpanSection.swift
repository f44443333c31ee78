/// The report's output-span section: what the initializers that cannot expose uninitialized
/// bytes cost against `allocUnsafe` plus a full write of the same bytes, per backend.
enum OutputSpanSection {
    /// The section, or "" when the report has no output-span figures (reports written before them).
    static func markdown(_ report: Report) -> String {
        guard let rows = report.outputSpanCost, !rows.isEmpty else { return "" }
        var text = "## Safe initializers: output span against allocUnsafe plus a full write\n\n"
        text += "CPU ns per buffer on one thread, each pair interleaved within a repetition; measured/baseline is the median "
        text += "of the per-repetition ratios, ± half their spread. Below 1.00 the output-span form is the faster. The last two "
        text += "cases measure unused capacity, which is given back (a pool slice's tail by moving the cursor, a whole block by "
        text += "the allocator's realloc).\n\n"
        return text + OutputSpanCost.table(rows) + "\n\n"
    }
}

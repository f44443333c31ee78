/// The report's pool-size section: 8 KiB and 64 KiB per-thread pools side by side (Node's
/// pool grew from 8 to 64 KiB; a live slice keeps its whole slab alive), with the trade-off
/// each backend's figures show.
enum PoolSizeSection {
    /// The section, or "" when the report has no pool-size figures (reports written before them).
    static func markdown(_ report: Report) -> String {
        guard let rows = report.poolSizes, !rows.isEmpty else { return "" }
        var text = "## Pool size: 8 KiB and 64 KiB slabs\n\n"
        text += "Per backend, per-thread pools of each slab size in one process. Speed: CPU ns per `OwnedBytes(capacity:)` "
        text += "filled through its output span, median of the repetitions, ± half the spread; a 4 KiB buffer is pooled only "
        text += "by a pool whose slab holds at least two of them (64 KiB), as in Node. Retention: a server-like workload of "
        text += "64–1024 B buffers of which 1 in 100 lives on; bytes the pool's slabs hold against bytes live buffers reference. "
        text += "Working set: 1,000 live buffers of 8–1000 B, each step replacing a random one (the thread sweep's larson on one "
        text += "thread): a slab stays until the last of its slices is replaced, the pool's worst case.\n\n"
        text += PoolSizeComparison.table(rows) + "\n\n"
        let lines = tradeOffs(rows)
        if !lines.isEmpty { text += lines.map { "- \($0)\n" }.joined() + "\n" }
        return text
    }

    /// "; under the working set 8.30× against 3.40×", when both rows have it.
    private static func workingSet(_ small: PoolSizeComparison.Row, _ large: PoolSizeComparison.Row) -> String {
        guard let smallRatio = PoolSizeComparison.workingSetRatio(small), let largeRatio = PoolSizeComparison.workingSetRatio(large) else {
            return ""
        }
        return "; under the working set \(String(format2d: largeRatio))× against \(String(format2d: smallRatio))×"
    }

    /// Per backend with both sizes: the large pool's time and retention over the small one's.
    static func tradeOffs(_ rows: [PoolSizeComparison.Row]) -> [String] {
        var backends: [String] = []
        for row in rows where !backends.contains(row.backend) { backends.append(row.backend) }
        return backends.compactMap { backend in
            let sizes = rows.filter { $0.backend == backend }.sorted { $0.slabSize < $1.slabSize }
            guard let small = sizes.first, let large = sizes.last, small.slabSize < large.slabSize, small.nanoseconds100B > 0,
                small.nanoseconds4KiB > 0
            else { return nil }
            func held(_ row: PoolSizeComparison.Row) -> String {
                row.referencedBytes > 0 ? String(format2d: Double(row.retainedBytes) / Double(row.referencedBytes)) + "×" : "—"
            }
            return
                "\(backend): \(large.slabSize / 1024) KiB slabs take \(String(format2d: large.nanoseconds100B / small.nanoseconds100B))× "
                + "the time of \(small.slabSize / 1024) KiB ones at 100 B and \(String(format2d: large.nanoseconds4KiB / small.nanoseconds4KiB))× "
                + "at 4 KiB, and hold \(held(large)) the referenced bytes (against \(held(small)))"
                + workingSet(small, large) + "."
        }
    }
}

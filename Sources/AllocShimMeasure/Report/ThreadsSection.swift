/// The report's "Threads" section: the thread sweep (throughput from 1 to N threads for the
/// buffers users call and the raw allocator, under same-thread and cross-thread workloads),
/// then the 64-byte allocate/free pairs at 1 and N threads that earlier reports showed alone.
enum ThreadsSection {
    /// The section, or "" when the report measured no threads.
    static func markdown(_ report: Report) -> String {
        guard report.threadSweep != nil || !report.threads.isEmpty else { return "" }
        var text = "## Threads\n\n"
        if let sweep = report.threadSweep { text += sweepMarkdown(sweep) }
        text += allocatorPairsMarkdown(report.threads)
        return text
    }

    static func sweepMarkdown(_ sweep: ThreadSweepResult) -> String {
        var text = "Million operations per second (one operation: one allocate and one free) over all threads, from their common start to "
        text += "the last one's end; median of \(sweep.repetitions) runs of \(sweep.operationsPerThread) operations per thread, "
        text += "\(sweep.cores) cores. Spread: (max − min) / median. Scaling: over the same row at 1 thread. CPU scaling: the same from "
        text += "CPU time per operation, which leaves out time a thread waited for a core. Cross-thread: frees by a thread that did not "
        text += "allocate the block, per operation.\n\n"
        for workload in ThreadWorkload.allCases where sweep.points.contains(where: { $0.workload == workload }) {
            text += "- **\(workload.rawValue)**: \(workload.summary).\n"
        }
        text += "\n"
        let headlines = ThreadSweepTable.headlines(sweep)
        if !headlines.isEmpty { text += headlines.map { "**\($0)**" }.joined(separator: "  \n") + "\n\n" }
        var table = MarkdownTable(
            [("backend", .left), ("workload", .left), ("form", .left), ("sizes", .right), ("threads", .right)]
                + ["Mops", "spread", "scaling", "CPU ns/op", "CPU scaling", "cross-thread"].map { ($0, .right) })
        for point in sweep.points {
            table.append([
                point.backend, point.workload.rawValue, point.form.rawValue, point.workload.blockSizes, String(point.threads),
                String(format1: point.medianMops), ThreadSweepTable.percent(point.spread), String(format2d: point.scaling) + "×",
                String(format1: point.cpuNanosecondsPerOperation), String(format2d: point.cpuScaling) + "×",
                ThreadSweepTable.percent(point.crossThreadFreesPerOperation),
            ])
        }
        text += table.rendered + "\n"
        text += "Forms: " + BlockForm.allCases.map { "`\($0.rawValue)` \($0.call)" }.joined(separator: ", ") + ".\n\n"
        return text
    }

    static func allocatorPairsMarkdown(_ results: [ThreadScalingResult]) -> String {
        guard let first = results.first else { return "" }
        var text = "### Raw allocator, \(first.size)-byte allocate/free pairs\n\n"
        text += "Through the shim's allocator calls, million per second, one run each (the figures earlier reports showed).\n\n"
        var table = MarkdownTable([("backend", .left), ("1 thread", .right), ("\(first.threads) threads", .right), ("scaling", .right)])
        for result in results {
            table.append([
                result.backend, String(format1: result.singleThreadMops), String(format1: result.multiThreadMops),
                String(format2d: result.scaling) + "×",
            ])
        }
        return text + table.rendered
    }
}

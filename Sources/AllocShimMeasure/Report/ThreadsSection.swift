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
        text += "allocate the block, per operation. Of C: the row's scaling over the `c` form's (the same workload in C on the "
        text += "same allocator's calls) at the same thread count: 1.00× keeps all the scaling the allocator has.\n\n"
        let headlines = ThreadSweepTable.headlines(sweep, withTarget: false)
        if !headlines.isEmpty { text += headlines.map { "**\($0)**" }.joined(separator: "  \n") + "\n\n" }
        let forms = BlockForm.allCases.filter { form in sweep.points.contains { $0.form == form } }
        text += "Forms: " + forms.map { "`\($0.rawValue)` \($0.call)" }.joined(separator: ", ") + ".\n\n"
        for workload in ThreadWorkload.allCases where sweep.points.contains(where: { $0.workload == workload }) {
            text += "### \(workload.rawValue) (\(workload.blockSizes))\n\n**\(workload.rawValue)**: \(workload.summary).\n\n"
            text += "![Thread scaling, \(workload.rawValue)](\(plotFile(workload)))\n\n"
            var table = Table(
                [("backend", .left), ("workload", .left), ("form", .left), ("sizes", .right), ("threads", .right)]
                    + ["Mops", "spread", "scaling", "CPU ns/op", "CPU scaling", "cross-thread", "of C"].map { ($0, .right) })
            for point in sweep.points where point.workload == workload {
                table.append([
                    point.backend, point.workload.rawValue, point.form.rawValue, point.workload.blockSizes, String(point.threads),
                    String(format1: point.medianMops), ThreadSweepTable.percent(point.spread), String(format2d: point.scaling) + "×",
                    String(format1: point.cpuNanosecondsPerOperation), String(format2d: point.cpuScaling) + "×",
                    ThreadSweepTable.percent(point.crossThreadFreesPerOperation), ThreadSweepTable.ofC(point),
                ])
            }
            text += table.markdown + "\n"
        }
        return text
    }

    /// The file name of `workload`'s scaling plot in the report folder.
    static func plotFile(_ workload: ThreadWorkload) -> String { "threads-\(workload.rawValue).svg" }

    /// Every scaling plot of the sweep, by file name.
    static func plots(_ sweep: ThreadSweepResult) -> [String: String] {
        var plots: [String: String] = [:]
        for workload in ThreadWorkload.allCases {
            if let svg = SVGScalingChart.render(sweep, workload: workload) { plots[plotFile(workload)] = svg }
        }
        return plots
    }

    static func allocatorPairsMarkdown(_ results: [ThreadScalingResult]) -> String {
        guard let first = results.first else { return "" }
        var text = "### Raw allocator, \(first.size)-byte allocate/free pairs\n\n"
        text += "Through the shim's allocator calls, million per second, one run each (the figures earlier reports showed).\n\n"
        var table = Table([("backend", .left), ("1 thread", .right), ("\(first.threads) threads", .right), ("scaling", .right)])
        for result in results {
            table.append([
                result.backend, String(format1: result.singleThreadMops), String(format1: result.multiThreadMops),
                String(format2d: result.scaling) + "×",
            ])
        }
        return text + table.markdown
    }
}

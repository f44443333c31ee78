import Foundation

/// The soak's pictures: RSS over time per allocator (bursts shaded), and throughput / p99 bars.
package enum SoakChart {
    /// Resident set over time, one line per allocator label (its first repetition), load bursts
    /// shaded grey, idle periods white.
    package static func residentOverTime(_ report: SoakReport) -> String {
        let runs = firstRuns(report)
        let width = 900.0
        let height = 480.0
        let left = 70.0
        let right = 20.0
        let top = 40.0
        let bottom = 330.0
        let seconds = Double(report.workload.durationSeconds)
        let peak = SVGChart.niceCeiling((runs.flatMap { $0.samples.map(\.residentMiB) }.max() ?? 1) * 1.05)
        func x(_ second: Double) -> Double { left + second / seconds * (width - left - right) }
        func y(_ mebibytes: Double) -> Double { bottom - mebibytes / peak * (bottom - top) }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        svg +=
            "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">EchoService resident memory under load bursts (shaded) and idle periods, per process allocator</text>"
        // Burst shading, from the workload's schedule.
        var second = 0
        while second < report.workload.durationSeconds {
            if report.workload.isBurst(atSecond: second) {
                var end = second
                while end < report.workload.durationSeconds, report.workload.isBurst(atSecond: end) { end += 1 }
                svg +=
                    "<rect x=\"\(x(Double(second)))\" y=\"\(top)\" width=\"\(x(Double(end)) - x(Double(second)))\" height=\"\(bottom - top)\" fill=\"#eeeeee\"/>"
                second = end
            } else {
                second += 1
            }
        }
        for step in 0...5 {
            let value = peak / 5 * Double(step)
            svg +=
                "<line x1=\"\(left)\" y1=\"\(y(value))\" x2=\"\(width - right)\" y2=\"\(y(value))\" stroke=\"#ccc\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(value) + 4)\" text-anchor=\"end\" font-size=\"11\">\(Int(value))</text>"
        }
        // Time ticks at a round step (0, 5, 10 … s), not at fifths of the duration (0, 4.8, 9.6 … printed 0, 4, 9).
        let timeStep = ChartAxis.niceCeiling(seconds / 5)
        var time = 0.0
        while time <= seconds + 1e-9 {
            svg += "<text x=\"\(x(time))\" y=\"\(bottom + 16)\" text-anchor=\"middle\" font-size=\"11\">\(ChartAxis.compact(time))</text>"
            time += timeStep
        }
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - right)\" y2=\"\(bottom)\" stroke=\"black\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"black\"/>"
        svg +=
            "<text x=\"\((left + width - right) / 2)\" y=\"\(bottom + 34)\" text-anchor=\"middle\" font-size=\"12\">time since load start (s)</text>"
        svg +=
            "<text x=\"18\" y=\"\((top + bottom) / 2)\" transform=\"rotate(-90 18 \((top + bottom) / 2))\" text-anchor=\"middle\" font-size=\"12\">resident set, VmRSS (MiB)</text>"
        for (index, run) in runs.enumerated() {
            let points = run.samples.map { "\(x(Double($0.second) + 1)),\(y($0.residentMiB))" }.joined(separator: " ")
            svg +=
                "<polyline fill=\"none\" stroke=\"\(SVGChart.linePalette[index % SVGChart.linePalette.count])\" stroke-width=\"1.8\" points=\"\(points)\"><title>\(SVGChart.escape(SoakText.withoutControls(run.label)))</title></polyline>"
            let legendY = bottom + 56 + Double(index / 2) * 18
            let legendX = left + Double(index % 2) * 420
            svg +=
                "<rect x=\"\(legendX)\" y=\"\(legendY - 10)\" width=\"12\" height=\"12\" fill=\"\(SVGChart.linePalette[index % SVGChart.linePalette.count])\"/>"
            svg += "<text x=\"\(legendX + 16)\" y=\"\(legendY)\" font-size=\"11\">\(SVGChart.escape(shortLabel(run.label)))</text>"
        }
        svg +=
            "<text x=\"\(width - right)\" y=\"\(height - 8)\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">grey: load bursts; white: idle (connections open, no requests). First repetition of each.</text>"
        return svg + "</svg>\n"
    }

    /// Requests per second in bursts per allocator, median over repetitions. Throughput and
    /// latency have different units, so each gets a chart of its own (``p99(_:)``).
    package static func throughput(_ report: SoakReport) -> String {
        let labels = labelsInOrder(report)
        let values = labels.map { label in Statistics(report.runs.filter { $0.label == label }.map(\.requestsPerSecond))?.median }
        return SVGChart.groupedBars(
            title: "Throughput in bursts", subtitle: "requests per second while a burst runs; median of the repetitions",
            xTitle: "process allocator", categories: labels.map(shortLabel),
            series: [SVGChart.Series(name: "requests/s", values: values)],
            axis: ChartAxis(title: "requests per second", unit: .perSecond, logarithmic: false, values: values.compactMap { $0 }),
            valueLabels: true)
    }

    /// The median per-second p99 latency per allocator, median over repetitions.
    package static func p99(_ report: SoakReport) -> String {
        let labels = labelsInOrder(report)
        let nanoseconds = labels.map { label in
            Statistics(report.runs.filter { $0.label == label }.map(\.medianP99Milliseconds)).map { $0.median * 1e6 }
        }
        return SVGChart.groupedBars(
            title: "p99 latency", subtitle: "median over the run of each second's 99th percentile; median of the repetitions",
            xTitle: "process allocator", categories: labels.map(shortLabel),
            series: [SVGChart.Series(name: "p99", values: nanoseconds)],
            axis: ChartAxis(title: "p99 latency", unit: .nanoseconds, logarithmic: false, values: nanoseconds.compactMap { $0 }),
            valueLabels: true)
    }

    static func labelsInOrder(_ report: SoakReport) -> [String] {
        var labels: [String] = []
        for run in report.runs where !labels.contains(run.label) { labels.append(run.label) }
        return labels
    }

    static func firstRuns(_ report: SoakReport) -> [SoakRun] {
        labelsInOrder(report).compactMap { label in report.runs.first { $0.label == label } }
    }

    /// The label as the charts show it (shortened; controls written out, since XML forbids them;
    /// SVGChart escapes the markup characters).
    static func shortLabel(_ label: String) -> String {
        SoakText.withoutControls(label).replacingOccurrences(of: "MALLOC_CONF=", with: "").replacingOccurrences(
            of: "MALLOC_ARENA_MAX", with: "ARENA_MAX"
        )
        .replacingOccurrences(of: "dirty_decay_ms:", with: "dirty:").replacingOccurrences(of: "muzzy_decay_ms:", with: "muzzy:")
        .replacingOccurrences(of: "background_thread:true", with: "bg")
    }
}

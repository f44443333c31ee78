import Foundation

/// The thread sweep's scaling plot: one per workload, one panel per backend side by side,
/// threads on x, throughput on a logarithmic y shared by every panel (so panels compare), one
/// line per block form in the same colour in every panel. The C form — the floor every other
/// line is read against — is drawn dashed and on top.
enum SVGScalingChart {
    /// A fixed colour per form, so a form looks the same in every plot. Okabe–Ito colours (as
    /// ``SVGChart/palette``), without its yellow, which is unreadable as a thin line on white.
    static func colour(_ form: BlockForm) -> String {
        switch form {
        case .ownedPooled: return "#0072B2"
        case .ownedUnpooled: return "#E69F00"
        case .sharedUnsafe: return "#009E73"
        case .allocator: return "#CC79A7"
        case .nioTenant: return "#D55E00"
        case .c: return "#000000"
        }
    }

    static let panelWidth = 300.0, panelHeight = 230.0, panelsPerRow = 3
    static let plotLeft = 70.0, plotRight = 16.0, plotTop = 28.0, plotBottom = 44.0

    /// The plot of `workload`, or nil when the sweep did not run it.
    static func render(_ sweep: ThreadSweepResult, workload: ThreadWorkload) -> String? {
        let points = sweep.points.filter { $0.workload == workload }
        guard !points.isEmpty else { return nil }
        var backends: [String] = []
        for point in points where !backends.contains(point.backend) { backends.append(point.backend) }
        // The C form last, so its dashed line is drawn over the others.
        let forms = BlockForm.allCases.filter { form in points.contains { $0.form == form } }
            .sorted { ($0 == .c ? 1 : 0) < ($1 == .c ? 1 : 0) }
        let axis = ChartAxis(title: "operations per second", unit: .millionPerSecond, logarithmic: true, values: points.map(\.medianMops))
        let threadCounts = Array(Set(points.map(\.threads))).sorted()
        let columns = Swift.min(backends.count, panelsPerRow)
        let rows = (backends.count + panelsPerRow - 1) / panelsPerRow
        let width = Int(Double(columns) * panelWidth + 24)
        let top = 64.0
        let legendItems = forms.map { form in (form, form == .c ? "c (bare C calls, same allocator)" : form.rawValue) }
        let legendTop = top + Double(rows) * panelHeight + 18
        var legend = "", legendRow = 0.0, legendX = 0.0
        let legendWidth = Double(width) - 24
        for (form, name) in legendItems {
            let itemWidth = 36 + SVGChart.textWidth(name, size: 12)
            if legendX > 0, legendX + itemWidth > legendWidth {
                legendX = 0
                legendRow += 1
            }
            let x = 12 + legendX, y = legendTop + legendRow * 20
            legend += polyline([(x, y - 4), (x + 24, y - 4)], form: form)
            legend += SVGChart.text(name, x: x + 30, y: y, size: 12, anchor: "start")
            legendX += itemWidth
        }
        let height = Int(legendTop + (legendRow + 1) * 20 + 4)
        let subtitle =
            "Median of \(sweep.repetitions) runs of \(sweep.operationsPerThread) operations per thread, \(sweep.cores) cores; "
            + "higher is better. Dashed: the same work in C on the backend's own calls."
        var svg = SVGChart.header(
            width: width, height: height, title: "Thread scaling — \(workload.rawValue) (\(workload.blockSizes))", subtitle: subtitle)
        for (index, backend) in backends.enumerated() {
            let left = 12 + Double(index % panelsPerRow) * panelWidth
            let panelTop = top + Double(index / panelsPerRow) * panelHeight
            svg += panel(
                backend: backend, points: points.filter { $0.backend == backend }, forms: forms, threadCounts: threadCounts, axis: axis,
                left: left, top: panelTop)
        }
        return svg + legend + "</svg>\n"
    }

    /// One backend's lines in the panel whose top-left corner is (`left`, `top`).
    private static func panel(
        backend: String, points: [ThreadSweepPoint], forms: [BlockForm], threadCounts: [Int], axis: ChartAxis, left: Double, top: Double
    ) -> String {
        let x0 = left + plotLeft, x1 = left + panelWidth - plotRight
        let y0 = top + plotTop, y1 = top + panelHeight - plotBottom
        // Threads on a log₂ axis: 1, 2, 4, 8, 16 evenly apart, as scaling is read.
        let largest = Double(threadCounts.last ?? 1)
        func x(_ threads: Int) -> Double {
            largest <= 1 ? (x0 + x1) / 2 : x0 + log2(Double(threads)) / log2(largest) * (x1 - x0)
        }
        func y(_ value: Double) -> Double { y1 - axis.position(value) * (y1 - y0) }
        var svg = SVGChart.text(backend, x: (x0 + x1) / 2, y: top + 16, size: 13, anchor: "middle", weight: "bold")
        for (tick, major) in ticks(axis) {
            svg += SVGChart.line(x0, y(tick), x1, y(tick), stroke: major ? "#c8c8c8" : "#ececec")
            svg += SVGChart.text(
                axis.format(tick), x: x0 - 5, y: y(tick) + 4, size: major ? 11 : 10, anchor: "end", fill: major ? nil : "#666")
        }
        for threads in threadCounts {
            svg += SVGChart.line(x(threads), y0, x(threads), y1, stroke: "#f2f2f2")
            svg += SVGChart.text(String(threads), x: x(threads), y: y1 + 15, size: 11, anchor: "middle")
        }
        svg += SVGChart.line(x0, y1, x1, y1, stroke: "#444") + SVGChart.line(x0, y0, x0, y1, stroke: "#444")
        svg += SVGChart.text("threads", x: (x0 + x1) / 2, y: y1 + 32, size: 12, anchor: "middle")
        svg += SVGChart.verticalText(axis.label, x: left + 14, y: (y0 + y1) / 2, size: 11)
        for form in forms {
            let line = points.filter { $0.form == form && $0.medianMops > 0 }.sorted { $0.threads < $1.threads }
            guard !line.isEmpty else { continue }
            svg += polyline(line.map { (x($0.threads), y($0.medianMops)) }, form: form)
            for point in line {
                let ofC = point.scalingOverC.map { ", \(String(format2d: $0))× of C's scaling" } ?? ""
                svg += "<circle cx=\"\(SVGChart.f(x(point.threads)))\" cy=\"\(SVGChart.f(y(point.medianMops)))\" r=\"3\" "
                    + "fill=\"\(colour(form))\"><title>\(SVGChart.escape("\(backend), \(form.rawValue), \(point.threads) threads: "))"
                    + "\(SVGChart.escape(axis.format(point.medianMops) + " (\(String(format2d: point.scaling))×\(ofC))"))</title></circle>"
            }
        }
        return svg
    }

    private static func polyline(_ coordinates: [(Double, Double)], form: BlockForm) -> String {
        let dash = form == .c ? " stroke-dasharray=\"7 4\"" : ""
        let points = coordinates.map { "\(SVGChart.f($0.0)),\(SVGChart.f($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour(form))\" stroke-width=\"\(form == .c ? 2.5 : 2)\"\(dash)/>"
    }

    /// The axis's powers of ten (major) and, on an axis of at most two decades, 2× and 5× in
    /// between (minor), so a reader can place a line within its decade.
    static func ticks(_ axis: ChartAxis) -> [(value: Double, major: Bool)] {
        let majors = axis.ticks
        guard majors.count <= 3 else { return majors.map { ($0, true) } }
        var ticks: [(Double, Bool)] = []
        for major in majors {
            ticks.append((major, true))
            for factor in [2.0, 5.0] where major * factor < axis.upperBound { ticks.append((major * factor, false)) }
        }
        return ticks
    }
}

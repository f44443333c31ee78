import Foundation

/// The leaks section's "residue vs cost" plot: one row per defence, a residue bar (% of a
/// secret recovered) beside a cost bar, so no label sits on another. In-process defences (ns
/// per whole 1 KiB buffer) and allocator configurations (ns per 100 B malloc/free pair) are
/// measured in different units, so each group has a cost axis of its own.
enum SVGResidueCostChart {
    struct Row {
        var label: String
        var residuePercent: Double
        var nanoseconds: Double
        /// Min–max of the cost where it was measured over several runs.
        var range: ClosedRange<Double>? = nil
    }

    struct Group {
        var title: String
        /// What one cost figure is, with its unit: "ns per 1 KiB buffer".
        var costUnit: String
        var rows: [Row]
    }

    static let residueColour = "#D55E00"
    static let costColour = "#0072B2"

    static func render(title: String, groups: [Group]) -> String {
        let groups = groups.filter { !$0.rows.isEmpty }
        let width = 900.0
        let labelRight = 300.0
        let residueLeft = 310.0
        let residueRight = 560.0
        let costLeft = 610.0
        let costRight = 860.0
        let rowHeight = 18.0
        let groupHeader = 40.0
        let axisDepth = 36.0
        var y = 84.0
        var body = ""
        for group in groups {
            let costs = group.rows.flatMap { [$0.nanoseconds] + ($0.range.map { [$0.upperBound] } ?? []) }
            let axis = ChartAxis(title: group.costUnit, unit: .nanoseconds, logarithmic: true, values: costs)
            let residueAxis = ChartAxis(title: "secret recovered", unit: .percent, logarithmic: false, values: [100])
            body += SVGChart.text(group.title, x: 12, y: y + 14, size: 13, anchor: "start", weight: "bold")
            body += SVGChart.text("secret recovered (%)", x: (residueLeft + residueRight) / 2, y: y + 30, size: 11, anchor: "middle")
            body += SVGChart.text(
                "cost, \(group.costUnit) — log scale", x: (costLeft + costRight) / 2, y: y + 30, size: 11, anchor: "middle")
            let top = y + groupHeader
            let bottom = top + Double(group.rows.count) * rowHeight
            func residueX(_ percent: Double) -> Double { residueLeft + residueAxis.position(percent) * (residueRight - residueLeft) }
            func costX(_ value: Double) -> Double { costLeft + axis.position(value) * (costRight - costLeft) }
            for tick in residueAxis.ticks {
                body += SVGChart.line(residueX(tick), top, residueX(tick), bottom, stroke: "#e0e0e0")
                body += SVGChart.text(residueAxis.format(tick), x: residueX(tick), y: bottom + 14, size: 10, anchor: "middle")
            }
            for tick in axis.ticks {
                body += SVGChart.line(costX(tick), top, costX(tick), bottom, stroke: "#e0e0e0")
                body += SVGChart.text(axis.format(tick), x: costX(tick), y: bottom + 14, size: 10, anchor: "middle")
            }
            for (index, row) in group.rows.enumerated() {
                let rowTop = top + Double(index) * rowHeight
                let middle = rowTop + rowHeight / 2
                if index % 2 == 1 {
                    body +=
                        "<rect x=\"8\" y=\"\(SVGChart.f(rowTop))\" width=\"\(SVGChart.f(width - 16))\" height=\"\(SVGChart.f(rowHeight))\" fill=\"#f5f5f5\"/>"
                }
                body += SVGChart.text(row.label, x: labelRight, y: middle + 4, size: 11, anchor: "end")
                let residueEnd = residueX(row.residuePercent)
                body += bar(
                    residueLeft, residueEnd, middle, colour: residueColour, title: "\(row.label): \(residueAxis.format(row.residuePercent))"
                )
                body += SVGChart.text(residueAxis.format(row.residuePercent), x: residueEnd + 4, y: middle + 4, size: 10, anchor: "start")
                let costEnd = costX(row.nanoseconds)
                body += bar(costLeft, costEnd, middle, colour: costColour, title: "\(row.label): \(axis.format(row.nanoseconds))")
                if let range = row.range {
                    body +=
                        "<g stroke=\"#222\">"
                        + SVGChart.line(costX(range.lowerBound), middle, costX(range.upperBound), middle, stroke: "#222")
                        + SVGChart.line(costX(range.lowerBound), middle - 3, costX(range.lowerBound), middle + 3, stroke: "#222")
                        + SVGChart.line(costX(range.upperBound), middle - 3, costX(range.upperBound), middle + 3, stroke: "#222") + "</g>"
                }
                let labelX = Swift.max(costEnd, row.range.map { costX($0.upperBound) } ?? 0) + 4
                body += SVGChart.text(axis.format(row.nanoseconds), x: labelX, y: middle + 4, size: 10, anchor: "start")
            }
            body +=
                SVGChart.line(residueLeft, top, residueLeft, bottom, stroke: "#444")
                + SVGChart.line(costLeft, top, costLeft, bottom, stroke: "#444")
            y = bottom + axisDepth
        }
        let legendItems = [
            ("secret bytes recovered by the next allocation (lower is safer)", residueColour), ("cost (lower is cheaper)", costColour),
        ]
        var legend = ""
        var legendX = 12.0
        for (name, colour) in legendItems {
            legend += "<rect x=\"\(SVGChart.f(legendX))\" y=\"\(SVGChart.f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            legend += SVGChart.text(name, x: legendX + 18, y: y, size: 12, anchor: "start")
            legendX += 30 + SVGChart.textWidth(name, size: 12)
        }
        legend += SVGChart.text("Whiskers: min–max of the cost over its runs.", x: 12, y: y + 20, size: 11, anchor: "start", fill: "#444")
        let height = Int(y + 34)
        let subtitle = "One row per defence; each group's cost is in its own unit, so compare costs within a group only."
        return SVGChart.header(width: Int(width), height: height, title: title, subtitle: subtitle) + body + legend + "</svg>\n"
    }

    private static func bar(_ left: Double, _ right: Double, _ middle: Double, colour: String, title: String) -> String {
        "<rect x=\"\(SVGChart.f(left))\" y=\"\(SVGChart.f(middle - 5))\" width=\"\(SVGChart.f(Swift.max(right - left, 1)))\" height=\"10\" "
            + "fill=\"\(colour)\"><title>\(SVGChart.escape(title))</title></rect>"
    }
}

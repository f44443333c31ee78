import Foundation

/// Small hand-drawn SVG charts (grouped bars, heat maps), readable in any browser, with no
/// dependencies. Every chart has a title, axis titles with units, and a legend; no mark covers
/// another (bars stand side by side, heat-map cells print their value).
enum SVGChart {
    /// Colour-blind-safe categorical colours (Okabe–Ito), in legend order.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    /// The same colours for thin lines and small marks, ordered so that the first six are far
    /// apart: the sky blue next to the blue and the yellow on white are hard to tell at 2 px.
    static let linePalette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#000000", "#D55E00", "#56B4E9", "#F0E442"]

    /// One bar per category.
    struct Series {
        var name: String
        var values: [Double?]
        /// Per category, the range the value was measured within, drawn as a whisker over the bar.
        var ranges: [ClosedRange<Double>?]? = nil
    }

    /// A short horizontal mark per category across its group of bars (e.g. the RSS before
    /// the workload), drawn dashed over the bars and named in the legend.
    struct Marker {
        var name: String
        var values: [Double?]
    }

    /// Grouped bars: one group per category, one bar per series, side by side.
    /// - Parameters:
    ///   - subtitle: one line under the title saying how to read the chart.
    ///   - valueLabels: print each bar's value above it (for a few bars on a linear axis).
    static func groupedBars(
        title: String, subtitle: String, xTitle: String, categories: [String], series: [Series], axis: ChartAxis,
        marker: Marker? = nil, valueLabels: Bool = false
    ) -> String {
        let barWidth = valueLabels ? 26.0 : 11.0
        let barGap = 2.0
        let groupGap = 26.0
        let groupWidth = Double(series.count) * (barWidth + barGap) - barGap
        let longestCategory = categories.map { textWidth($0, size: 11) }.max() ?? 0
        // Labels wider than their group are turned 35°; their height then grows with the longest.
        let turnLabels = longestCategory > groupWidth + groupGap - 6
        let labelDepth = turnLabels ? longestCategory * 0.6 + 16 : 20
        let plotLeft = 86.0
        let plotTop = 72.0
        let plotHeight = 260.0
        let plotWidth = Double(categories.count) * (groupWidth + groupGap)
        let plotBottom = plotTop + plotHeight
        // Wide enough for the title and subtitle too: with few categories they are wider than the plot.
        let width = Int(Swift.max(plotLeft + plotWidth + 24, 24 + textWidth(subtitle, size: 12), 24 + textWidth(title, size: 16)))
        let legendItems =
            series.map { LegendItem(name: $0.name, kind: .box) } + (marker.map { [LegendItem(name: $0.name, kind: .dash)] } ?? [])
        let legendTop = plotBottom + labelDepth + 34
        let (legend, legendHeight) = legendBlock(legendItems, x: plotLeft, y: legendTop, width: Double(width) - plotLeft - 12)
        let height = Int(legendTop + legendHeight + 8)
        func y(_ value: Double) -> Double { plotBottom - axis.position(value) * plotHeight }

        var svg = header(width: width, height: height, title: title, subtitle: subtitle)
        for tick in axis.ticks {
            svg += line(plotLeft, y(tick), plotLeft + plotWidth, y(tick), stroke: "#d9d9d9")
            svg += text(axis.format(tick), x: plotLeft - 6, y: y(tick) + 4, size: 11, anchor: "end")
        }
        svg += line(plotLeft, plotBottom, plotLeft + plotWidth, plotBottom, stroke: "#444")
        svg += line(plotLeft, plotTop, plotLeft, plotBottom, stroke: "#444")
        svg += verticalText(axis.label, x: 18, y: plotTop + plotHeight / 2, size: 12)
        var x = plotLeft + groupGap / 2
        for (categoryIndex, category) in categories.enumerated() {
            let groupStart = x
            for (seriesIndex, item) in series.enumerated() {
                if let value = item.values[categoryIndex], !axis.logarithmic || value > 0 {
                    let top = y(value)
                    svg +=
                        "<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(barWidth))\" height=\"\(f(plotBottom - top))\" fill=\"\(palette[seriesIndex % palette.count])\">"
                    svg += "<title>\(escape(item.name)), \(escape(category)): \(axis.format(value))</title></rect>"
                    if let range = item.ranges?[categoryIndex] {
                        // A whisker with caps, dark so it reads over every bar colour.
                        let center = x + barWidth / 2
                        let low = y(range.lowerBound)
                        let high = y(range.upperBound)
                        svg +=
                            "<g stroke=\"#222\" stroke-width=\"1.2\"><title>\(escape(item.name)), \(escape(category)): "
                            + "\(axis.format(range.lowerBound))–\(axis.format(range.upperBound))</title>"
                            + line(center, low, center, high, stroke: "#222") + line(center - 3, low, center + 3, low, stroke: "#222")
                            + line(center - 3, high, center + 3, high, stroke: "#222") + "</g>"
                    }
                    if valueLabels {
                        svg += text(String(format1: value), x: x + barWidth / 2, y: top - 4, size: 10, anchor: "middle")
                    }
                }
                x += barWidth + barGap
            }
            if let marker, let value = marker.values[categoryIndex] {
                let my = y(value)
                svg +=
                    "<line x1=\"\(f(groupStart - 5))\" y1=\"\(f(my))\" x2=\"\(f(groupStart + groupWidth + 5))\" y2=\"\(f(my))\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"6 3\">"
                svg += "<title>\(escape(marker.name)), \(escape(category)): \(axis.format(value))</title></line>"
            }
            let center = groupStart + groupWidth / 2
            if turnLabels {
                svg +=
                    "<text x=\"\(f(center))\" y=\"\(f(plotBottom + 14))\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 \(f(center)) \(f(plotBottom + 14)))\">\(escape(category))</text>"
            } else {
                svg += text(category, x: center, y: plotBottom + 16, size: 11, anchor: "middle")
            }
            x = groupStart + groupWidth + groupGap
        }
        svg += text(xTitle, x: plotLeft + plotWidth / 2, y: plotBottom + labelDepth + 14, size: 12, anchor: "middle")
        return svg + legend + "</svg>\n"
    }

    // MARK: - Pieces shared by the charts

    /// A value label without unit suffixes ("12.5", "250", "60000"); axes should prefer
    /// ``ChartAxis/format(_:)``, which adds the unit.
    static func label(_ value: Double) -> String { ChartAxis.compact(value) }

    /// The next 1, 2 or 5 × 10^k at or above `value` (see ``ChartAxis/niceCeiling(_:)``).
    static func niceCeiling(_ value: Double) -> Double { ChartAxis.niceCeiling(value) }

    struct LegendItem {
        enum Kind { case box, dash }
        var name: String
        var kind: Kind
    }

    /// Legend entries in rows that wrap at `width`; returns the SVG and its height.
    static func legendBlock(_ items: [LegendItem], x: Double, y: Double, width: Double) -> (String, Double) {
        var svg = ""
        var offsetX = 0.0
        var row = 0.0
        var colourIndex = 0
        for item in items {
            let itemWidth = 30 + textWidth(item.name, size: 12)
            if offsetX > 0, offsetX + itemWidth > width {
                offsetX = 0
                row += 1
            }
            let left = x + offsetX
            let baseline = y + row * 20
            switch item.kind {
            case .box:
                svg +=
                    "<rect x=\"\(f(left))\" y=\"\(f(baseline - 10))\" width=\"12\" height=\"12\" fill=\"\(palette[colourIndex % palette.count])\"/>"
                colourIndex += 1
            case .dash:
                svg +=
                    "<line x1=\"\(f(left - 2))\" y1=\"\(f(baseline - 4))\" x2=\"\(f(left + 16))\" y2=\"\(f(baseline - 4))\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            }
            svg += text(item.name, x: left + 18, y: baseline, size: 12, anchor: "start")
            offsetX += itemWidth
        }
        return (svg, (row + 1) * 20)
    }

    static func header(width: Int, height: Int, title: String, subtitle: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans, Verdana, sans-serif\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
            + "<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>"
            + (subtitle.isEmpty ? "" : "<text x=\"12\" y=\"44\" font-size=\"12\" fill=\"#444\">\(escape(subtitle))</text>")
    }

    static func text(_ content: String, x: Double, y: Double, size: Int, anchor: String, fill: String? = nil, weight: String? = nil)
        -> String
    {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\""
            + (fill.map { " fill=\"\($0)\"" } ?? "") + (weight.map { " font-weight=\"\($0)\"" } ?? "") + ">\(escape(content))</text>"
    }

    static func verticalText(_ content: String, x: Double, y: Double, size: Int) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(escape(content))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>"
    }

    /// A rough width of `content` in a sans-serif font, for layout (no font metrics here).
    static func textWidth(_ content: String, size: Int) -> Double {
        Double(content.count) * Double(size) * 0.6
    }

    /// Coordinates with at most one decimal, so the files stay small.
    static func f(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

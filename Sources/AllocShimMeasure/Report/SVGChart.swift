import Foundation

/// Minimal SVG charts (grouped bars, lines), readable in any browser, no dependencies.
enum SVGChart {
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f"]

    struct Series {
        var name: String
        var values: [Double?]
    }

    /// Grouped bars: one group per category, one bar per series. `logScale` for values that
    /// span orders of magnitude (nanoseconds from 10 to 10^6).
    static func groupedBars(title: String, yLabel: String, categories: [String], series: [Series], logScale: Bool) -> String {
        let width = 120 + categories.count * (series.count * 12 + 24)
        let height = 500
        let plotTop = 50.0, plotBottom = 320.0, plotLeft = 80.0
        let all = series.flatMap { $0.values.compactMap { $0 } }.filter { $0 > 0 }
        let maxValue = logScale ? (all.max() ?? 1) * 2 : niceCeiling((all.max() ?? 1) * 1.05)
        let minValue = logScale ? Swift.max((all.min() ?? 1) / 2, 1e-3) : 0
        func y(_ value: Double) -> Double {
            let fraction = logScale ? (log10(Swift.max(value, minValue)) - log10(minValue)) / (log10(maxValue) - log10(minValue)) : value / maxValue
            return plotBottom - fraction * (plotBottom - plotTop)
        }
        var svg = header(width: width, height: height, title: title)
        // Axis and grid.
        for tick in ticks(min: minValue, max: maxValue, log: logScale) {
            let ty = y(tick)
            svg += "<line x1=\"\(plotLeft)\" y1=\"\(ty)\" x2=\"\(width - 20)\" y2=\"\(ty)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(plotLeft - 6)\" y=\"\(ty + 4)\" text-anchor=\"end\" font-size=\"11\">\(label(tick))</text>"
        }
        svg += "<text x=\"16\" y=\"\((plotTop + plotBottom) / 2)\" transform=\"rotate(-90 16 \((plotTop + plotBottom) / 2))\" text-anchor=\"middle\" font-size=\"12\">\(escape(yLabel))</text>"
        var x = plotLeft + 12
        for (categoryIndex, category) in categories.enumerated() {
            let groupStart = x
            for (seriesIndex, item) in series.enumerated() {
                if let value = item.values[categoryIndex], value > 0 {
                    let top = y(value)
                    svg += "<rect x=\"\(x)\" y=\"\(top)\" width=\"10\" height=\"\(plotBottom - top)\" fill=\"\(palette[seriesIndex % palette.count])\"><title>\(escape(item.name)) \(escape(category)): \(label(value))</title></rect>"
                }
                x += 12
            }
            let center = (groupStart + x) / 2
            svg += "<text x=\"\(center)\" y=\"\(plotBottom + 12)\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-40 \(center) \(plotBottom + 12))\">\(escape(category))</text>"
            x += 24
        }
        svg += legend(series.map(\.name), x: plotLeft, y: Double(height) - 16)
        return svg + "</svg>\n"
    }

    /// Lines over a logarithmic x axis (sizes), one per series, y from 0 to 100.
    static func percentLines(title: String, xValues: [Int], series: [Series]) -> String {
        let width = 640, height = 360
        let plotTop = 50.0, plotBottom = 280.0, plotLeft = 70.0, plotRight = Double(width) - 30
        let logMin = log2(Double(xValues.min() ?? 1)), logMax = log2(Double(xValues.max() ?? 2))
        func x(_ value: Int) -> Double {
            plotLeft + (log2(Double(value)) - logMin) / Swift.max(logMax - logMin, 1) * (plotRight - plotLeft)
        }
        func y(_ percent: Double) -> Double { plotBottom - percent / 100 * (plotBottom - plotTop) }
        var svg = header(width: width, height: height, title: title)
        for tick in stride(from: 0.0, through: 100.0, by: 25.0) {
            svg += "<line x1=\"\(plotLeft)\" y1=\"\(y(tick))\" x2=\"\(plotRight)\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(plotLeft - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\" font-size=\"11\">\(Int(tick))%</text>"
        }
        for value in xValues {
            svg += "<text x=\"\(x(value))\" y=\"\(plotBottom + 16)\" text-anchor=\"middle\" font-size=\"10\">\(sizeLabel(value))</text>"
        }
        for (index, item) in series.enumerated() {
            let color = palette[index % palette.count]
            let points = zip(xValues, item.values).compactMap { size, value in value.map { "\(x(size)),\(y($0))" } }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            for (size, value) in zip(xValues, item.values) {
                if let value {
                    svg += "<circle cx=\"\(x(size))\" cy=\"\(y(value))\" r=\"3\" fill=\"\(color)\"><title>\(escape(item.name)) \(sizeLabel(size)): \(label(value))%</title></circle>"
                }
            }
        }
        svg += legend(series.map(\.name), x: plotLeft, y: Double(height) - 30)
        return svg + "</svg>\n"
    }

    /// The next 1, 2 or 5 × 10^k at or above `value`, so linear axes get round ticks.
    static func niceCeiling(_ value: Double) -> Double {
        let magnitude = pow(10, floor(log10(Swift.max(value, 1e-9))))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private static func header(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
            + "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>"
    }

    private static func legend(_ names: [String], x: Double, y: Double) -> String {
        var svg = ""
        var offset = x
        for (index, name) in names.enumerated() {
            svg += "<rect x=\"\(offset)\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(offset + 16)\" y=\"\(y)\" font-size=\"12\">\(escape(name))</text>"
            offset += 26 + Double(name.count) * 7
        }
        return svg
    }

    private static func ticks(min: Double, max: Double, log: Bool) -> [Double] {
        if log {
            var values: [Double] = []
            var tick = pow(10, floor(log10(min)))
            while tick <= max {
                if tick >= min { values.append(tick) }
                tick *= 10
            }
            return values
        }
        let step = max / 5
        return (0...5).map { Double($0) * step }
    }

    static func label(_ value: Double) -> String {
        if value >= 1_000_000 { return "\(String(format1: value / 1_000_000))M" }
        if value >= 10_000 { return "\(Int((value / 1000).rounded()))k" }
        if value >= 100 { return String(Int(value.rounded())) }
        return String(format1: value)
    }

    static func sizeLabel(_ size: Int) -> String {
        if size >= 1 << 20, size % (1 << 20) == 0 { return "\(size >> 20)M" }
        if size >= 1024, size % 1024 == 0 { return "\(size >> 10)K" }
        return String(size)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

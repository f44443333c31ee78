import Foundation

/// A heat map: rows × columns of cells, each coloured by a percentage and printing it, so
/// every value is visible at once and none hides another (as overlapping lines did).
enum SVGHeatMap {
    /// One cell's content.
    enum Cell: Equatable {
        /// A measured percentage (0...100) with the spread over rounds.
        case value(mean: Double, min: Double, max: Double)
        /// The measurement does not apply to this row and column.
        case notApplicable
        /// Not measured.
        case missing
    }

    static let cellWidth = 66.0, cellHeight = 38.0

    /// - Parameters:
    ///   - rows: labels down the left side (e.g. allocators).
    ///   - columns: labels along the bottom (e.g. block sizes).
    ///   - cells: `cells[row][column]`.
    static func render(
        title: String, subtitle: String, rowTitle: String, columnTitle: String, legendTitle: String, rows: [String], columns: [String],
        cells: [[Cell]]
    ) -> String {
        let rowLabelWidth = (rows.map { SVGChart.textWidth($0, size: 12) }.max() ?? 40) + 14
        let gridLeft = 34 + rowLabelWidth, gridTop = 62.0
        let gridWidth = Double(columns.count) * cellWidth, gridHeight = Double(rows.count) * cellHeight
        let legendLeft = gridLeft + gridWidth + 24
        let width = Int(Swift.max(legendLeft + 86, SVGChart.textWidth(subtitle, size: 12) + 24))
        let legendHeight = Swift.max(gridHeight, 120)
        let height = Int(gridTop + Swift.max(gridHeight + 62, legendHeight + 12))
        var svg = SVGChart.header(width: width, height: height, title: title, subtitle: subtitle)
        for (rowIndex, row) in rows.enumerated() {
            let top = gridTop + Double(rowIndex) * cellHeight
            svg += SVGChart.text(row, x: gridLeft - 8, y: top + cellHeight / 2 + 4, size: 12, anchor: "end")
            for (columnIndex, column) in columns.enumerated() {
                let left = gridLeft + Double(columnIndex) * cellWidth
                svg += cell(cells[rowIndex][columnIndex], left: left, top: top, tooltip: "\(row), \(column)")
            }
        }
        for (columnIndex, column) in columns.enumerated() {
            let center = gridLeft + (Double(columnIndex) + 0.5) * cellWidth
            svg += SVGChart.text(column, x: center, y: gridTop + gridHeight + 16, size: 11, anchor: "middle")
        }
        svg += SVGChart.text(columnTitle, x: gridLeft + gridWidth / 2, y: gridTop + gridHeight + 38, size: 12, anchor: "middle")
        svg += SVGChart.verticalText(rowTitle, x: 16, y: gridTop + gridHeight / 2, size: 12)
        svg += colourLegend(title: legendTitle, left: legendLeft, top: gridTop, height: legendHeight)
        return svg + "</svg>\n"
    }

    private static func cell(_ cell: Cell, left: Double, top: Double, tooltip: String) -> String {
        let f = SVGChart.f
        // A white outline keeps neighbouring cells of similar colour apart.
        let box = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(cellWidth))\" height=\"\(f(cellHeight))\" stroke=\"white\" stroke-width=\"2\""
        let centerX = left + cellWidth / 2
        switch cell {
        case .value(let mean, let low, let high):
            let colour = self.colour(mean)
            var svg = box + " fill=\"\(colour.hex)\"><title>\(SVGChart.escape("\(tooltip): \(percent(mean)) mean, \(percent(low))–\(percent(high)) over rounds"))</title></rect>"
            let ink = colour.isDark ? "white" : "black"
            let spread = high - low >= 1
            svg += SVGChart.text(percent(mean), x: centerX, y: top + (spread ? 17 : 23), size: 13, anchor: "middle", fill: ink, weight: "bold")
            if spread {
                svg += SVGChart.text("\(Int(low.rounded()))–\(Int(high.rounded()))", x: centerX, y: top + 31, size: 9, anchor: "middle", fill: ink)
            }
            return svg
        case .notApplicable:
            return box + " fill=\"#eeeeee\"><title>\(SVGChart.escape(tooltip)): not applicable</title></rect>"
                + SVGChart.text("n/a", x: centerX, y: top + 23, size: 11, anchor: "middle", fill: "#777")
        case .missing:
            return box + " fill=\"#fafafa\"><title>\(SVGChart.escape(tooltip)): not measured</title></rect>"
                + SVGChart.text("—", x: centerX, y: top + 23, size: 11, anchor: "middle", fill: "#999")
        }
    }

    /// The printed value: whole percent; "<1%" keeps a trace distinguishable from none.
    static func percent(_ value: Double) -> String {
        if value > 0, value < 1 { return "<1%" }
        if value < 100, value > 99 { return ">99%" }
        return "\(Int(value.rounded()))%"
    }

    private static func colourLegend(title: String, left: Double, top: Double, height: Double) -> String {
        let f = SVGChart.f
        var svg = "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for stop in stride(from: 0.0, through: 100.0, by: 25.0) {
            svg += "<stop offset=\"\(Int(stop))%\" stop-color=\"\(colour(stop).hex)\"/>"
        }
        svg += "</linearGradient></defs>"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"14\" height=\"\(f(height))\" fill=\"url(#scale)\" stroke=\"#999\"/>"
        for tick in stride(from: 0.0, through: 100.0, by: 25.0) {
            let y = top + height - tick / 100 * height
            svg += SVGChart.line(left + 14, y, left + 18, y, stroke: "#444")
            svg += SVGChart.text("\(Int(tick))%", x: left + 21, y: y + 4, size: 10, anchor: "start")
        }
        svg += SVGChart.verticalText(title, x: left + 66, y: top + height / 2, size: 11)
        return svg
    }

    struct Colour {
        var red: Double, green: Double, blue: Double
        var hex: String {
            "#" + [red, green, blue].map { component in
                let byte = Int(component.rounded())
                return (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }.joined()
        }
        /// Relative luminance below the midpoint: white text reads better on it.
        var isDark: Bool { (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255 < 0.5 }
    }

    /// A sequential scale, light for 0% (nothing leaked) to dark red for 100% (all of it).
    static func colour(_ percent: Double) -> Colour {
        let stops: [(Double, Colour)] = [
            (0, Colour(red: 255, green: 247, blue: 236)), (25, Colour(red: 253, green: 212, blue: 158)),
            (50, Colour(red: 252, green: 141, blue: 89)), (75, Colour(red: 215, green: 48, blue: 31)), (100, Colour(red: 127, green: 0, blue: 0)),
        ]
        let value = Swift.min(Swift.max(percent, 0), 100)
        for index in 1..<stops.count where value <= stops[index].0 {
            let (low, from) = stops[index - 1], (high, to) = stops[index]
            let t = (value - low) / (high - low)
            return Colour(red: from.red + (to.red - from.red) * t, green: from.green + (to.green - from.green) * t, blue: from.blue + (to.blue - from.blue) * t)
        }
        return stops[stops.count - 1].1
    }
}

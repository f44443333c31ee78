/// The measurement layer's one way to print a figure with a fixed number of decimals, without
/// Foundation's formatter (tables in report.md, on the terminal and in the SVG labels' text).
/// Chart tick labels, which want significant digits rather than fixed decimals, use
/// `ChartAxis.compact`.
extension String {
    /// `value` with exactly `decimals` digits after the point, rounded half away from zero
    /// ("0.900", "1.025"); the sign is kept whenever the rounded figure is not zero ("-0.5"),
    /// and a value that is not finite is "—".
    init(_ value: Double, decimals: Int) {
        guard value.isFinite else {
            self = "—"
            return
        }
        let scale = (0..<Swift.max(decimals, 0)).reduce(1.0) { power, _ in power * 10 }
        let scaled = (value.magnitude * scale).rounded()
        // Beyond Int's range (never a real figure) Swift's own description is the honest answer.
        guard scaled < 9.0e18 else {
            self = "\(value)"
            return
        }
        let units = Int(scaled)
        let divisor = Int(scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else {
            self = sign + "\(units)"
            return
        }
        let fraction = String(units % divisor)
        self = sign + "\(units / divisor)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// One decimal place: "12.3".
    init(format1 value: Double) { self.init(value, decimals: 1) }

    /// Two decimal places: "0.95".
    init(format2d value: Double) { self.init(value, decimals: 2) }
}

import Foundation

/// A value axis of a chart: its title, its unit, linear or logarithmic, and the tick labels
/// that go with them. Tick labels always carry the unit and one format per axis
/// ("10 ns, 100 ns, 1 µs, 10 µs", "0 MiB, 20 MiB, 40 MiB"), so a reader never has to guess
/// what "10k" or "1.0M" means.
struct ChartAxis {
    /// What the values measure, with the unit they are drawn in.
    enum Unit {
        /// Nanoseconds, labelled ns, µs, ms, s.
        case nanoseconds
        /// Mebibytes, labelled MiB (GiB from 1024 MiB).
        case mebibytes
        /// A share, 0...100, labelled %.
        case percent
        /// Events per second, labelled "/s" (requests/s in the soak).
        case perSecond
        /// Millions of operations per second, labelled "M/s" (the thread sweep).
        case millionPerSecond
    }

    var title: String
    var unit: Unit
    var logarithmic: Bool
    /// The axis range: for a logarithmic axis whole powers of ten around the data, for a
    /// linear one 0 to a round number above the data.
    var lowerBound: Double
    var upperBound: Double

    /// An axis that holds `values` (non-positive values are ignored on a logarithmic axis).
    init(title: String, unit: Unit, logarithmic: Bool, values: [Double]) {
        self.title = title
        self.unit = unit
        self.logarithmic = logarithmic
        if logarithmic {
            let positive = values.filter { $0 > 0 }
            lowerBound = pow(10, floor(log10(positive.min() ?? 1)))
            upperBound = pow(10, ceil(log10(positive.max() ?? 10)))
            if upperBound <= lowerBound { upperBound = lowerBound * 10 }
        } else {
            lowerBound = 0
            upperBound = unit == .percent ? 100 : Self.niceCeiling((values.max() ?? 1) * 1.1)
        }
    }

    /// The title as printed beside the axis, stating a logarithmic scale.
    var label: String { logarithmic ? "\(title) — log scale" : title }

    /// Where `value` lies on the axis, 0 (lower bound) to 1 (upper bound), clamped.
    func position(_ value: Double) -> Double {
        let fraction: Double
        if logarithmic {
            fraction = (log10(Swift.max(value, lowerBound)) - log10(lowerBound)) / (log10(upperBound) - log10(lowerBound))
        } else {
            fraction = (value - lowerBound) / (upperBound - lowerBound)
        }
        return Swift.min(Swift.max(fraction, 0), 1)
    }

    /// Major ticks: every power of ten on a logarithmic axis, five even steps on a linear one.
    var ticks: [Double] {
        if logarithmic {
            let first = Int(log10(lowerBound).rounded()), last = Int(log10(upperBound).rounded())
            return (first...last).map { pow(10, Double($0)) }
        }
        let step = (upperBound - lowerBound) / 5
        return (0...5).map { lowerBound + Double($0) * step }
    }

    /// A tick or value label with its unit.
    func format(_ value: Double) -> String { Self.format(value, unit: unit) }

    static func format(_ value: Double, unit: Unit) -> String {
        switch unit {
        case .nanoseconds:
            let scales: [(Double, String)] = [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")]
            let (divisor, name) = scales.first { value >= $0.0 } ?? (1, "ns")
            return "\(compact(value / divisor)) \(name)"
        case .mebibytes:
            return value >= 1024 ? "\(compact(value / 1024)) GiB" : "\(compact(value)) MiB"
        case .percent:
            return "\(compact(value))%"
        case .perSecond:
            return "\(compact(value))/s"
        case .millionPerSecond:
            return "\(compact(value)) M/s"
        }
    }

    /// Up to three significant digits, no trailing ".0": 1, 2.5, 10, 12.5, 100, 250.
    static func compact(_ value: Double) -> String {
        if value == 0 { return "0" }
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// Bytes as people write block sizes: "16 B", "100 B", "1 KiB", "10 KiB", "1 MiB";
    /// sizes that are not whole KiB or MiB stay in bytes.
    static func byteSize(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    /// The next 1, 2 or 5 × 10^k at or above `value`, so linear axes get round ticks.
    static func niceCeiling(_ value: Double) -> Double {
        let magnitude = pow(10, floor(log10(Swift.max(value, 1e-9))))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }
}

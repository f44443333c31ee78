#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The measurement layer's one statistics helper: every median, percentile and spread in a
/// table, chart or JSON file is computed here, so every figure means the same thing.
///
/// Quantiles interpolate linearly between the two closest ranks (Hyndman and Fan's type 7,
/// the default of R and NumPy), so `quantile(0.5)` is the true median: the middle value for
/// an odd count and the mean of the two middle values for an even count. (Taking the upper
/// middle instead made the median of two soak runs their maximum.)
package struct Statistics: Sendable, Hashable {
    /// The values, ascending; never empty.
    package let sorted: [Double]

    /// The statistics of `values`, or `nil` when there are none: an empty sample has no median.
    package init?(_ values: some Sequence<Double>) {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        self.sorted = sorted
    }

    package var count: Int { sorted.count }
    package var minimum: Double { sorted[0] }
    package var maximum: Double { sorted[sorted.count - 1] }
    package var mean: Double { sorted.reduce(0, +) / Double(sorted.count) }
    package var median: Double { quantile(0.5) }

    /// The value below which `fraction` (0…1) of the sample lies, interpolated between the two
    /// closest ranks.
    package func quantile(_ fraction: Double) -> Double {
        precondition((0...1).contains(fraction), "quantile \(fraction) is outside 0...1")
        let position = Double(sorted.count - 1) * fraction
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// (max − min) / median: how far apart the repetitions were, relative to their middle
    /// (0 when the median is not positive, where a ratio would mean nothing).
    package var relativeSpread: Double {
        let middle = median
        return middle > 0 ? (maximum - minimum) / middle : 0
    }
}

/// The median of values known to be there (a repetition count is at least 1).
func median(_ values: [Double]) -> Double {
    guard let statistics = Statistics(values) else { preconditionFailure("median of no values") }
    return statistics.median
}

/// (max − min) / median of values known to be there.
func relativeSpread(_ values: [Double]) -> Double {
    guard let statistics = Statistics(values) else { preconditionFailure("spread of no values") }
    return statistics.relativeSpread
}

/// The geometric mean of the positive values, `nil` when there are none.
func geometricMean(_ values: [Double]) -> Double? {
    let positive = values.filter { $0 > 0 }
    guard !positive.isEmpty else { return nil }
    return exp(positive.map { log($0) }.reduce(0, +) / Double(positive.count))
}

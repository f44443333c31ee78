import Foundation

/// The soak's figures as a Markdown table: per allocator, the median over repetitions and the
/// range [min–max], so differences within run-to-run noise are visible as overlapping ranges.
package enum SoakSummary {
    /// One row per allocator label.
    package static func markdown(_ report: SoakReport) -> String {
        var table = Table(
            ["process allocator", "runs", "requests/s (burst)", "MiB/s echoed", "p50 ms", "p99 ms", "peak RSS MiB", "RSS after idle MiB", "errors"].map {
                ($0, .left)
            })
        for label in SoakChart.labelsInOrder(report) {
            let runs = report.runs.filter { $0.label == label }
            table.append([
                SoakText.markdownCell(label), String(runs.count), spread(runs.map(\.requestsPerSecond)), spread(runs.map(\.mebibytesPerSecond)),
                spread(runs.map(\.medianP50Milliseconds), decimals: 1), spread(runs.map(\.medianP99Milliseconds), decimals: 1),
                spread(runs.map(\.peakResidentMiB)), spread(runs.map(\.residentAfterIdleMiB)), String(runs.map(\.errors).reduce(0, +)),
            ])
        }
        return table.markdown
    }

    /// The trim/purge cost table.
    package static func releaseMarkdown(_ costs: [ReleaseCost]) -> String {
        var table = Table(["process allocator", "call", "median µs", "min–max µs", "RSS released (median MiB)"].map { ($0, .left) })
        for cost in costs {
            table.append([
                SoakText.markdownCell(cost.label), SoakText.markdownCell(cost.allocator ?? "none"), format(cost.medianMicroseconds, 0),
                "\(format(cost.minimumMicroseconds, 0))–\(format(cost.maximumMicroseconds, 0))", format(cost.medianReleasedMiB, 1),
            ])
        }
        return table.markdown
    }

    /// `median [min–max]`, or the single value for one run.
    static func spread(_ values: [Double], decimals: Int = 0) -> String {
        guard let statistics = Statistics(values) else { return "–" }
        let median = format(statistics.median, decimals)
        return statistics.count == 1
            ? median : "\(median) [\(format(statistics.minimum, decimals))–\(format(statistics.maximum, decimals))]"
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}

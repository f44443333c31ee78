/// The "good for" rules of the summary, derived from one run's figures.
///
/// A backend is named best at something only where the figures separate it from the others:
/// two figures with a spread differ when their ranges (value ± half the spread) do not
/// overlap; figures measured once (RSS, legacy thread scaling) or as means (residue) differ
/// by more than a stated tolerance. Where several backends cannot be told apart from the best,
/// each is "among the best"; where none can, the summary says so in a note instead of naming one.
package enum SummaryRules {
    /// RSS figures within this many MiB of the lowest count as equal: one run each, no spread,
    /// and the process's own start-up varies by about this much between runs.
    package static let rssToleranceMiB = 1.0
    /// Residue means within this many percentage points of the lowest count as equal.
    package static let residueTolerancePoints = 1.0
    /// Figures with no measured spread count as equal within this share of the best.
    package static let unmeasuredTolerance = 0.05

    /// The size groups speed is judged by: the scenarios of each buffer size together.
    static let speedGroups: [(name: String, size: Int)] = [("100 B", 100), ("10 KiB", 10 * 1024), ("1 MiB", 1 << 20)]

    static func derive(
        backends: [String], speed: [ReportSummary.ScenarioSpeed], fragmentation: [String: FragmentationResult],
        residue: [ReportSummary.ResidueRow], scaling: ReportSummary.Scaling?
    ) -> (goodFor: [String: [String]], notes: [String]) {
        var goodFor: [String: [String]] = [:]
        var notes: [String] = []
        func award(_ winners: [String], among candidates: [String], best: String, among tied: String, undecided: String) {
            guard candidates.count > 1 else { return }
            if winners.count == candidates.count {
                notes.append(undecided)
            } else if winners.count == 1 {
                goodFor[winners[0], default: []].append(best)
            } else {
                for winner in winners { goodFor[winner, default: []].append(tied) }
            }
        }
        for group in speedGroups {
            let scenarios = speed.filter { $0.scenario.size == group.size }
            guard !scenarios.isEmpty else { continue }
            // A backend is judged on a size only where it ran every scenario of that size.
            let candidates = backends.filter { backend in scenarios.allSatisfy { $0.relative[backend] != nil } }
            let figures = Dictionary(
                uniqueKeysWithValues: candidates.map { backend in
                    (backend, geometricMeanFigure(scenarios.map { $0.relative[backend]! }))
                })
            award(
                lowest(figures, among: candidates), among: candidates, best: "fastest at \(group.name)",
                among: "among the fastest at \(group.name)",
                undecided: "At \(group.name) no backend is faster than the others beyond the measured spread.")
        }
        let rssCandidates = backends.filter { fragmentation[$0] != nil }
        award(
            lowest(rssCandidates.map { ($0, fragmentation[$0]!.afterPurgeRssMiB) }, tolerance: rssToleranceMiB), among: rssCandidates,
            best: "lowest RSS after purge", among: "among the lowest RSS after purge",
            undecided: "After a purge every backend's RSS is within \(ChartAxis.compact(rssToleranceMiB)) MiB of the lowest.")
        award(
            lowest(rssCandidates.map { ($0, fragmentation[$0]!.peakRssMiB) }, tolerance: rssToleranceMiB), among: rssCandidates,
            best: "lowest peak RSS", among: "among the lowest peak RSS",
            undecided: "At peak every backend's RSS is within \(ChartAxis.compact(rssToleranceMiB)) MiB of the lowest.")
        for row in residue {
            let candidates = backends.filter { row.results[$0] != nil }
            let size = ChartAxis.byteSize(row.size)
            award(
                lowest(candidates.map { ($0, row.results[$0]!.recoveredPercent) }, tolerance: residueTolerancePoints), among: candidates,
                best: "least residue at \(size)", among: "among the least residue at \(size)",
                undecided: "At \(size) (\(row.scenario.rawValue)) every backend leaves about the same residue.")
        }
        if let scaling {
            let candidates = backends.filter { scaling.perBackend[$0] != nil }
            // Scaling: higher is better; compare the reciprocals so "lowest" applies.
            let inverted = Dictionary(
                uniqueKeysWithValues: candidates.map { backend in
                    let figure = scaling.perBackend[backend]!
                    return (backend, ReportSummary.Figure(value: 1 / Swift.max(figure.value, 1e-9), spread: figure.spread))
                })
            award(
                lowest(inverted, among: candidates), among: candidates, best: "best thread scaling", among: "among the best thread scaling",
                undecided: "Thread scaling (\(scaling.threads) threads) does not separate the backends beyond the measured spread.")
        }
        return (goodFor, notes)
    }

    /// The geometric mean of relative figures, with the mean of their spreads.
    static func geometricMeanFigure(_ figures: [ReportSummary.Figure]) -> ReportSummary.Figure {
        let mean = AllocShimMeasure.geometricMean(figures.map(\.value)) ?? .nan
        let spreads = figures.compactMap(\.spread)
        return ReportSummary.Figure(value: mean, spread: spreads.isEmpty ? nil : spreads.reduce(0, +) / Double(spreads.count))
    }

    /// The candidates that cannot be told apart from the lowest figure: their range overlaps the
    /// best's (value ± half the spread), or, without spreads, they lie within ``unmeasuredTolerance``.
    static func lowest(_ figures: [String: ReportSummary.Figure], among candidates: [String]) -> [String] {
        guard let best = candidates.min(by: { figures[$0]!.value < figures[$1]!.value }).flatMap({ figures[$0] }) else { return [] }
        return candidates.filter { backend in
            let figure = figures[backend]!
            if let spread = figure.spread, let bestSpread = best.spread {
                return figure.value * (1 - spread / 2) <= best.value * (1 + bestSpread / 2)
            }
            return figure.value <= best.value * (1 + unmeasuredTolerance)
        }
    }

    /// The candidates within `tolerance` (absolute, in the figures' unit) of the lowest.
    static func lowest(_ figures: [(String, Double)], tolerance: Double) -> [String] {
        guard let best = figures.map(\.1).min() else { return [] }
        return figures.filter { $0.1 <= best + tolerance }.map(\.0)
    }
}

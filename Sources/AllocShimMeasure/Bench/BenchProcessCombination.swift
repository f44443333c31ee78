/// Combines the rows of the same benchmark measured in several processes into one row per
/// (backend, scenario): each figure is the median of the per-process medians, and the spread
/// across processes is kept beside the main figures.
///
/// A median of medians, not a pooled median: each process contributes one vote however many
/// repetitions it ran, so one process with a bad address layout or a busy neighbour moves the
/// result no more than any other.
package enum BenchProcessCombination {
    /// One row per (backend, scenario) of `runs` (one array per process, as `allocshim bench
    /// --json` prints it), in the first run's order. Throws when the runs did not measure the
    /// same rows with the same iterations and repetitions: they would not be one benchmark.
    ///
    /// A figure absent (`nil`) in some processes is the median of those that have it, and `nil`
    /// when none has it; a spread needs the figure from at least two processes, else it is `nil`.
    /// `fastestOverC` is recomputed from the combined figures so that a row stays consistent
    /// with itself. `nodeNsPerOp` is kept as the processes reported it (children run no Node;
    /// the caller adds it).
    package static func combine(_ runs: [[BenchResult]]) throws(MeasureError) -> [BenchResult] {
        guard let first = runs.first else { throw .failed("no benchmark runs to combine") }
        for (index, run) in runs.enumerated().dropFirst() {
            guard run.count == first.count, Set(run.map(Key.init)) == Set(first.map(Key.init)) else {
                throw .failed("benchmark process \(index + 1) of \(runs.count) measured other rows than process 1")
            }
        }
        let byKey = runs.map { run in Dictionary(run.map { (Key($0), $0) }, uniquingKeysWith: { first, _ in first }) }
        return try first.map { (reference: BenchResult) throws(MeasureError) -> BenchResult in
            let rows = byKey.compactMap { $0[Key(reference)] }
            guard rows.allSatisfy({ $0.iterations == reference.iterations && $0.repetitions == reference.repetitions }) else {
                throw .failed("benchmark processes differ in iterations or repetitions for \(reference.backend) \(reference.scenario)")
            }
            return combineRow(rows)
        }
    }

    /// `rows`: the same (backend, scenario) from each process, at least one.
    private static func combineRow(_ rows: [BenchResult]) -> BenchResult {
        let shared = rows.map(\.nsPerOp)
        let c = rows.map(\.cNsPerOp)
        let owned = rows.compactMap(\.ownedNsPerOp)
        let sharedDefault = rows.compactMap(\.defaultSourceNsPerOp)
        let ownedDefault = rows.compactMap(\.ownedDefaultSourceNsPerOp)
        var combined = rows[0]
        combined.nsPerOp = median(shared)
        combined.ownedNsPerOp = medianIfAny(owned)
        combined.cNsPerOp = median(c)
        combined.nodeNsPerOp = medianIfAny(rows.compactMap(\.nodeNsPerOp))
        combined.fastestOverC = Swift.min(combined.nsPerOp, combined.ownedNsPerOp ?? .infinity) / combined.cNsPerOp
        combined.defaultSourceNsPerOp = medianIfAny(sharedDefault)
        combined.ownedDefaultSourceNsPerOp = medianIfAny(ownedDefault)
        combined.relativeSpread = medianIfAny(rows.compactMap(\.relativeSpread))
        combined.ownedRelativeSpread = medianIfAny(rows.compactMap(\.ownedRelativeSpread))
        combined.processes = rows.count
        combined.processSpread = spreadAcrossProcesses(shared)
        combined.ownedProcessSpread = spreadAcrossProcesses(owned)
        combined.defaultSourceProcessSpread = spreadAcrossProcesses(sharedDefault)
        combined.ownedDefaultSourceProcessSpread = spreadAcrossProcesses(ownedDefault)
        combined.cProcessSpread = spreadAcrossProcesses(c)
        let alternatives = rows.compactMap(\.swiftAlternativesNsPerOp)
        if alternatives.isEmpty {
            combined.swiftAlternativesNsPerOp = nil
            combined.swiftAlternativesProcessSpread = nil
        } else {
            var values: [String: [Double]] = [:]
            for figures in alternatives {
                for (name, value) in figures { values[name, default: []].append(value) }
            }
            combined.swiftAlternativesNsPerOp = values.mapValues(median)
            let spreads = values.compactMapValues(spreadAcrossProcesses)
            combined.swiftAlternativesProcessSpread = spreads.isEmpty ? nil : spreads
        }
        return combined
    }

    private static func medianIfAny(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : median(values)
    }

    /// (max − min) / median, or `nil` below two processes: one value has no spread to show.
    private static func spreadAcrossProcesses(_ values: [Double]) -> Double? {
        values.count < 2 ? nil : relativeSpread(values)
    }

    private struct Key: Hashable {
        let backend: String
        let scenario: String

        init(_ result: BenchResult) {
            backend = result.backend
            scenario = result.scenario
        }
    }
}

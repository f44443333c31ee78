import Foundation

extension BenchRunner {
    /// What makes a child `allocshim bench` measure exactly what this runner does, in its own
    /// process, printing JSON and no progress. Backends and scenarios are named one by one so
    /// that a child cannot pick a different default set.
    var childArguments: [String] {
        var arguments = [
            "bench", "--processes", "1", "--json", "--quiet", "--iterations", String(iterations), "--repetitions", String(repetitions),
        ]
        for backend in backends { arguments += ["--backend", backend.rawValue] }
        for scenario in scenarios { arguments += ["--scenario", scenario.rawValue] }
        return arguments
    }

    /// Runs the Swift and C measurements in `processes` child processes and combines their
    /// rows, each then given Node's figure from `nodeFigures`.
    ///
    /// One child at a time: children running side by side would share the two cores, the
    /// caches and the memory bus, and measure each other. Each child inherits the environment
    /// (ALLOCSHIM_*), so it measures under the same settings as this process.
    func runInChildProcesses(nodeFigures: [String: Double], progress: (String) -> Void) throws -> [BenchResult] {
        guard !backends.isEmpty, !scenarios.isEmpty else { return [] }
        var runs: [[BenchResult]] = []
        for index in 1...processes {
            let name = "bench process \(index) of \(processes)"
            progress("process \(index) of \(processes): \(counted(backends.count, "backend")) × \(counted(scenarios.count, "scenario"))")
            let output = try ChildProcess.run(ChildProcess.selfExecutable, childArguments)
            guard output.status == 0 else {
                let reason = output.stderr.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no message"
                throw MeasureError.failed("\(name) failed with exit status \(output.status): \(reason)")
            }
            do {
                runs.append(try JSONDecoder().decode([BenchResult].self, from: Data(output.stdout.utf8)))
            } catch {
                throw MeasureError.failed("\(name) did not print benchmark JSON: \(error)")
            }
        }
        var combined = try BenchProcessCombination.combine(runs)
        for index in combined.indices { combined[index].nodeNsPerOp = nodeFigures[combined[index].scenario] }
        return combined
    }

    /// "1 backend", "5 backends".
    private func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}

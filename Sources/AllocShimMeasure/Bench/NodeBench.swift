import Foundation

/// Runs the project's Node script (`Benchmarks/node/bench.js`) in a child process.
enum NodeBench {
    struct Result: Decodable {
        let scenario: String
        let nsPerOp: Double
    }

    /// The script, found from the working directory or from the executable's location
    /// (`.build/<config>/allocshim` → the package root), or from ALLOCSHIM_NODE_BENCH.
    static func scriptPath() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["ALLOCSHIM_NODE_BENCH"] { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.path)
            directory = directory.deletingLastPathComponent()
        }
        return candidates.map { $0 + "/Benchmarks/node/bench.js" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `node` on PATH, if any.
    static func nodeExecutable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/node" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Node's version string, e.g. "v20.20.2".
    static func version() -> String? {
        guard let node = nodeExecutable(), let output = try? ChildProcess.run(node, ["--version"]), output.status == 0 else { return nil }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// ns/op per scenario name, or an error saying why Node could not be run.
    static func run(scenarios: [BenchScenario], iterations: Int, repetitions: Int) throws -> [String: Double] {
        guard let node = nodeExecutable() else { throw MeasureError.failed("--compare-node: node is not on PATH") }
        guard let script = scriptPath() else { throw MeasureError.failed("--compare-node: Benchmarks/node/bench.js not found (run from the package root)") }
        var arguments = [script, "--iterations", String(iterations), "--repetitions", String(repetitions)]
        for scenario in scenarios { arguments += ["--scenario", scenario.rawValue] }
        let output = try ChildProcess.run(node, arguments)
        guard output.status == 0 else { throw MeasureError.failed("node bench.js failed: \(output.stderr)") }
        let results = try JSONDecoder().decode([Result].self, from: Data(output.stdout.utf8))
        return Dictionary(results.map { ($0.scenario, $0.nsPerOp) }, uniquingKeysWith: { first, _ in first })
    }
}

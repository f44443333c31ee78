import Foundation

/// Runs the project's Node script (`Benchmarks/node/bench.js`) in a child process.
enum NodeBench {
    struct Result: Decodable {
        let scenario: String
        let nsPerOp: Double
    }

    /// The script, from ALLOCSHIM_NODE_BENCH or the package root.
    static func scriptPath() -> String? {
        // Empty means unset, as for every ALLOCSHIM_* variable.
        if let explicit = ProcessInfo.processInfo.environment["ALLOCSHIM_NODE_BENCH"], !explicit.isEmpty { return explicit }
        let path = packageRoot() + "/Benchmarks/node/bench.js"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The package root: the working directory if it holds Package.swift, else the folder
    /// above the executable's `.build` (`.build/<config>/allocshim`).
    static func packageRoot() -> String {
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: ChildProcess.selfExecutable).deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.path)
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/Package.swift") && FileManager.default.fileExists(atPath: $0 + "/Sources/AllocShim") }
            ?? FileManager.default.currentDirectoryPath
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

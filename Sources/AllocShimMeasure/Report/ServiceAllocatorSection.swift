import AllocShim
import Foundation

/// The report's "Your service's allocator" section: a short soak of the example service under
/// each installed process allocator (the full soak is `allocshim soak`, see docs/service.md),
/// appended to report.md with its own SVG and JSON.
package enum ServiceAllocatorSection {
    /// Where `make soak` builds the example service without the Jemalloc trait.
    package static let defaultServiceExecutable = "Examples/EchoService/.build-nojemalloc/release/EchoService"

    /// The process allocators the short soak runs the service under, in the section's order.
    static func configurations() throws -> [ProcessAllocatorChoice] {
        [
            try ProcessAllocatorChoice(backend: .system), try ProcessAllocatorChoice(backend: .system, arenaMax: 2),
            try ProcessAllocatorChoice(backend: .jemalloc), try ProcessAllocatorChoice(backend: .mimalloc),
            try ProcessAllocatorChoice(backend: .tcmalloc),
        ]
    }

    /// How many times ``append(to:serviceExecutable:port:progress:)`` calls `progress`: once per
    /// configuration.
    package static var progressSteps: Int { (try? configurations().count) ?? 0 }

    /// Runs the short soak and appends the section to `directory/report.md`; returns the files
    /// it wrote. Without the service built, the section says how to build it (no figures).
    package static func append(to directory: URL, serviceExecutable: String = defaultServiceExecutable, port: Int = 18384, progress: @escaping (String) -> Void) throws -> [String] {
        var text = "\n## Your service's allocator\n\n"
        guard FileManager.default.isExecutableFile(atPath: serviceExecutable) else {
            text += "Not measured: \(serviceExecutable) is not built. Build the example service without the Jemalloc trait "
                + "(`cd Examples/EchoService && swift build -c release --disable-default-traits --scratch-path .build-nojemalloc`) "
                + "and run the report again, or run the full soak with `make soak` (docs/service.md).\n"
            try appendText(text, to: directory)
            return []
        }
        var workload = SoakWorkload()
        workload.durationSeconds = 24
        workload.burstSeconds = 10
        workload.idleSeconds = 8
        workload.connections = 16
        let runner = SoakRunner(serviceExecutable: serviceExecutable, port: port, workload: workload, logDirectory: directory.path)
        var runs: [SoakRun] = []
        var skipped: [String] = []
        for choice in try configurations() {
            progress(choice.label)
            do {
                runs.append(try runner.run(choice, repetition: 1))
            } catch {
                skipped.append("\(choice.label): \(error.description)")
            }
        }
        let report = SoakReport(
            date: ISO8601DateFormatter().string(from: Date()), machine: "", command: "allocshim report (short soak)",
            workload: workload, runs: runs, releaseCosts: [])
        try SoakChart.residentOverTime(report).write(to: directory.appendingPathComponent("service-rss.svg"), atomically: true, encoding: .utf8)
        try JSONWriter.write(report, to: directory.appendingPathComponent("service-soak.json"))
        text += "The example service (SwiftNIO, built without the Jemalloc trait) under each process allocator, preloaded with "
            + "`allocshim run` and verified: one burst of \(workload.burstSeconds) s with \(workload.connections) connections and "
            + "1 KiB … 4 MiB bodies, then \(workload.durationSeconds - workload.burstSeconds) s idle. One short run each: differences "
            + "smaller than the spread in docs/service.md are noise. For your own service: "
            + "`allocshim run --backend jemalloc -- .build/release/YourService` (or `allocshim soak --service …`).\n\n"
            + "![service RSS](service-rss.svg)\n\n" + SoakSummary.markdown(report)
        if !skipped.isEmpty { text += "\nNot measured: " + skipped.joined(separator: "; ") + "\n" }
        try appendText(text, to: directory)
        return ["service-rss.svg", "service-soak.json"]
    }

    private static func appendText(_ text: String, to directory: URL) throws {
        let path = directory.appendingPathComponent("report.md").path
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try (existing + text).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

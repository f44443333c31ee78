import AllocShim
import Foundation

/// `allocshim soak` from start to end: every configuration, repeated, then the trim/purge cost
/// under each, written into the output folder as soak.json, the charts and soak.md. The CLI
/// only parses the options into one of these and prints what it returns.
package struct SoakSession {
    /// The configurations soaked when none is named: the default allocators and the tunings
    /// docs/service.md compares.
    package static let standardConfigurations = [
        "system", "system+arena-max=2", "jemalloc", "jemalloc+malloc-conf=dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true",
        "mimalloc", "tcmalloc", "scudo", "system+release=5",
    ]

    /// The repetition counts `--repeat` accepts.
    package static let repetitionRange = 1...20
    /// The ports `--port` accepts: unprivileged, on loopback.
    package static let portRange = 1024...65535

    package let runner: SoakRunner
    package let choices: [ProcessAllocatorChoice]
    package let repetitions: Int
    package let allowLinkedAllocator: Bool
    /// The folder every file is written to.
    package let output: String

    /// Checks everything given before anything runs: the workload, the repetitions, the port and
    /// each configuration (`BACKEND[+arena-max=N][+trim-threshold=N][+malloc-conf=CONF][+release=SECONDS]`;
    /// none: ``standardConfigurations``).
    package init(
        service: String, configurations: [String], workload: SoakWorkload, repetitions: Int, port: Int, output: String,
        allowLinkedAllocator: Bool
    ) throws(SoakError) {
        try workload.validate()
        guard Self.repetitionRange.contains(repetitions) else {
            throw .badValue(name: "--repeat", value: String(repetitions), allowed: "1 … 20")
        }
        guard Self.portRange.contains(port) else { throw .badValue(name: "--port", value: String(port), allowed: "1024 … 65535") }
        do {
            choices = try (configurations.isEmpty ? Self.standardConfigurations : configurations).map(
                ProcessAllocatorChoice.init(soakConfiguration:))
        } catch {
            throw .processAllocator(error)
        }
        runner = SoakRunner(serviceExecutable: service, port: port, workload: workload, logDirectory: output)
        self.repetitions = repetitions
        self.allowLinkedAllocator = allowLinkedAllocator
        self.output = output
    }

    /// How many progress steps the soak phase of ``run(measuringReleaseCost:progress:write:)``
    /// has: the runner reports every 10 seconds of each run.
    private var soakSteps: Int { repetitions * choices.count * (runner.workload.durationSeconds / 10) }

    /// Soaks every configuration `repetitions` times, then measures the release call under each
    /// unless told not to; writes soak.json, the charts and soak.md. Returns the Markdown.
    /// A configuration whose library is not installed is skipped with a note; any other failure
    /// stops the soak.
    package func run(measuringReleaseCost: Bool, progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws
        -> String
    {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let date = ISO8601DateFormatter().string(from: Date())
        let progress = ProgressReporter(
            phases: [
                .init(name: "soak", weight: Double(soakSteps * 10), steps: soakSteps),
                .init(name: "release cost", weight: measuringReleaseCost ? Double(choices.count) : 0, steps: choices.count),
            ], style: style, write: write)
        defer { progress.finish() }
        progress.beginPhase()
        var runs: [SoakRun] = []
        // Repetitions interleave (all configurations, then again), so slow drifts of a shared
        // machine spread over every configuration instead of biasing one.
        for repetition in 1...repetitions {
            for choice in choices {
                do {
                    let run = try runner.run(
                        choice, repetition: repetition, allowLinkedAllocator: allowLinkedAllocator, progress: progress.step)
                    runs.append(run)
                    progress.note(
                        "soak: \(choice.label) #\(repetition): \(Int(run.requestsPerSecond)) req/s, peak \(Int(run.peakResidentMiB)) MiB, "
                            + "after idle \(Int(run.residentAfterIdleMiB)) MiB")
                } catch SoakError.processAllocator(.libraryMissing(let backend, let searched, let package)) {
                    progress.note("soak: \(backend) skipped: \(searched) not found; install \(package)")
                }
            }
        }
        progress.beginPhase()
        let releaseCosts = measuringReleaseCost ? measureReleaseCosts(progress: progress) : []
        let report = SoakReport(
            date: date, machine: Self.machineSummary(), command: CommandLine.arguments.joined(separator: " "),
            workload: runner.workload, runs: runs, releaseCosts: releaseCosts)
        try JSONWriter.write(report, to: URL(fileURLWithPath: "\(output)/soak.json"))
        return try Self.write(report, to: output)
    }

    /// Only the release call under each configuration (no service runs): writes
    /// release-cost.json and returns its Markdown table.
    package func runReleaseCostOnly(progress style: ProgressReporter.Style, write: @escaping @Sendable (String) -> Void) throws -> String {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let progress = ProgressReporter(name: "release cost", steps: choices.count, style: style, write: write)
        defer { progress.finish() }
        let costs = measureReleaseCosts(progress: progress)
        guard !costs.isEmpty else { throw SoakError.nothingMeasured }
        try JSONWriter.write(costs, to: URL(fileURLWithPath: "\(output)/release-cost.json"))
        return SoakSummary.releaseMarkdown(costs)
    }

    /// Draws soak-rss.svg, soak-throughput.svg, soak-p99.svg and writes soak.md into `output`
    /// (also for `--replot`, from a checked soak.json); returns the Markdown.
    package static func write(_ report: SoakReport, to output: String) throws -> String {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try SoakChart.residentOverTime(report).write(toFile: "\(output)/soak-rss.svg", atomically: true, encoding: .utf8)
        try SoakChart.throughput(report).write(toFile: "\(output)/soak-throughput.svg", atomically: true, encoding: .utf8)
        try SoakChart.p99(report).write(toFile: "\(output)/soak-p99.svg", atomically: true, encoding: .utf8)
        let markdown = SoakSummary.markdown(report) + "\n" + SoakSummary.releaseMarkdown(report.releaseCosts)
        try markdown.write(toFile: "\(output)/soak.md", atomically: true, encoding: .utf8)
        return markdown
    }

    /// The release probe's child mode (`allocshim soak --release-probe`): measures
    /// FreeMemoryRelease under whatever allocator serves this process; one JSON object.
    package static func releaseProbe() throws -> String {
        try JSONWriter.text(ReleaseCostProbe.summary(label: "", ReleaseCostProbe.run()))
    }

    /// Runs this executable's release probe under each configuration's allocator. A
    /// configuration that cannot be set up for the probe is left out with a note.
    private func measureReleaseCosts(progress: ProgressReporter) -> [ReleaseCost] {
        var costs: [ReleaseCost] = []
        for choice in choices {
            progress.step(choice.label)
            guard let launch = try? ProcessAllocatorLaunch.prepare(choice, command: ChildProcess.selfExecutable, allowLinkedAllocator: true)
            else {
                progress.note(
                    "soak: release cost under \(choice.label) not measured: this allocshim links another allocator "
                        + "(build it with --disable-default-traits)")
                continue
            }
            guard
                let output = try? ChildProcess.run(
                    launch.executable, ["soak", "--release-probe"], environment: .exactly(launch.environment)),
                var cost = try? JSONDecoder().decode(ReleaseCost.self, from: Data(output.stdout.utf8))
            else { continue }
            cost.label = choice.label
            costs.append(cost)
        }
        return costs
    }

    /// For example "Debian GNU/Linux 12 (bookworm), kernel 6.1.0 x86_64, 2 cores, 7.8 GiB, Swift version 6.3.1".
    static func machineSummary() -> String {
        let machine = MachineInfo.current()
        return "\(machine.operatingSystem), kernel \(machine.kernel), \(machine.cores) cores, \(machine.memoryGiB) GiB, \(machine.swift)"
    }
}

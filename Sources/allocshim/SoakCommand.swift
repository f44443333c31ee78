import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim soak`: the example service (or any HTTP service with POST /echo and /healthz)
/// under each process allocator in turn, with memory and latency sampled every second.
struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Soak a service under each process allocator: RSS over time, throughput, p99, RSS after idle.",
        discussion: """
            Each CONFIG is BACKEND[+arena-max=N][+trim-threshold=N][+malloc-conf=CONF], e.g. system, \
            system+arena-max=2, jemalloc+malloc-conf=dirty_decay_ms:1000,background_thread:true. \
            Writes soak.json, soak-rss.svg, soak-throughput.svg and soak.md into --output. Loopback only; \
            every run is bounded by --duration and the request cap.
            """
    )

    @Option(help: "The service executable (built without the Jemalloc trait).")
    var service = "Examples/EchoService/.build-nojemalloc/release/EchoService"

    @Option(
        name: .customLong("config"), parsing: .unconditionalSingleValue,
        help: "A process allocator configuration; repeat for several. BACKEND is one of \(BackendVocabulary.processAllocatorHelp). Default: \(standardConfigurations.joined(separator: " ")).",
        completion: .list(BackendVocabulary.processAllocatorNames))
    var configurations: [String] = []

    // The defaults and the ranges, shown in the help (ArgumentParser shows no default for an
    // option parsed by a transform). SoakWorkload.validate checks the same ranges, and the
    // ones that depend on each other (--duration at least --burst + --idle).
    static let defaultWorkload = SoakWorkload()
    static let durationRange = 2...86_400
    static let periodRange = 1...3600
    static let connectionRange = 1...512
    static let tenantRange = 0...63
    static let maximumBodyRange = defaultWorkload.minimumBodyBytes...(64 << 20)
    static let repetitionRange = 1...20
    static let portRange = 1024...65535
    static let defaultPort = 18383

    @Option(
        parsing: .unconditional,
        help: "\(ArgumentRange.help("Seconds per run, at least --burst + --idle", durationRange, default: defaultWorkload.durationSeconds))",
        transform: ArgumentValue.integer(in: durationRange, unit: "seconds"))
    var duration = Self.defaultWorkload.durationSeconds

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Seconds per load burst", periodRange, default: defaultWorkload.burstSeconds))",
        transform: ArgumentValue.integer(in: periodRange, unit: "seconds"))
    var burst = Self.defaultWorkload.burstSeconds

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Seconds per idle period", periodRange, default: defaultWorkload.idleSeconds))",
        transform: ArgumentValue.integer(in: periodRange, unit: "seconds"))
    var idle = Self.defaultWorkload.idleSeconds

    @Option(
        parsing: .unconditional,
        help: "\(ArgumentRange.help("Concurrent keep-alive connections", connectionRange, default: defaultWorkload.connections))",
        transform: ArgumentValue.integer(in: connectionRange))
    var connections = Self.defaultWorkload.connections

    @Option(
        parsing: .unconditional,
        help: "\(ArgumentRange.help("Tenants named in X-Tenant, 0 for none; the service honours them only when built with jemalloc", tenantRange, default: defaultWorkload.tenants))",
        transform: ArgumentValue.integer(in: tenantRange))
    var tenants = Self.defaultWorkload.tenants

    @Option(
        parsing: .unconditional,
        help: "\(ArgumentRange.help("Largest request body in bytes", maximumBodyRange, default: defaultWorkload.maximumBodyBytes))",
        transform: ArgumentValue.integer(in: maximumBodyRange, unit: "bytes"))
    var maxBody = Self.defaultWorkload.maximumBodyBytes

    @Option(
        name: .customLong("repeat"), parsing: .unconditional,
        help: "\(ArgumentRange.help("Runs per configuration, for the spread", repetitionRange, default: 1))",
        transform: ArgumentValue.integer(in: repetitionRange))
    var repetitions = 1

    @Option(
        parsing: .unconditional, help: "\(ArgumentRange.help("Loopback port for the service", portRange, default: defaultPort))",
        transform: ArgumentValue.integer(in: portRange))
    var port = Self.defaultPort

    @Option(parsing: .unconditional, help: "Output folder (created if missing; checked before measuring).")
    var output = "soak-results"

    @Flag(help: "Run even if the service links an allocator itself.")
    var allowLinkedAllocator = false

    @Flag(help: "Skip measuring the trim/purge call per allocator (not with --release-cost-only).")
    var skipReleaseCost = false

    @Flag(help: "Only measure the trim/purge call per allocator, no service runs (not with --skip-release-cost).")
    var releaseCostOnly = false

    @Option(help: "Only redraw soak-rss.svg, soak-throughput.svg and soak.md in --output from this soak.json (every field is checked first).")
    var replot: String?

    @Flag(help: .hidden)
    var releaseProbe = false

    static let standardConfigurations = [
        "system", "system+arena-max=2", "jemalloc", "jemalloc+malloc-conf=dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true",
        "mimalloc", "tcmalloc", "scudo", "system+release=5",
    ]

    /// Everything that can be checked is, before a service starts or a file is written.
    func validate() throws {
        guard !releaseProbe else { return }
        try OutputDirectory.check(output, option: "--output")
        if skipReleaseCost && releaseCostOnly {
            throw ValidationError("--skip-release-cost and --release-cost-only exclude each other: the first skips the only thing the second measures")
        }
        do { try workload.validate() } catch { throw ValidationError(error.description) }
        _ = try choices()
    }

    /// The workload the options describe.
    var workload: SoakWorkload {
        var workload = SoakWorkload()
        workload.durationSeconds = duration
        workload.burstSeconds = burst
        workload.idleSeconds = idle
        workload.connections = connections
        workload.tenants = tenants
        workload.maximumBodyBytes = maxBody
        return workload
    }

    /// The configurations asked for (or the standard set), parsed.
    func choices() throws -> [ProcessAllocatorChoice] {
        do {
            return try (configurations.isEmpty ? Self.standardConfigurations : configurations).map(Self.parseConfiguration)
        } catch let error as ProcessAllocatorError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        if releaseProbe {
            // Child mode: measure FreeMemoryRelease under whatever allocator serves this process.
            let outcomes = ReleaseCostProbe.run()
            let encoder = JSONEncoder()
            print(String(decoding: try encoder.encode(ReleaseCostProbe.summary(label: "", outcomes)), as: UTF8.self))
            return
        }
        if let replot {
            let report: SoakReport
            let shown = "'\(EnvironmentVariable.displayed(replot))'"
            do {
                report = try JSONDecoder().decode(SoakReport.self, from: Data(contentsOf: URL(fileURLWithPath: replot)))
            } catch {
                throw ValidationError("--replot \(shown) is not a readable soak.json: \(FailureMessage.text(for: error))")
            }
            // Checked before anything is drawn: the charts divide by, loop over and scale to these values.
            do { try report.validate() } catch { throw ValidationError("--replot \(shown): \(error.description)") }
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try write(report)
            return
        }
        let workload = workload
        let choices = try choices()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let runner = SoakRunner(serviceExecutable: service, port: port, workload: workload, logDirectory: output)
        let date = ISO8601DateFormatter().string(from: Date())
        var runs: [SoakRun] = []
        if releaseCostOnly {
            let costs = measureReleaseCosts(choices)
            // Exit status 0 with an empty table would read as "measured, nothing to show".
            guard !costs.isEmpty else { throw SoakCommandFailure.nothingMeasured }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(costs).write(to: URL(fileURLWithPath: "\(output)/release-cost.json"))
            print(SoakSummary.releaseMarkdown(costs))
            return
        }
        // Repetitions interleave (all configurations, then again), so slow drifts of a shared
        // machine spread over every configuration instead of biasing one.
        for repetition in 1...repetitions {
            for choice in choices {
                do {
                    let run = try runner.run(choice, repetition: repetition, allowLinkedAllocator: allowLinkedAllocator) { FileHandleOutput.standardError("soak: \($0)\n") }
                    runs.append(run)
                    FileHandleOutput.standardError("soak: \(choice.label) #\(repetition): \(Int(run.requestsPerSecond)) req/s, peak \(Int(run.peakResidentMiB)) MiB, after idle \(Int(run.residentAfterIdleMiB)) MiB\n")
                } catch SoakError.processAllocator(.libraryMissing(let backend, let searched, let package)) {
                    FileHandleOutput.standardError("soak: \(backend) skipped: \(searched) not found; install \(package)\n")
                } catch {
                    throw fail(error.description)
                }
            }
        }
        let releaseCosts = skipReleaseCost ? [] : measureReleaseCosts(choices)
        let report = SoakReport(
            date: date, machine: Self.machineSummary(), command: CommandLine.arguments.joined(separator: " "),
            workload: workload, runs: runs, releaseCosts: releaseCosts)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: "\(output)/soak.json"))
        try write(report)
    }

    /// The pictures and the Markdown tables of a soak.
    private func write(_ report: SoakReport) throws {
        try SoakChart.residentOverTime(report).write(toFile: "\(output)/soak-rss.svg", atomically: true, encoding: .utf8)
        try SoakChart.throughput(report).write(toFile: "\(output)/soak-throughput.svg", atomically: true, encoding: .utf8)
        try SoakChart.p99(report).write(toFile: "\(output)/soak-p99.svg", atomically: true, encoding: .utf8)
        let markdown = SoakSummary.markdown(report) + "\n" + SoakSummary.releaseMarkdown(report.releaseCosts)
        try markdown.write(toFile: "\(output)/soak.md", atomically: true, encoding: .utf8)
        print(markdown)
    }

    /// Runs this executable's release probe under each configuration's allocator.
    private func measureReleaseCosts(_ choices: [ProcessAllocatorChoice]) -> [ReleaseCost] {
        var costs: [ReleaseCost] = []
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        for choice in choices {
            guard let launch = try? ProcessAllocatorLaunch.prepare(choice, command: me, allowLinkedAllocator: true) else {
                FileHandleOutput.standardError("soak: release cost under \(choice.label) not measured: this allocshim links another allocator (build it with --disable-default-traits)\n")
                continue
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launch.executable)
            process.arguments = ["soak", "--release-probe"]
            process.environment = launch.environment
            let pipe = Pipe()
            process.standardOutput = pipe
            guard (try? process.run()) != nil else { continue }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if var cost = try? JSONDecoder().decode(ReleaseCost.self, from: data) {
                cost.label = choice.label
                costs.append(cost)
            }
        }
        return costs
    }

    /// For example "Debian GNU/Linux 12 (bookworm), 6.1.0 x86_64, 2 cores, 7.8 GiB, Swift version 6.3.1".
    static func machineSummary() -> String {
        let machine = MachineInfo.current()
        return "\(machine.operatingSystem), kernel \(machine.kernel), \(machine.cores) cores, \(machine.memoryGiB) GiB, \(machine.swift)"
    }

    /// `BACKEND[+arena-max=N][+trim-threshold=N][+malloc-conf=CONF][+release=SECONDS]`.
    static func parseConfiguration(_ text: String) throws -> ProcessAllocatorChoice {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard BackendVocabulary.processAllocatorNames.contains(parts[0]) else {
            throw ProcessAllocatorError.badValue(
                option: "--config", value: "'\(EnvironmentVariable.displayed(text))'",
                allowed: "BACKEND[+...] with BACKEND one of \(BackendVocabulary.processAllocatorNames.joined(separator: ", "))"
                    + (BackendVocabulary.inProcessOnlyNote(parts[0]).map { "; \($0)" } ?? ""))
        }
        let backend = try ProcessAllocatorChoice.backend(named: parts[0])
        var arenaMax: Int?, trimThreshold: Int?, mallocConf: String?, release: Int?
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw ProcessAllocatorError.badValue(option: "--config", value: text, allowed: "BACKEND[+arena-max=N][+trim-threshold=N][+malloc-conf=CONF][+release=SECONDS]") }
            switch pair[0] {
            case "arena-max":
                guard let value = Int(pair[1]) else { throw ProcessAllocatorError.badValue(option: "arena-max", value: pair[1], allowed: "an integer 1 … 1024") }
                arenaMax = value
            case "trim-threshold":
                guard let value = Int(pair[1]) else { throw ProcessAllocatorError.badValue(option: "trim-threshold", value: pair[1], allowed: "a byte count") }
                trimThreshold = value
            case "malloc-conf": mallocConf = pair[1]
            case "release":
                guard let value = Int(pair[1]) else { throw ProcessAllocatorError.badValue(option: "release", value: pair[1], allowed: "1 … 3600 seconds") }
                release = value
            default:
                throw ProcessAllocatorError.badValue(
                    option: "--config", value: part, allowed: "arena-max=N, trim-threshold=N, malloc-conf=CONF or release=SECONDS after BACKEND+")
            }
        }
        return try ProcessAllocatorChoice(
            backend: backend, arenaMax: arenaMax, trimThreshold: trimThreshold, mallocConf: mallocConf, releaseIntervalSeconds: release)
    }
}

/// Why a soak ended without a result (exit status 1).
enum SoakCommandFailure: Error, CustomStringConvertible {
    case nothingMeasured

    var description: String {
        switch self {
        case .nothingMeasured:
            "no release cost was measured under any configuration (the lines above say why; an allocshim built with "
                + "the Jemalloc trait cannot measure them: build it with --disable-default-traits, as make soak does)"
        }
    }
}

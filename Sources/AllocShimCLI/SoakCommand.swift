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
        help: "A process allocator configuration; repeat for several. BACKEND is one of \(BackendVocabulary.processAllocatorHelp). Default: \(SoakSession.standardConfigurations.joined(separator: " ")).",
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

    /// Everything that can be checked is, before a service starts or a file is written.
    func validate() throws {
        guard !releaseProbe, replot == nil else { return }
        try OutputDirectory.check(output, option: "--output")
        if skipReleaseCost && releaseCostOnly {
            throw ValidationError("--skip-release-cost and --release-cost-only exclude each other: the first skips the only thing the second measures")
        }
        for configuration in configurations {
            let backend = String(configuration.split(separator: "+", omittingEmptySubsequences: false).first ?? "")
            guard BackendVocabulary.processAllocatorNames.contains(backend) else {
                throw ValidationError(
                    "--config '\(EnvironmentVariable.displayed(configuration))' is not allowed; expected BACKEND[+...] with BACKEND one of "
                        + BackendVocabulary.processAllocatorNames.joined(separator: ", ")
                        + (BackendVocabulary.inProcessOnlyNote(backend).map { "; \($0)" } ?? ""))
            }
        }
        _ = try session()
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

    /// The session the options describe; a bad value is a usage error (exit status 2).
    func session() throws -> SoakSession {
        do {
            return try SoakSession(
                service: service, configurations: configurations, workload: workload, repetitions: repetitions, port: port, output: output,
                allowLinkedAllocator: allowLinkedAllocator)
        } catch where error.isBadInput {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        if releaseProbe {
            print(try SoakSession.releaseProbe(), terminator: "")
            return
        }
        if let replot {
            print(try SoakSession.write(Self.load(replot), to: output))
            return
        }
        let session = try session()
        print(
            releaseCostOnly
                ? try session.runReleaseCostOnly(progress: .forStandardError, write: StandardError.write)
                : try session.run(measuringReleaseCost: !skipReleaseCost, progress: .forStandardError, write: StandardError.write))
    }

    /// A soak.json to redraw, read and checked field by field before anything is drawn: the
    /// charts divide by, loop over and scale to its values.
    static func load(_ path: String) throws -> SoakReport {
        let shown = "'\(EnvironmentVariable.displayed(path))'"
        let report: SoakReport
        do {
            report = try JSONDecoder().decode(SoakReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ValidationError("--replot \(shown) is not a readable soak.json: \(FailureMessage.text(for: error))")
        }
        do { try report.validate() } catch { throw ValidationError("--replot \(shown): \(error.description)") }
        return report
    }
}

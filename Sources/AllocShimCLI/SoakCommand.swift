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

    @Option(name: .customLong("config"), help: "A process allocator configuration; repeat for several (default: the standard set).")
    var configurations: [String] = []

    @Option(help: "Seconds per run.")
    var duration = 180

    @Option(help: "Seconds per load burst.")
    var burst = 20

    @Option(help: "Seconds per idle period.")
    var idle = 15

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 48

    @Option(help: "Tenants named in X-Tenant (0: none). The service honours them only when built with jemalloc.")
    var tenants = 0

    @Option(help: "Largest request body in bytes.")
    var maxBody = 4 << 20

    @Option(name: .customLong("repeat"), help: "Runs per configuration (for the spread).")
    var repetitions = 1

    @Option(help: "Loopback port for the service.")
    var port = 18383

    @Option(help: "Output folder.")
    var output = "soak-results"

    @Flag(help: "Run even if the service links an allocator itself.")
    var allowLinkedAllocator = false

    @Flag(help: "Skip measuring the trim/purge call per allocator.")
    var skipReleaseCost = false

    @Flag(help: "Only measure the trim/purge call per allocator (no service runs).")
    var releaseCostOnly = false

    @Option(help: "Only redraw soak-rss.svg, soak-throughput.svg and soak.md in --output from this soak.json (every field is checked first).")
    var replot: String?

    @Flag(help: .hidden)
    var releaseProbe = false

    func run() throws {
        if releaseProbe {
            print(try SoakSession.releaseProbe(), terminator: "")
            return
        }
        if let replot {
            print(try SoakSession.write(Self.load(replot), to: output))
            return
        }
        var workload = SoakWorkload()
        workload.durationSeconds = duration
        workload.burstSeconds = burst
        workload.idleSeconds = idle
        workload.connections = connections
        workload.tenants = tenants
        workload.maximumBodyBytes = maxBody
        do {
            let session = try SoakSession(
                service: service, configurations: configurations, workload: workload, repetitions: repetitions, port: port, output: output,
                allowLinkedAllocator: allowLinkedAllocator)
            print(
                releaseCostOnly
                    ? try session.runReleaseCostOnly(progress: .forStandardError, write: StandardError.write)
                    : try session.run(measuringReleaseCost: !skipReleaseCost, progress: .forStandardError, write: StandardError.write))
        } catch let error as SoakError where error.isBadInput {
            throw ValidationError(error.description)
        }
    }

    /// A soak.json to redraw, read and checked field by field before anything is drawn: the
    /// charts divide by, loop over and scale to its values.
    static func load(_ path: String) throws -> SoakReport {
        let shown = "'\(EnvironmentVariable.displayed(path))'"
        let report: SoakReport
        do {
            report = try JSONDecoder().decode(SoakReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ValidationError("--replot \(shown) is not a readable soak.json: \(error)")
        }
        do { try report.validate() } catch { throw ValidationError("--replot \(shown): \(error.description)") }
        return report
    }
}

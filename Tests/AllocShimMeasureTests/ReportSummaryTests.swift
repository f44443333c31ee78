import AllocShimTestSupport
import Foundation
import Testing

@testable import AllocShim
@testable import AllocShimMeasure

@Suite("Report summary: which allocator for what")
struct ReportSummaryTests {
    /// A row measured in 3 processes whose fastest form is `OwnedBytes` at `owned` ns, spread `spread`.
    static func bench(_ backend: String, _ scenario: BenchScenario, owned: Double, spread: Double, node: Double? = nil) -> BenchResult {
        BenchResult(
            backend: backend, scenario: scenario.rawValue, iterations: 1000, nsPerOp: owned * 1.5, ownedNsPerOp: owned, cNsPerOp: owned / 2,
            nodeNsPerOp: node, fastestOverC: 2, repetitions: 3, processes: 3, processSpread: 0.5, ownedProcessSpread: spread)
    }

    static func fragmentation(_ backend: String, peak: Double, afterPurge: Double) -> FragmentationResult {
        FragmentationResult(
            backend: backend, baselineRssMiB: 20, peakRssMiB: peak, afterFreeRssMiB: peak - 5, afterPurgeRssMiB: afterPurge,
            afterDestroyRssMiB: nil,
            allocatorMappedMiB: nil, allocatorResidentMiB: nil, seconds: 1)
    }

    static func residue(_ backend: String, _ size: Int, _ mean: Double) -> ResidueResult {
        ResidueResult(
            backend: backend, scenario: ResidueScenario.sameSize.rawValue, size: size, rounds: 10, recoveredPercent: mean, minPercent: mean,
            maxPercent: mean, lostOffsets: "", applicable: true)
    }

    /// Three backends whose figures separate them in some respects and not in others.
    static var report: Report {
        let machine = MachineInfo(
            date: "2026-12-07T00:00:00Z", operatingSystem: "Debian", kernel: "6 x86_64", cores: 2, memoryGiB: 8, swift: "6.3.1",
            node: "v24",
            allocatorVersions: [:])
        let names = ["system", "jemalloc", "mimalloc"]
        return Report(
            version: "test", machine: machine, command: "allocshim report",
            backends: names.map { BackendAvailability(name: $0, available: true, reason: nil, version: "1") }
                + [BackendAvailability(name: "tcmalloc", available: false, reason: "not installed", version: nil)],
            bench: [
                // 100 B: system fastest (±2%), jemalloc 5% slower but its ±5% range overlaps, mimalloc 1.5× clearly behind.
                bench("system", .alloc100B, owned: 20, spread: 0.04, node: 200),
                bench("jemalloc", .alloc100B, owned: 21, spread: 0.10, node: 200),
                bench("mimalloc", .alloc100B, owned: 30, spread: 0.04, node: 200),
                // 10 KiB: all the same within ±10%.
                bench("system", .alloc10KiB, owned: 100, spread: 0.2), bench("jemalloc", .alloc10KiB, owned: 104, spread: 0.2),
                bench("mimalloc", .alloc10KiB, owned: 108, spread: 0.2),
            ],
            nodeOverAllocShimGeometricMean: ["system": 10],
            residue: [
                residue("system", 100, 84), residue("jemalloc", 100, 100), residue("mimalloc", 100, 0),
                residue("system", 4096, 100), residue("jemalloc", 4096, 100), residue("mimalloc", 4096, 99.5),
                residue("glibc (C probe)", 100, 84),
            ],
            configurations: [],
            fragmentation: [
                fragmentation("system", peak: 70, afterPurge: 20.5), fragmentation("jemalloc", peak: 70, afterPurge: 21.0),
                fragmentation("mimalloc", peak: 50, afterPurge: 40),
            ],
            threads: [
                ThreadScalingResult(backend: "system", size: 64, threads: 2, singleThreadMops: 50, multiThreadMops: 45, scaling: 0.9),
                ThreadScalingResult(backend: "jemalloc", size: 64, threads: 2, singleThreadMops: 50, multiThreadMops: 95, scaling: 1.9),
                ThreadScalingResult(backend: "mimalloc", size: 64, threads: 2, singleThreadMops: 50, multiThreadMops: 97.5, scaling: 1.95),
            ])
    }

    @Test("speed is each backend's fastest form over the fastest backend's, with that form's spread; Node over the same fastest")
    func relativeSpeed() throws {
        let summary = ReportSummary(Self.report)
        #expect(summary.backends == ["system", "jemalloc", "mimalloc"], "available and measured backends only, in the report's order")
        let small = try #require(summary.speed.first { $0.scenario == .alloc100B })
        #expect(small.fastestNanoseconds == 20)
        #expect(small.relative["system"] == .init(value: 1, spread: 0.04))
        #expect(abs(small.relative["jemalloc"]!.value - 1.05) < 1e-9 && small.relative["jemalloc"]!.spread == 0.10)
        #expect(small.relative["mimalloc"]!.value == 1.5)
        #expect(small.node == 10)
        #expect(summary.speed.map(\.scenario) == [.alloc100B, .alloc10KiB], "scenarios without rows are left out")
    }

    @Test("'good for' names a backend only where its figures separate it from the others; ties are 'among', no separation a note")
    func goodForRules() {
        let summary = ReportSummary(Self.report)
        #expect(
            summary.goodFor["system"] == ["among the fastest at 100 B", "among the lowest RSS after purge"])
        #expect(
            summary.goodFor["jemalloc"] == [
                "among the fastest at 100 B", "among the lowest RSS after purge", "among the best thread scaling",
            ])
        #expect(
            summary.goodFor["mimalloc"] == ["lowest peak RSS", "least residue at 100 B", "among the best thread scaling"])
        // 99.5% against 100% at 4 KiB: within a percentage point, so no backend is named for it.
        #expect(
            summary.notes == [
                "At 10 KiB no backend is faster than the others beyond the measured spread.",
                "At 4 KiB (same-size) every backend leaves about the same residue.",
            ])
    }

    @Test("one backend alone is never 'best' at anything")
    func singleBackend() {
        var report = Self.report
        report.backends = [BackendAvailability(name: "system", available: true, reason: nil, version: "1")]
        let summary = ReportSummary(report)
        #expect(summary.backends == ["system"] && summary.goodFor.isEmpty && summary.notes.isEmpty)
    }

    @Test("report.md opens with the summary table: Node a column, no geometric-mean headline, no project targets")
    func markdown() {
        let text = ReportWriter.markdown(Self.report, backends: ["system", "jemalloc", "mimalloc"])
        let summary = text.range(of: "## Summary: which allocator for what")
        let firstSection = text.range(of: "\n## ")
        #expect(
            summary != nil && firstSection?.upperBound == text.index(summary!.lowerBound, offsetBy: 3), "the summary is the first section")
        #expect(text.contains("|  | system | jemalloc | mimalloc | Node |"))
        #expect(text.contains("| alloc-100B: × fastest (20.0 ns) | 1.00× ±2.0% | 1.05× ±5.0% | 1.50× ±2.0% | 10.00× |"))
        #expect(text.contains("| RSS after purge, MiB | 20.5 | 21.0 | 40.0 |  |"))
        #expect(text.contains("| residue, same-size 100 B | 84.0% | 100.0% | 0.0% |  |"))
        #expect(text.contains("| thread scaling, 64 B raw allocator pairs, 2 threads / 1 | 0.90× | 1.90× | 1.95× |  |"))
        #expect(text.contains("- At 10 KiB no backend is faster than the others beyond the measured spread."))
        #expect(!text.contains("geometric mean") && !text.contains("target"))
    }

    @Test("the cross-backend plot: per scenario a bar per backend with a whisker over its spread, Node without one, a legend, one unit")
    func backendsPlot() throws {
        let report = Self.report
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-backends-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try ReportWriter.write(report, to: directory)
        #expect(files.contains("bench-backends.svg"))
        let svg = ReportWriter.backendsChart(report, backends: ["system", "jemalloc", "mimalloc"])
        #expect(XMLCheck.parses(svg))
        // 2 scenarios × 3 backends, Node at 100 B only, the white background, and 4 legend boxes.
        #expect(svg.components(separatedBy: "<rect").count - 1 == 2 * 3 + 1 + 1 + 4)
        #expect(svg.components(separatedBy: "<g stroke=").count - 1 == 2 * 3, "a whisker per backend bar, none for Node")
        // system at 100 B: 20 ns ± 2% → 19.6–20.4 ns.
        #expect(svg.contains("system, alloc-100B: 19.6 ns–20.4 ns"))
        let texts = ChartTests.texts(svg)
        for name in ["system", "jemalloc", "mimalloc", "Node v24", "alloc-100B", "alloc-10KiB", "10 ns", "100 ns", "1 µs"] {
            #expect(texts.contains(name), "\(name)")
        }
        #expect(
            ReportWriter.markdown(report, backends: ["system"]).contains(
                "![Time per buffer, every backend per scenario](bench-backends.svg)"))
    }

    @Test("pool-size and output-span figures are stored in report.json and redrawn from it")
    func newSectionsRoundTrip() throws {
        var report = Self.report
        report.poolSizes = [
            PoolSizeComparison.Row(
                backend: "system", slabSize: 8192, nanoseconds100B: 20, nanoseconds4KiB: 400, spread100B: 0.02, spread4KiB: 0.04,
                retainedBytes: 81920,
                referencedBytes: 40960),
            PoolSizeComparison.Row(
                backend: "system", slabSize: 65536, nanoseconds100B: 19, nanoseconds4KiB: 200, spread100B: 0.02, spread4KiB: 0.04,
                retainedBytes: 327680, referencedBytes: 40960, workingSetRetainedBytes: 4_194_304, workingSetReferencedBytes: 524_288),
        ]
        report.outputSpanCost = [
            OutputSpanCost.Row(
                backend: "system", caseName: OutputSpanCost.Case.owned100BPooled.rawValue, baselineNanoseconds: 20,
                measuredNanoseconds: 20.5,
                ratio: 1.025, ratioSpread: 0.04)
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ReportWriter.write(report, to: directory)
        let saved = try JSONDecoder().decode(Report.self, from: Data(contentsOf: directory.appendingPathComponent("report.json")))
        #expect(saved.poolSizes == report.poolSizes && saved.outputSpanCost == report.outputSpanCost)
        let redrawn = directory.appendingPathComponent("redrawn")
        _ = try ReportRunner.redraw(saved, to: redrawn)
        let text = try String(contentsOf: redrawn.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(text.contains("## Pool size: 8 KiB and 64 KiB slabs"))
        #expect(text.contains("system | 64 KiB | 19.0 (±1.0%) | 200.0 (±2.0%) | 320 | 40 | 8.0 | 4096 | 8.0"))
        #expect(
            text.contains(
                "- system: 64 KiB slabs take 0.95× the time of 8 KiB ones at 100 B and 0.50× at 4 KiB, and hold 8.00× the referenced bytes (against 2.00×)."
            ))
        #expect(text.contains("## Safe initializers: output span against allocUnsafe plus a full write"))
        #expect(text.contains("owned-100B-pooled | system | 20.0 | 20.5 | 1.025 (±2.0%)"))
    }

    @Test("a report.json written before the summary's new fields still loads and redraws, without their sections")
    func olderReportRedraws() throws {
        var report = Self.report
        report.poolSizes = nil
        report.outputSpanCost = nil
        let older = try JSONEncoder().encode(report)
        let json = String(decoding: older, as: UTF8.self)
        #expect(!json.contains("poolSizes") && !json.contains("outputSpanCost"), "absent figures leave no keys, as in older files")
        let decoded = try JSONDecoder().decode(Report.self, from: older)
        #expect(decoded.poolSizes == nil && decoded.outputSpanCost == nil)
        let text = ReportWriter.markdown(decoded, backends: ["system", "jemalloc", "mimalloc"])
        #expect(text.contains("## Summary") && !text.contains("## Pool size") && !text.contains("## Safe initializers"))
    }

    @Test("allocshim report --from the saved docs/data/report.json (no pool-size, output-span or sweep fields) still writes the report")
    func savedDocsReport() throws {
        let saved = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/data/report.json")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-from-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try runAllocShim(["report", "--from", saved.path, "--output", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Which allocator for what: the summary table at the top of"))
        #expect(!result.stdout.contains("geometric mean"))
        let text = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(text.contains("## Summary: which allocator for what") && text.contains("| **good for** |"))
    }
}

@testable import AllocShimMeasure
@testable import AllocShim
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Report plots and tables")
struct ChartTests {
    static func residue(_ backend: String, _ scenario: ResidueScenario, _ size: Int, _ mean: Double, min: Double? = nil, max: Double? = nil, applicable: Bool = true)
        -> ResidueResult
    {
        ResidueResult(
            backend: backend, scenario: scenario.rawValue, size: size, rounds: 100, recoveredPercent: mean, minPercent: min ?? mean,
            maxPercent: max ?? mean, lostOffsets: "", applicable: applicable)
    }

    static func bench(_ backend: String, _ scenario: BenchScenario, _ ns: Double) -> BenchResult {
        BenchResult(
            backend: backend, scenario: scenario.rawValue, iterations: 10_000, nsPerOp: ns, ownedNsPerOp: ns * 0.9, cNsPerOp: ns / 2,
            nodeNsPerOp: ns * 10, fastestOverC: 1.8, repetitions: 5)
    }

    static var report: Report {
        let machine = MachineInfo(
            date: "2026-01-01T00:00:00Z", operatingSystem: "Debian", kernel: "6 x86_64", cores: 2, memoryGiB: 8, swift: "6.3.1", node: "v20",
            allocatorVersions: ["system": "glibc 2.36"])
        let backends = ["system", "mimalloc"].map { BackendAvailability(name: $0, available: true, reason: nil, version: "1") }
        return Report(
            version: "9.9.9", machine: machine, command: "allocshim report", backends: backends,
            bench: [bench("system", .alloc100B, 50), bench("system", .alloc1MiB, 60_000)],
            nodeOverAllocShimGeometricMean: [:],
            residue: [
                residue("system", .sameSize, 100, 84, min: 80, max: 90), residue("system", .sameSize, 1 << 20, 0),
                residue("mimalloc", .sameSize, 100, 100), residue("mimalloc", .sameSize, 1 << 20, 37.5),
                residue("system", .unsafePooled, 100, 0, applicable: false),
            ],
            configurations: [
                ConfigurationResult(
                    configuration: "glibc default", backend: "system", environment: [:], effect: "reuses | blocks",
                    residue: [residue("system", .sameSize, 100, 84), residue("system", .sameSize, 4096, 12.5)], cNsPerOp100B: 20, cNsPerOp10KiB: 40,
                    error: nil),
                ConfigurationResult(
                    configuration: "jemalloc zero:true", backend: "jemalloc", environment: ["MALLOC_CONF": "zero:true"], effect: "zeroes",
                    residue: [residue("jemalloc", .sameSize, 100, 0), residue("jemalloc", .sameSize, 4096, 0)], cNsPerOp100B: 30, cNsPerOp10KiB: 90,
                    error: nil),
            ],
            fragmentation: [
                FragmentationResult(
                    backend: "system", baselineRssMiB: 20.3, peakRssMiB: 69.6, afterFreeRssMiB: 48.4, afterPurgeRssMiB: 20.9, afterDestroyRssMiB: nil,
                    allocatorMappedMiB: nil, allocatorResidentMiB: nil, seconds: 1)
            ],
            threads: [ThreadScalingResult(backend: "system", size: 64, threads: 2, singleThreadMops: 60, multiThreadMops: 94, scaling: 1.57)])
    }

    /// The text of every `<text>` element, in order.
    static func texts(_ svg: String) -> [String] {
        svg.components(separatedBy: "<text").dropFirst().compactMap { part in
            guard let start = part.firstIndex(of: ">"), let end = part.range(of: "</text>") else { return nil }
            return String(part[part.index(after: start)..<end.lowerBound])
        }
    }

    @Test("the residue heat map prints each cell's value, n/a where it does not apply, and its axis titles")
    func heatMap() {
        let svg = ReportWriter.residueHeatMap(Self.report, scenario: .sameSize)
        let texts = Self.texts(svg)
        for value in ["84%", "0%", "100%", "38%"] { #expect(texts.contains(value), "cell \(value) missing") }
        #expect(texts.contains("80–90"), "the spread of a cell whose rounds differ is printed")
        #expect(texts.contains("allocator") && texts.contains("block size"))
        #expect(texts.contains("100 B") && texts.contains("1 MiB"))
        #expect(texts.contains("system") && texts.contains("mimalloc"))
        // One cell per (allocator, size): 2 × 2, plus the legend's gradient bar.
        #expect(svg.components(separatedBy: "<rect").count - 1 == 1 + 4 + 1)
        // Every heat map parses as XML, "<1%" cells included.
        let tiny = Report(
            version: nil, machine: Self.report.machine, command: "", backends: [], bench: [], nodeOverAllocShimGeometricMean: [:],
            residue: [Self.residue("musl (C probe)", .sameSize, 64, 0.4, min: 0, max: 13)], configurations: [], fragmentation: [], threads: [])
        let tinySVG = ReportWriter.residueHeatMap(tiny, scenario: .sameSize)
        #expect(XMLCheck.parses(tinySVG), "heat map is not well-formed XML")
        #expect(Self.texts(tinySVG).contains("&lt;1%"))
        let pooled = Self.texts(ReportWriter.residueHeatMap(Self.report, scenario: .unsafePooled))
        // "0%" only on the colour legend: the inapplicable cell does not print its 0.
        #expect(pooled.contains("n/a") && pooled.filter { $0 == "0%" }.count == 1)
    }

    @Test("the thread sweep draws one scaling plot per workload: a panel per backend, a line per form, the C form dashed, a legend")
    func scalingPlots() throws {
        func point(_ backend: String, _ workload: ThreadWorkload, _ form: BlockForm, _ threads: Int, _ mops: Double) -> ThreadSweepPoint {
            ThreadSweepPoint(
                backend: backend, workload: workload, form: form, threads: threads, medianMops: mops, spread: 0,
                cpuNanosecondsPerOperation: 10, scaling: 1, cpuScaling: 1, crossThreadFreesPerOperation: 0)
        }
        var points: [ThreadSweepPoint] = []
        for backend in ["system", "mimalloc"] {
            for (form, base) in [(BlockForm.ownedPooled, 30.0), (.allocator, 20), (.c, 80)] {
                for threads in [1, 2, 4] { points.append(point(backend, .pairs, form, threads, base * Double(threads))) }
            }
        }
        points.append(point("system", .larson, .c, 1, 5))
        let sweep = ThreadSweepResult(
            threadCounts: [1, 2, 4], repetitions: 3, operationsPerThread: 1000, cores: 4,
            points: ThreadSweepResult.withScalingOverC(points))
        let plots = ThreadsSection.plots(sweep)
        #expect(plots.keys.sorted() == ["threads-larson.svg", "threads-pairs.svg"], "one plot per workload measured, none for the others")
        let pairs = try #require(plots["threads-pairs.svg"])
        #expect(XMLCheck.parses(pairs))
        // One line per form in each backend's panel, plus one legend sample per form.
        #expect(pairs.components(separatedBy: "<polyline").count - 1 == 3 * 2 + 3)
        #expect(pairs.components(separatedBy: "stroke-dasharray").count - 1 == 2 + 1, "the C form, and only it, is dashed")
        let colours = BlockForm.allCases.map(SVGScalingChart.colour)
        #expect(Set(colours).count == colours.count, "every form has its own colour")
        for name in ["owned-pooled", "allocator", "c (bare C calls, same allocator)", ">system<", ">mimalloc<", "log scale", "threads"] {
            #expect(pairs.contains(name), "\(name)")
        }
        #expect(pairs.contains("10 M/s") && pairs.contains("100 M/s") && pairs.contains("1000 M/s"), "log ticks carry the unit")
        // Thread counts sit on a log₂ axis: 1, 2 and 4 evenly apart.
        #expect(pairs.contains(">1</text>") && pairs.contains(">2</text>") && pairs.contains(">4</text>"))
        let markdown = ThreadsSection.sweepMarkdown(sweep)
        #expect(markdown.contains("![Thread scaling, pairs](threads-pairs.svg)") && markdown.contains("| of C |"))
    }

    @Test("a heat-map cell's ink contrasts with its colour")
    func contrast() {
        #expect(!SVGHeatMap.colour(0).isDark)
        #expect(SVGHeatMap.colour(100).isDark)
        #expect(SVGHeatMap.percent(0.4) == "<1%" && SVGHeatMap.percent(99.6) == ">99%" && SVGHeatMap.percent(37.5) == "38%")
    }

    @Test("the bench plot names its log scale and labels ticks with one unit format")
    func benchAxis() {
        let texts = Self.texts(ReportWriter.benchChart(Self.report, backend: "system"))
        #expect(texts.contains("time per buffer — log scale"))
        #expect(texts.contains("scenario (Node Buffer call and buffer size)"))
        // 25 ns ... 600 µs: ticks at every power of ten from 10 ns to 1 ms.
        for tick in ["10 ns", "100 ns", "1 µs", "10 µs", "100 µs", "1 ms"] { #expect(texts.contains(tick), "tick \(tick) missing") }
        #expect(!texts.contains { $0.hasSuffix("k") || $0.hasSuffix("M") || $0 == "10.0" })
    }

    @Test("the RSS plot has a baseline marker, a titled linear axis and printed values")
    func rssBaseline() {
        let svg = ReportWriter.rssChart(Self.report)
        let texts = Self.texts(svg)
        #expect(texts.contains("before the workload (baseline)"))
        #expect(svg.contains("stroke-dasharray") && svg.contains("<title>before the workload (baseline), system: 20.3 MiB</title>"))
        #expect(texts.contains("resident set size (MiB)") && texts.contains("backend"))
        #expect(texts.contains("69.6") && texts.contains("20.9"))
        #expect(!texts.contains { $0.contains("log scale") })
    }

    @Test("tick labels: one format per unit")
    func tickLabels() {
        #expect(ChartAxis.format(1000, unit: .nanoseconds) == "1 µs")
        #expect(ChartAxis.format(2_500_000, unit: .nanoseconds) == "2.5 ms")
        #expect(ChartAxis.format(40, unit: .mebibytes) == "40 MiB")
        #expect(ChartAxis.format(2048, unit: .mebibytes) == "2 GiB")
        #expect(ChartAxis.byteSize(10 * 1024) == "10 KiB" && ChartAxis.byteSize(100) == "100 B" && ChartAxis.byteSize(1 << 20) == "1 MiB")
        let axis = ChartAxis(title: "t", unit: .nanoseconds, logarithmic: true, values: [25, 60_000])
        #expect(axis.ticks == [10, 100, 1000, 10_000, 100_000])
        let linear = ChartAxis(title: "m", unit: .mebibytes, logarithmic: false, values: [69.6])
        #expect(linear.ticks == [0, 20, 40, 60, 80, 100])
    }

    @Test("report.md holds the configuration matrix and residue as Markdown tables, not code blocks")
    func markdownTables() {
        let text = ReportWriter.markdown(Self.report, backends: ["system", "mimalloc"])
        #expect(!text.contains("```"))
        #expect(text.contains("| glibc default | 84.0% | 12.5% |"))
        #expect(text.contains("| jemalloc zero:true | jemalloc | `MALLOC_CONF=zero:true` | 30.0 | 90.0 | zeroes |"))
        #expect(text.contains("reuses \\| blocks"), "a | inside a cell is escaped")
        #expect(text.contains("![Residue heat map, same-size](residue-same-size.svg)"))
        #expect(text.contains("| 100 B | 84.0 (80.0–90.0) | 100.0 (100.0–100.0) |"))
        #expect(text.contains("- AllocShim: 9.9.9"))
        let longest = text.split(separator: "\n").filter { !$0.hasPrefix("|") && !$0.hasPrefix("- ") }.map(\.count).max() ?? 0
        #expect(longest < 200)
    }

    @Test("a report round-trips through report.json and re-renders the same files")
    func rerender() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-chart-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try ReportWriter.write(Self.report, to: directory)
        #expect(files.contains("residue-same-size.svg") && files.contains("residue-unsafe-pooled.svg") && files.contains("rss.svg"))
        for file in files where file.hasSuffix(".svg") {
            let svg = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(XMLCheck.parses(svg), "\(file) is not well-formed XML")
        }
        let saved = try JSONDecoder().decode(Report.self, from: Data(contentsOf: directory.appendingPathComponent("report.json")))
        #expect(ReportWriter.residueHeatMap(saved, scenario: .sameSize) == ReportWriter.residueHeatMap(Self.report, scenario: .sameSize))
    }
}

/// Whether a document is well-formed XML (what browsers and rsvg require of an SVG file).
enum XMLCheck {
    static func parses(_ document: String) -> Bool {
        let parser = XMLParser(data: Data(document.utf8))
        return parser.parse()
    }
}

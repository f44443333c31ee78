import Foundation
import Testing

@testable import AllocShim
@testable import AllocShimMeasure

/// The appended sections' plots read at a glance: one unit per axis, a legend, distinct
/// colours, no label on another, ticks at round values. Set `ALLOCSHIM_TEST_PLOT_DIR` to keep
/// the SVGs there for looking at (rsvg-convert them to PNG).
@Suite("Legible leaks and service plots")
struct ChartLegibilityTests {
    static func keep(_ svg: String, as name: String) throws {
        guard let directory = ProcessInfo.processInfo.environment["ALLOCSHIM_TEST_PLOT_DIR"] else { return }
        try svg.write(to: URL(fileURLWithPath: directory).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Figures like the 2026-11-25 run's: many defences at 0%, costs in two units.
    static var leaks: LeaksSection {
        let machine = MachineInfo(
            date: "2026-12-07", operatingSystem: "Debian", kernel: "6", cores: 2, memoryGiB: 8, swift: "6.3.1", node: nil,
            allocatorVersions: [:])
        let defences = [("none", 569.0, 99.5), ("zeroed", 577, 0), ("zero-fill", 591, 0), ("poison", 716, 0), ("poison+detector", 1020, 0)]
            .map {
                LeaksSection.DefenceRow(
                    cost: LeakDefenceCost(
                        defence: $0.0, stops: "", size: 1024, nsPerOp: $0.1, minNsPerOp: $0.1 * 0.9, maxNsPerOp: $0.1 * 1.2, reported: 0),
                    recoveredPercent: $0.2)
            }
        let hardened = [
            ("glibc default", 7.24, 84.0), ("jemalloc default", 4.12, 100), ("jemalloc junk:free", 12.8, 0),
            ("jemalloc zero:true", 13.3, 0),
            ("jemalloc junk:alloc", 13.9, 0), ("glibc tcache off + MALLOC_PERTURB_=165", 13.2, 0), ("scudo zero_contents=1", 29.4, 0),
            ("scudo pattern_fill_contents=1", 31, 0), ("tcmalloc_minimal_debug", 57.4, 0),
        ].map { name, cost, residue in
            HardenedResult(
                configuration: name, family: "", settings: [:], documented: "",
                residue: [
                    ResidueResult(
                        backend: name, scenario: "same-size", size: 100, rounds: 10, recoveredPercent: residue, minPercent: residue,
                        maxPercent: residue,
                        lostOffsets: "", applicable: true)
                ], cNsPerOp100B: cost, cNsPerOp10KiB: nil, costRatio100B: nil, costRatio10KiB: nil, error: nil)
        }
        return LeaksSection(
            date: "2026-12-07", machine: machine, defences: defences, hardened: hardened, heapHistory: [], heapHistoryErrors: [],
            falsePositives: nil)
    }

    @Test("residue vs cost: a row per defence, each group's cost on an axis of its own unit, a legend, every label once")
    func residueVersusCost() throws {
        let svg = Self.leaks.residueVersusCostSVG()
        try Self.keep(svg, as: "leaks-residue-vs-cost.svg")
        #expect(XMLCheck.parses(svg))
        let texts = ChartTests.texts(svg)
        for name in ["none", "poison+detector", "glibc default", "glibc tcache off + MALLOC_PERTURB_=165", "tcmalloc_minimal_debug"] {
            #expect(texts.filter { $0 == name }.count == 1, "\(name) labelled once")
        }
        // Two units, each on its own axis, never one axis for both.
        #expect(
            texts.contains("cost, ns per 1 KiB buffer — log scale") && texts.contains("cost, ns per 100 B malloc/free pair — log scale"))
        #expect(
            texts.contains { $0.contains("secret bytes recovered") } && texts.contains { $0.contains("cost (lower is cheaper)") }, "legend")
        // Label rows never share a baseline: every row label has its own y.
        let labelYs = svg.components(separatedBy: "text-anchor=\"end\">").dropLast().compactMap { part -> String? in
            guard let range = part.range(of: "y=\"", options: .backwards) else { return nil }
            return String(part[range.upperBound...].prefix { $0 != "\"" })
        }
        #expect(Set(labelYs).count == labelYs.count && labelYs.count == 14)
    }

    @Test("the hardened-allocator table is a Markdown table, so its columns cannot run into each other")
    func hardenedTable() throws {
        let markdown = Self.leaks.markdown()
        let hardened = try #require(markdown.range(of: "### Hardened and debug allocators"))
        let section = markdown[hardened.upperBound...]
        #expect(!section.contains("```"))
        #expect(section.contains("| glibc default | ") && section.contains(" | 7.2 | — | — | — |"))
    }

    @Test("service RSS: time ticks at a round step, and the first five lines in colours far apart")
    func serviceResident() throws {
        var workload = SoakWorkload()
        workload.durationSeconds = 24
        workload.burstSeconds = 10
        workload.idleSeconds = 14
        let runs = ["system", "system ARENA_MAX=2", "jemalloc", "mimalloc", "tcmalloc"].enumerated().map { index, label in
            SoakRun(
                label: label, repetition: 1, mallocLibrary: "", serviceBufferBackend: "system",
                samples: (0..<24).map {
                    SoakSample(
                        second: $0, burst: workload.isBurst(atSecond: $0), residentMiB: 50 + Double(index) * 10, anonymousMiB: 40,
                        requests: 1,
                        mebibytes: 1, p50Milliseconds: 1, p99Milliseconds: 2, errors: 0)
                })
        }
        let report = SoakReport(
            date: "2026-12-07", machine: "test", command: "allocshim soak", workload: workload, runs: runs, releaseCosts: [])
        let svg = SoakChart.residentOverTime(report)
        try Self.keep(svg, as: "service-rss.svg")
        #expect(XMLCheck.parses(svg))
        let texts = ChartTests.texts(svg)
        for tick in ["0", "5", "10", "15", "20"] { #expect(texts.contains(tick), "time tick \(tick)") }
        #expect(!texts.contains("4") && !texts.contains("9") && !texts.contains("19"), "no ticks at fifths of 24 s")
        let colours = Array(SVGChart.linePalette.prefix(5))
        #expect(Set(colours).count == 5 && !colours.contains("#56B4E9"), "no sky blue beside the blue")
        for colour in colours { #expect(svg.contains("stroke=\"\(colour)\"")) }
    }
}

import Foundation
import AllocShimTestSupport
import Testing

@testable import AllocShimMeasure

/// `allocshim bench --processes N`: per-process rows combine into medians of medians with the
/// spread across processes; the JSON keeps every key (new ones `null` in-process); the tables
/// show the default-source forms, the Swift alternatives and the spread.
@Suite("Benchmark across processes")
struct BenchProcessesTests {
    /// A row as one process would print it: every figure derived from `ns` unless given.
    static func row(
        backend: String = "system", scenario: BenchScenario = .alloc100B, ns: Double, owned: Double? = nil, c: Double? = nil,
        alternatives: [String: Double]? = nil, iterations: Int = 1_000, repetitions: Int = 3
    ) -> BenchResult {
        let hasOwned = scenario.form != nil
        let ownedNs = hasOwned ? owned ?? ns / 2 : nil
        let cNs = c ?? ns / 10
        return BenchResult(
            backend: backend, scenario: scenario.rawValue, iterations: iterations, nsPerOp: ns, ownedNsPerOp: ownedNs, cNsPerOp: cNs,
            nodeNsPerOp: nil,
            fastestOverC: Swift.min(ns, ownedNs ?? .infinity) / cNs, repetitions: repetitions, defaultSourceNsPerOp: ns * 1.5,
            ownedDefaultSourceNsPerOp: hasOwned ? ns : nil, relativeSpread: 0.01, ownedRelativeSpread: hasOwned ? 0.02 : nil,
            swiftAlternativesNsPerOp: hasOwned ? alternatives ?? ["Data(count:)": ns * 2] : nil)
    }

    // MARK: - Combining

    @Test("each figure is the median of the per-process medians, fastest/C recomputed from them")
    func mediansOfMedians() throws {
        let runs = [[Self.row(ns: 130, c: 12)], [Self.row(ns: 90, c: 10)], [Self.row(ns: 100, c: 11)]]
        let combined = try #require(try BenchProcessCombination.combine(runs).first)
        #expect(combined.nsPerOp == 100)
        #expect(combined.ownedNsPerOp == 50)
        #expect(combined.defaultSourceNsPerOp == 150)
        #expect(combined.ownedDefaultSourceNsPerOp == 100)
        #expect(combined.cNsPerOp == 11)
        #expect(combined.swiftAlternativesNsPerOp == ["Data(count:)": 200])
        #expect(combined.fastestOverC == 50.0 / 11)
        #expect(combined.relativeSpread == 0.01)
        #expect(combined.processes == 3)
        #expect(combined.iterations == 1_000 && combined.repetitions == 3)
    }

    @Test("an even number of processes takes the mean of the middle two")
    func evenCount() throws {
        let combined = try BenchProcessCombination.combine([[Self.row(ns: 100)], [Self.row(ns: 120)]])
        #expect(combined.first?.nsPerOp == 110)
    }

    @Test("the spread across processes is (max − min) / median, for every main figure and each alternative")
    func spread() throws {
        let runs = [
            [Self.row(ns: 130, owned: 50, c: 10, alternatives: ["Data(count:)": 200])],
            [Self.row(ns: 90, owned: 50, c: 10, alternatives: ["Data(count:)": 300])],
            [Self.row(ns: 100, owned: 50, c: 20, alternatives: ["Data(count:)": 250])],
        ]
        let combined = try #require(try BenchProcessCombination.combine(runs).first)
        #expect(combined.processSpread == 0.4)
        #expect(combined.ownedProcessSpread == 0)
        #expect(combined.defaultSourceProcessSpread == 0.4)
        #expect(combined.ownedDefaultSourceProcessSpread == 0.4)
        #expect(combined.cProcessSpread == 1)
        #expect(combined.swiftAlternativesProcessSpread == ["Data(count:)": 0.4])
        #expect(combined.largestProcessSpread == 1)
        #expect(combined.shownSpread == 1)
    }

    @Test("absent figures stay null; a figure from one process only has a median but no spread")
    func nulls() throws {
        // from-* rows have no OwnedBytes form and no alternatives.
        let copies = try #require(
            try BenchProcessCombination.combine([
                [Self.row(scenario: .fromBuffer1MiB, ns: 10)], [Self.row(scenario: .fromBuffer1MiB, ns: 30)],
            ]).first)
        #expect(copies.ownedNsPerOp == nil && copies.ownedDefaultSourceNsPerOp == nil && copies.ownedRelativeSpread == nil)
        #expect(copies.ownedProcessSpread == nil && copies.ownedDefaultSourceProcessSpread == nil)
        #expect(copies.swiftAlternativesNsPerOp == nil && copies.swiftAlternativesProcessSpread == nil)
        #expect(copies.nodeNsPerOp == nil)
        #expect(copies.processSpread == 1)
        #expect(copies.ownedOverC == nil)

        var lone = Self.row(ns: 100, owned: 40)
        var missing = Self.row(ns: 100)
        missing.ownedNsPerOp = nil
        missing.swiftAlternativesNsPerOp = ["[UInt8](repeating:count:)": 7]
        lone.swiftAlternativesNsPerOp = ["[UInt8](repeating:count:)": 9, "Data(count:)": 5]
        let combined = try #require(try BenchProcessCombination.combine([[lone], [missing]]).first)
        #expect(combined.ownedNsPerOp == 40)
        #expect(combined.ownedProcessSpread == nil)
        #expect(combined.swiftAlternativesNsPerOp == ["[UInt8](repeating:count:)": 8, "Data(count:)": 5])
        #expect(combined.swiftAlternativesProcessSpread == ["[UInt8](repeating:count:)": 0.25])
    }

    @Test("rows keep the first process's order, whatever order the others printed them in")
    func order() throws {
        let first = [Self.row(ns: 1), Self.row(backend: "jemalloc", ns: 2), Self.row(scenario: .allocUnsafe10KiB, ns: 3)]
        let combined = try BenchProcessCombination.combine([first, first.reversed()])
        #expect(combined.map(\.backend) == ["system", "jemalloc", "system"])
        #expect(combined.map(\.nsPerOp) == [1, 2, 3])
    }

    @Test("processes that measured different rows, iterations or repetitions are refused")
    func mismatches() {
        #expect(throws: MeasureError.self) { try BenchProcessCombination.combine([]) }
        #expect(throws: MeasureError.self) {
            try BenchProcessCombination.combine([[Self.row(ns: 1)], [Self.row(backend: "jemalloc", ns: 1)]])
        }
        #expect(throws: MeasureError.self) {
            try BenchProcessCombination.combine([[Self.row(ns: 1)], [Self.row(ns: 1), Self.row(backend: "jemalloc", ns: 1)]])
        }
        #expect(throws: MeasureError.self) { try BenchProcessCombination.combine([[Self.row(ns: 1)], [Self.row(ns: 1, iterations: 5)]]) }
        #expect(throws: MeasureError.self) { try BenchProcessCombination.combine([[Self.row(ns: 1)], [Self.row(ns: 1, repetitions: 9)]]) }
    }

    @Test("the runner refuses a process count outside 1…20 before measuring")
    func runnerRange() {
        for processes in [0, -1, 21] {
            let runner = BenchRunner(
                backends: [.system], scenarios: [.alloc100B], iterations: 1, repetitions: 1, compareNode: false, processes: processes)
            #expect(throws: MeasureError.self) { try runner.run(nodeFigures: [:]) }
        }
        #expect(BenchRunner.processRange == 1...20)
    }

    @Test("children get the same backends, scenarios, iterations and repetitions, one process each, as quiet JSON")
    func childArguments() {
        let runner = BenchRunner(
            backends: [.system, .jemalloc], scenarios: [.alloc100B, .fromString1MiB], iterations: 123, repetitions: 4, compareNode: true,
            processes: 3)
        let arguments = runner.childArguments
        #expect(arguments.starts(with: ["bench", "--processes", "1", "--json", "--quiet"]))
        #expect(arguments.joined(separator: " ").contains("--iterations 123 --repetitions 4"))
        #expect(
            arguments.joined(separator: " ").hasSuffix(
                "--backend system --backend jemalloc --scenario alloc-100B --scenario from-string-1MiB"))
        #expect(!arguments.contains("--compare-node"))
        #expect(runner.progressSteps == 3)
        #expect(runner.nodeRepetitions == 12, "Node, run once, gets as many timed runs as each Swift figure has in all")
    }

    // MARK: - JSON

    static let newKeys = [
        "processes", "processSpread", "ownedProcessSpread", "defaultSourceProcessSpread", "ownedDefaultSourceProcessSpread",
        "cProcessSpread",
        "swiftAlternativesProcessSpread",
    ]
    static let existingKeys = [
        "backend", "scenario", "iterations", "nsPerOp", "ownedNsPerOp", "cNsPerOp", "nodeNsPerOp", "fastestOverC", "repetitions",
        "defaultSourceNsPerOp", "ownedDefaultSourceNsPerOp", "relativeSpread", "ownedRelativeSpread", "swiftAlternativesNsPerOp",
    ]

    static func jsonObjects(_ results: [BenchResult]) throws -> [[String: Any]] {
        let data = try JSONEncoder().encode(results)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    @Test("every row has every key: the new ones are null in-process, numbers when combined")
    func jsonShape() throws {
        let inProcess = Self.row(ns: 100)
        let combined = try BenchProcessCombination.combine([[Self.row(ns: 100)], [Self.row(ns: 120)], [Self.row(ns: 90)]])[0]
        let objects = try Self.jsonObjects([inProcess, combined])
        for object in objects { #expect(Set(object.keys) == Set(Self.existingKeys + Self.newKeys)) }
        for key in Self.newKeys { #expect(objects[0][key] is NSNull, "\(key) in-process: \(objects[0][key] ?? "absent")") }
        #expect(objects[1]["processes"] as? Int == 3)
        for key in Self.newKeys.dropFirst() { #expect(!(objects[1][key] is NSNull), "\(key) combined is null") }
        #expect((objects[1]["swiftAlternativesProcessSpread"] as? [String: Double])?["Data(count:)"] != nil)
    }

    @Test("JSON written before --processes existed still decodes, with the new figures nil")
    func olderJSON() throws {
        var object = try Self.jsonObjects([Self.row(ns: 100)])[0]
        for key in Self.newKeys { object.removeValue(forKey: key) }
        let decoded = try JSONDecoder().decode(BenchResult.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(
            decoded.nsPerOp == 100 && decoded.processes == nil && decoded.processSpread == nil
                && decoded.swiftAlternativesProcessSpread == nil)
    }

    // MARK: - Tables

    @Test("the bench table shows both sources, C, each alternative column and the spread; absent figures are —")
    func textTable() throws {
        let rows = [
            Self.row(
                ns: 100, alternatives: ["[UInt8](repeating:count:)": 44, "ByteBufferAllocator.buffer(capacity:)+writeRepeatingByte": 77]),
            Self.row(scenario: .fromString1MiB, ns: 5_000),
        ]
        let lines = BenchTable.render(rows).split(separator: "\n").map(String.init)
        #expect(lines[0].contains("using: backend") && lines[0].contains("default source") && lines[0].contains("Swift alternatives"))
        let titles = lines[1].split(separator: " ").map(String.init)
        #expect(
            titles == ["backend", "scenario", "Shared", "Owned", "Shared", "Owned", "C", "fastest/C", "[UInt8]", "ByteBuffer", "spread"])
        let first = lines[2].split(separator: " ").map(String.init)
        #expect(first == ["system", "alloc-100B", "100", "50.0", "150", "100", "10.0", "5.0", "44.0", "77.0", "2.0%"])
        let copies = lines[3].split(separator: " ").map(String.init)
        #expect(copies == ["system", "from-string-1MiB", "5000", "—", "7500", "—", "500", "10.0", "—", "—", "1.0%"])
        #expect(lines.contains { $0.contains("ByteBuffer: ByteBufferAllocator.buffer(capacity:)+writeRepeatingByte") })
        #expect(!lines.contains { $0.contains("Node") }, "no Node columns without Node figures")
    }

    @Test("the report's every-form table: OwnedBytes and SharedBytes from both sources, C, OwnedBytes/C, alternatives, spread")
    func reportTable() throws {
        let runs = [100.0, 120, 90].map { ns in
            [
                Self.row(
                    ns: ns, c: 10,
                    alternatives: ["[UInt8](repeating:count:)": 40, "ByteBufferAllocator.buffer(capacity:)+writeRepeatingByte": 70])
            ]
        }
        let table = ReportWriter.everyFormTable(try BenchProcessCombination.combine(runs))
        #expect(
            table.columns.map(\.title) == [
                "scenario", "OwnedBytes", "OwnedBytes default", "SharedBytes", "SharedBytes default", "C", "OwnedBytes/C", "`[UInt8]`",
                "`ByteBuffer`", "spread",
            ])
        // Median 100 → OwnedBytes 50, default 100, SharedBytes 100, default 150, C 10; the
        // largest spread is SharedBytes' (120 − 90) / 100.
        #expect(table.rows == [["alloc-100B", "50.0", "100", "100", "150", "10.0", "5.00", "40.0", "70.0", "30.0%"]])
        let section = ReportWriter.speedSection(Self.report(try BenchProcessCombination.combine(runs)), backends: ["system"])
        #expect(section.contains("median across 3 processes"))
        // Code spans, or Markdown would read `[UInt8](repeating:count:)` as a link.
        #expect(section.contains("- `[UInt8]`: `[UInt8](repeating:count:)`\n"))
    }

    static func report(_ bench: [BenchResult]) -> Report {
        let machine = MachineInfo(
            date: "2026-01-01T00:00:00Z", operatingSystem: "Debian", kernel: "6 x86_64", cores: 2, memoryGiB: 8, swift: "6.3.1", node: nil,
            allocatorVersions: [:])
        return Report(
            version: nil, machine: machine, command: "", backends: [], bench: bench, nodeOverAllocShimGeometricMean: [:], residue: [],
            configurations: [],
            fragmentation: [], threads: [])
    }

    // MARK: - The command

    @Test("allocshim bench --processes 2 prints combined rows; --processes 1 measures in-process (processes null)")
    func command() throws {
        let arguments = [
            "bench", "--json", "--quiet", "--backend", "system", "--scenario", "alloc-100B", "--iterations", "50", "--repetitions", "1",
        ]
        let two = try runAllocShim(arguments + ["--processes", "2"])
        #expect(two.status == 0, "\(two.stderr)")
        let combined = try Self.decodedObjects(two.stdout)
        #expect(combined.count == 1)
        #expect(combined.first?["processes"] as? Int == 2)
        #expect(combined.first?["cProcessSpread"] is Double)
        let one = try runAllocShim(arguments + ["--processes", "1"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try Self.decodedObjects(one.stdout).first?["processes"] is NSNull)
    }

    static func decodedObjects(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }
}

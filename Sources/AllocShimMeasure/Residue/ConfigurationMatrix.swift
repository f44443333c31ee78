import AllocShim
import Foundation

/// An allocator configuration people really set, applied through the environment of a child
/// process (allocators read these once, at start).
package struct AllocatorConfiguration: Sendable {
    /// The row's label, e.g. "glibc MALLOC_PERTURB_=165".
    package var name: String
    /// The backend the child process measures.
    package var backend: BackendName
    /// Variables set for the child process; empty for a default row.
    package var environment: [String: String]
    /// What the setting does to freed or new memory, per its documentation.
    package var effect: String

    /// The documented set `allocshim residue --config-matrix` compares.
    package static let matrix: [AllocatorConfiguration] = [
        .init(name: "glibc default", backend: .system, environment: [:], effect: "tcache and fastbins hand freed chunks back as they were, minus their link words"),
        .init(
            name: "glibc MALLOC_PERTURB_=165", backend: .system, environment: ["MALLOC_PERTURB_": "165"],
            effect: "glibc fills freed chunks with the byte 165 and new ones with 165 ^ 0xFF"),
        .init(
            name: "glibc tcache off", backend: .system, environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"],
            effect: "no per-thread cache: reuse goes through fastbins and bins"),
        .init(name: "jemalloc default", backend: .jemalloc, environment: [:], effect: "thread caches and slabs return freed regions untouched"),
        .init(
            name: "jemalloc junk:true", backend: .jemalloc, environment: ["MALLOC_CONF": "junk:true"],
            effect: "fills new memory with 0xA5 and freed memory with 0x5A (needs a build with --enable-fill)"),
        .init(
            name: "jemalloc zero:true", backend: .jemalloc, environment: ["MALLOC_CONF": "zero:true"],
            effect: "every allocation is zeroed (needs --enable-fill)"),
        .init(name: "mimalloc default", backend: .mimalloc, environment: [:], effect: "free lists inside pages; a freed block keeps its bytes except the link word"),
        .init(
            name: "mimalloc MIMALLOC_PAGE_RESET=1", backend: .mimalloc, environment: ["MIMALLOC_PAGE_RESET": "1"],
            effect: "resets (madvise) pages that become free; live pages keep their bytes"),
        .init(name: "tcmalloc default", backend: .tcmalloc, environment: [:], effect: "thread caches of singly linked free objects"),
        .init(
            name: "tcmalloc debug library", backend: .tcmalloc,
            environment: ["ALLOCSHIM_TCMALLOC_LIBRARY": "libtcmalloc_minimal_debug.so.4"],
            effect: "gperftools' debug allocator: fills freed memory and delays its reuse"),
        .init(
            name: "ALLOCSHIM_ZERO_FILL=1", backend: .system, environment: ["ALLOCSHIM_ZERO_FILL": "1"],
            effect: "AllocShim zeroes every uninitialized buffer (unsafe-pooled); raw allocator calls are unaffected"),
    ]
}

/// One configuration's residue and speed.
package struct ConfigurationResult: Codable, Sendable {
    /// The configuration's `AllocatorConfiguration.name`.
    package var configuration: String
    /// The backend measured, a `BackendName` raw value.
    package var backend: String
    /// Variables the child process ran with.
    package var environment: [String: String]
    /// What the setting does, per its documentation.
    package var effect: String
    /// Residue per scenario and size, as measured in the child.
    package var residue: [ResidueResult]
    /// Median ns per uninitialized 100 B and 10 KiB allocate/free pair (the C baseline in the
    /// same child), i.e. what the configuration costs in speed.
    package var cNsPerOp100B: Double?
    /// The 10 KiB twin of `cNsPerOp100B`; `nil` when the speed run failed.
    package var cNsPerOp10KiB: Double?
    /// Why the configuration could not be measured, if it could not.
    package var error: String?
}

/// Runs the probe under each configuration in a child process of this same executable.
package enum ConfigurationMatrix {
    /// Scenarios probed under each configuration.
    package static let scenarios: [ResidueScenario] = [.sameSize, .spray, .unsafePooled]
    /// Buffer sizes probed under each configuration, in bytes.
    package static let sizes = [100, 4096, 64 * 1024]

    /// Steps ``run(backends:rounds:progress:)`` reports: two per configuration (residue, speed).
    package static func progressSteps(backends: [BackendName]) -> Int {
        AllocatorConfiguration.matrix.filter { backends.contains($0.backend) }.count * 2
    }

    /// Runs `allocshim residue` and then `allocshim bench` (C baseline at 100 B and 10 KiB) in a
    /// child process per configuration of a backend in `backends`. A failed residue run is
    /// recorded in the row's `error`; a child that cannot be started, or output that does not
    /// decode, throws.
    package static func run(backends: [BackendName], rounds: Int, progress: (String) -> Void) throws -> [ConfigurationResult] {
        var rows: [ConfigurationResult] = []
        for configuration in AllocatorConfiguration.matrix where backends.contains(configuration.backend) {
            progress("\(configuration.name): residue")
            var row = ConfigurationResult(
                configuration: configuration.name, backend: configuration.backend.rawValue, environment: configuration.environment,
                effect: configuration.effect, residue: [], cNsPerOp100B: nil, cNsPerOp10KiB: nil, error: nil)
            var arguments = ["residue", "--json", "--quiet", "--no-default-sizes", "--rounds", String(rounds), "--backend", configuration.backend.rawValue]
            for scenario in scenarios { arguments += ["--scenario", scenario.rawValue] }
            for size in sizes { arguments += ["--size", String(size)] }
            let residue = try ChildProcess.run(ChildProcess.selfExecutable, arguments, environment: configuration.environment)
            if residue.status == 0 {
                row.residue = try JSONDecoder().decode([ResidueResult].self, from: Data(residue.stdout.utf8))
            } else {
                row.error = residue.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(residue.status)"
            }
            progress("\(configuration.name): speed")
            let bench = try ChildProcess.run(
                ChildProcess.selfExecutable,
                [
                    "bench", "--json", "--quiet", "--backend", configuration.backend.rawValue, "--scenario", "allocUnsafeSlow-100B", "--scenario",
                    "allocUnsafeSlow-10KiB", "--iterations", "20000", "--repetitions", "3",
                ], environment: configuration.environment)
            if bench.status == 0 {
                let results = try JSONDecoder().decode([BenchResult].self, from: Data(bench.stdout.utf8))
                row.cNsPerOp100B = results.first { $0.scenario == "allocUnsafeSlow-100B" }?.cNsPerOp
                row.cNsPerOp10KiB = results.first { $0.scenario == "allocUnsafeSlow-10KiB" }?.cNsPerOp
            }
            rows.append(row)
        }
        return rows
    }

    /// A table of mean recovered % per scenario and size plus the C cost, one row per
    /// configuration; a failed row shows its error instead.
    package static func render(_ rows: [ConfigurationResult]) -> String {
        var columns = [Table.Column("configuration", .left, minimumWidth: 31), Table.Column("backend", .left, minimumWidth: 9)]
        for scenario in scenarios {
            for size in sizes { columns.append(Table.Column("\(scenario.rawValue) \(size)", minimumWidth: columns.count == 2 ? 22 : 21)) }
        }
        columns += [Table.Column("ns 100B", minimumWidth: 9), Table.Column("ns 10KiB", minimumWidth: 9)]
        var table = Table(columns: columns)
        for row in rows {
            if let error = row.error {
                table.append([row.configuration, row.backend], note: "error: " + error)
                continue
            }
            var cells = [row.configuration, row.backend]
            for scenario in scenarios {
                for size in sizes {
                    let cell = row.residue.first { $0.scenario == scenario.rawValue && $0.size == size }
                    cells.append(cell.map { $0.applicable ? String(format1: $0.recoveredPercent) : "n/a" } ?? "")
                }
            }
            cells += [row.cNsPerOp100B.map { String(format1: $0) } ?? "—", row.cNsPerOp10KiB.map { String(format1: $0) } ?? "—"]
            table.append(cells)
        }
        return "Recovered % (mean) per scenario and size, and the C allocate/free cost under each configuration\n" + table.text
    }
}

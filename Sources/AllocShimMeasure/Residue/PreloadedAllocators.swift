import AllocShim
import Foundation

/// A C allocator measured through the C residue probe (Tools/residue-c) with `LD_PRELOAD`:
/// the way to measure allocators that can only replace `malloc` for a whole process (Scudo
/// and jemalloc use static TLS: no dlopen), and the same code path for every allocator, so
/// their residue and cost compare directly.
package struct PreloadedAllocator: Sendable, Equatable {
    /// The allocator family (the one family type); nil for musl's malloc, which only the
    /// statically linked musl probe has.
    package var family: ProcessAllocator.Family?
    /// The library file to preload, by name (one of the family's sonames, or a build variant
    /// of it); nil: none (the probe's C library itself).
    package var soname: String?
    /// Whether the musl probe (static, its own malloc) runs instead of the glibc one.
    package var usesMuslProbe: Bool

    /// The family's name, by which rows of one family are compared with its default: the
    /// family's raw value, or "musl".
    package var familyName: String { family?.rawValue ?? "musl" }

    /// glibc's own malloc: the glibc probe with nothing preloaded.
    package static let glibc = PreloadedAllocator(family: .glibc, soname: nil, usesMuslProbe: false)
    /// musl's malloc: the statically linked musl probe.
    package static let musl = PreloadedAllocator(family: nil, soname: nil, usesMuslProbe: true)
    /// LLVM's Scudo hardened allocator (`libclang_rt.scudo_standalone-<architecture>.so`).
    package static let scudo = PreloadedAllocator(family: .scudo, soname: ProcessAllocator.Family.scudo.sonames.first, usesMuslProbe: false)
    /// jemalloc from `libjemalloc.so.2`.
    package static let jemalloc = PreloadedAllocator(
        family: .jemalloc, soname: ProcessAllocator.Family.jemalloc.sonames.first, usesMuslProbe: false)
    /// gperftools' tcmalloc from `libtcmalloc_minimal.so.4` (the build without the heap profiler).
    package static let tcmalloc = PreloadedAllocator(
        family: .tcmalloc, soname: ProcessAllocator.Family.tcmalloc.sonames.first { $0.hasPrefix("libtcmalloc_minimal.") },
        usesMuslProbe: false)
    /// gperftools' debug allocator (`libtcmalloc_minimal_debug.so.4`), in the tcmalloc family:
    /// a build variant AllocShim never loads by itself, so not in the soname table.
    package static let tcmallocDebug = PreloadedAllocator(family: .tcmalloc, soname: "libtcmalloc_minimal_debug.so.4", usesMuslProbe: false)
    /// mimalloc from `libmimalloc.so.2`.
    package static let mimalloc = PreloadedAllocator(
        family: .mimalloc, soname: ProcessAllocator.Family.mimalloc.sonames.first, usesMuslProbe: false)

    /// The library found on this machine, nil when none is needed; throws when it is missing.
    func library() throws -> String? {
        guard let soname else { return nil }
        guard let found = SharedLibraries.find([soname]) else {
            throw MeasureError.failed("not installed: \(soname) (scripts/install-deps.sh installs it)")
        }
        return found
    }

    /// The probe binary and environment for a run with `settings` (e.g. SCUDO_OPTIONS).
    func invocation(settings: [String: String]) throws -> (probe: String, environment: [String: String]) {
        let name = usesMuslProbe ? "residue-probe-musl" : "residue-probe-glibc"
        let probe = "\(NodeBench.packageRoot())/.build-tools/\(name)"
        guard FileManager.default.isExecutableFile(atPath: probe) else {
            throw MeasureError.failed("\(probe) is not built (make tools)")
        }
        var environment = settings
        if let library = try library() { environment["LD_PRELOAD"] = library }
        return (probe, environment)
    }
}

/// A hardened or debug allocator setting, as a row of the residue table.
package struct HardenedConfiguration: Sendable {
    /// The row's label, e.g. "scudo zero_contents=1".
    package var name: String
    /// The allocator preloaded for this row.
    package var allocator: PreloadedAllocator
    /// Variables the allocator reads at start (SCUDO_OPTIONS, MALLOC_CONF, ...).
    package var settings: [String: String]
    /// What its documentation says it does to freed or new memory (checked against the
    /// measurement in docs/residue.md).
    package var documented: String

    /// The rows of `allocshim residue --hardened` and the report: each family's default first.
    package static let matrix: [HardenedConfiguration] = [
        .init(name: "glibc default", allocator: .glibc, settings: [:], documented: "tcache/fastbins keep freed bytes except link words"),
        .init(
            name: "glibc tcache off + MALLOC_PERTURB_=165", allocator: .glibc,
            settings: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0", "MALLOC_PERTURB_": "165"],
            documented: "mallopt(3): M_PERTURB fills freed memory with the byte and new memory (except calloc) with its complement"),
        .init(
            name: "scudo default", allocator: .scudo, settings: [:],
            documented: "hardened: randomized, checksummed headers, quarantine off by default"),
        .init(
            name: "scudo zero_contents=1", allocator: .scudo, settings: ["SCUDO_OPTIONS": "zero_contents=1"],
            documented: "zero-fills every new allocation"),
        .init(
            name: "scudo pattern_fill_contents=1", allocator: .scudo, settings: ["SCUDO_OPTIONS": "pattern_fill_contents=1"],
            documented: "fills every new allocation with a pattern byte (0xAB)"),
        .init(name: "jemalloc default", allocator: .jemalloc, settings: [:], documented: "tcache and slabs return freed regions untouched"),
        .init(
            name: "jemalloc junk:alloc", allocator: .jemalloc, settings: ["MALLOC_CONF": "junk:alloc"],
            documented: "jemalloc(3): fills new memory with 0xa5 (needs --enable-fill)"),
        .init(
            name: "jemalloc junk:free", allocator: .jemalloc, settings: ["MALLOC_CONF": "junk:free"],
            documented: "jemalloc(3): fills freed memory with 0x5a (needs --enable-fill)"),
        .init(
            name: "jemalloc zero:true", allocator: .jemalloc, settings: ["MALLOC_CONF": "zero:true"],
            documented: "jemalloc(3): every allocation is zeroed (needs --enable-fill)"),
        .init(
            name: "tcmalloc_minimal default", allocator: .tcmalloc, settings: [:], documented: "thread caches of singly linked free objects"
        ),
        .init(
            name: "tcmalloc_minimal_debug", allocator: .tcmallocDebug, settings: [:],
            documented: "gperftools debugallocation: new memory filled with 0xAB, freed with 0xCD, reuse delayed by a free queue"),
    ]
}

/// One hardened row: residue per scenario and size, and the C malloc/free cost in the same
/// run, with the ratio to its family's default row.
package struct HardenedResult: Codable, Sendable {
    /// The configuration's `HardenedConfiguration.name`.
    package var configuration: String
    /// The allocator family, for comparing with the family's default row.
    package var family: String
    /// Variables the probe ran with.
    package var settings: [String: String]
    /// What the allocator's documentation says the setting does.
    package var documented: String
    /// Residue per scenario and size; each result's `backend` is the configuration's name.
    package var residue: [ResidueResult]
    /// Median ns per 100 B malloc/free pair in the C probe; `nil` when the row failed.
    package var cNsPerOp100B: Double?
    /// Median ns per 10 KiB malloc/free pair in the C probe; `nil` when the row failed.
    package var cNsPerOp10KiB: Double?
    /// Cost relative to the family's default (1.0 for the default itself).
    package var costRatio100B: Double?
    /// The 10 KiB twin of `costRatio100B`.
    package var costRatio10KiB: Double?
    /// Why the row could not be measured (library or probe missing, probe failed); `nil` on success.
    package var error: String?
}

private struct CostSample: Codable {
    var cNsPerOp100B: Double
    var cNsPerOp10KiB: Double
}

/// Runs the hardened rows through the C probe.
package enum HardenedMatrix {
    /// The C probe's scenarios measured for every row.
    package static let scenarios = ["same-size", "spray"]
    /// Buffer sizes measured for every row, in bytes.
    package static let sizes = [100, 4096, 64 * 1024]

    /// Runs the C probe under each configuration (residue, then cost), `rounds` rounds per cell,
    /// and sets each row's cost ratios against its family's first row that succeeded. Never
    /// throws: a failed row carries its `error`.
    package static func run(
        configurations: [HardenedConfiguration] = HardenedConfiguration.matrix, rounds: Int, progress: (String) -> Void = { _ in }
    ) -> [HardenedResult] {
        var rows: [HardenedResult] = []
        for configuration in configurations {
            progress("hardened \(configuration.name)")
            var row = HardenedResult(
                configuration: configuration.name, family: configuration.allocator.familyName, settings: configuration.settings,
                documented: configuration.documented, residue: [])
            do {
                let (probe, environment) = try configuration.allocator.invocation(settings: configuration.settings)
                var arguments = ["--rounds", String(rounds)]
                for scenario in scenarios { arguments += ["--scenario", scenario] }
                for size in sizes { arguments += ["--size", String(size)] }
                let residue = try ChildProcess.run(probe, arguments, environment: environment)
                guard residue.status == 0 else {
                    throw MeasureError.failed(residue.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(residue.status)")
                }
                row.residue = try JSONDecoder().decode([ResidueResult].self, from: Data(residue.stdout.utf8))
                for index in row.residue.indices { row.residue[index].backend = configuration.name }
                let cost = try ChildProcess.run(probe, ["--cost"], environment: environment)
                guard cost.status == 0 else { throw MeasureError.failed("cost run: exit \(cost.status)") }
                let sample = try JSONDecoder().decode(CostSample.self, from: Data(cost.stdout.utf8))
                row.cNsPerOp100B = sample.cNsPerOp100B
                row.cNsPerOp10KiB = sample.cNsPerOp10KiB
            } catch {
                row.error = "\(error)"
            }
            rows.append(row)
        }
        // Ratios to each family's first (default) row measured in this same run.
        for index in rows.indices {
            guard let base = rows.first(where: { $0.family == rows[index].family && $0.error == nil }) else { continue }
            if let cost = rows[index].cNsPerOp100B, let baseCost = base.cNsPerOp100B, baseCost > 0 {
                rows[index].costRatio100B = cost / baseCost
            }
            if let cost = rows[index].cNsPerOp10KiB, let baseCost = base.cNsPerOp10KiB, baseCost > 0 {
                rows[index].costRatio10KiB = cost / baseCost
            }
        }
        return rows
    }

    /// A table of mean recovered % per scenario and size, the C cost and its ratio to the
    /// family's default, one row per configuration; a failed row shows its error instead.
    package static func render(_ rows: [HardenedResult]) -> String {
        caption + "\n" + table(rows).text
    }

    /// What ``table(_:)`` shows, in a line.
    package static let caption =
        "Recovered % (mean) through the C probe under LD_PRELOAD, and the malloc/free cost (× = against the family's default, same run)"

    /// The rows of ``render(_:)`` as a table, for plain text or Markdown.
    package static func table(_ rows: [HardenedResult]) -> Table {
        var columns = [Table.Column("hardened / debug configuration", .left, minimumWidth: 39)]
        for scenario in scenarios {
            for size in sizes { columns.append(Table.Column("\(scenario) \(size)", minimumWidth: columns.count == 1 ? 17 : 16)) }
        }
        columns += [
            Table.Column("ns 100B", minimumWidth: 8), Table.Column("×", minimumWidth: 5), Table.Column("ns 10KiB", minimumWidth: 8),
            Table.Column("×", minimumWidth: 5),
        ]
        var table = Table(columns: columns)
        for row in rows {
            if let error = row.error {
                table.append([row.configuration], note: "error: " + error)
                continue
            }
            var cells = [row.configuration]
            for scenario in scenarios {
                for size in sizes {
                    let cell = row.residue.first { $0.scenario == scenario && $0.size == size }
                    cells.append(cell.map { String(format1: $0.recoveredPercent) } ?? "")
                }
            }
            cells += [
                row.cNsPerOp100B.map { String(format1: $0) } ?? "—", row.costRatio100B.map { String(format: "%.2f", $0) } ?? "—",
                row.cNsPerOp10KiB.map { String(format1: $0) } ?? "—", row.costRatio10KiB.map { String(format: "%.2f", $0) } ?? "—",
            ]
            table.append(cells)
        }
        return table
    }
}

import Foundation

/// What the heap held before the secret: live neighbours of the measured size allocated (and
/// kept) before it, on a fresh heap or after a churn of mixed sizes.
package struct HeapState: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Blocks of the measured size allocated, and kept live, just before the secret.
    package var liveNeighbours: Int
    /// Whether the heap went through a churn of mixed sizes first.
    package var churned: Bool

    /// For example "churned, 7 live".
    package var description: String { "\(churned ? "churned" : "fresh"), \(liveNeighbours) live" }

    /// The states every cell is measured in.
    package static let all: [HeapState] = [0, 1, 7, 63].map { HeapState(liveNeighbours: $0, churned: false) }
        + [0, 7, 63].map { HeapState(liveNeighbours: $0, churned: true) }
}

/// One (allocator, scenario, size) cell over every heap state.
package struct HeapHistoryCell: Codable, Sendable {
    /// The allocator family, a `PreloadedAllocator.familyName`.
    package var allocator: String
    /// The C probe's scenario name: "same-size" or "different-size".
    package var scenario: String
    /// Buffer size in bytes.
    package var size: Int
    /// Mean recovered % per state, in ``HeapState/all`` order.
    package var percentByState: [Double]
    /// The states measured, in the order of `percentByState`.
    package var states: [HeapState]

    /// The lowest recovered % over the states (0 when none were measured).
    package var minimum: Double { percentByState.min() ?? 0 }
    /// The highest recovered % over the states (0 when none were measured).
    package var maximum: Double { percentByState.max() ?? 0 }
    /// The spread is wide when states differ by more than this many points: then one number
    /// would mislead, and the table prints the range.
    package static let wideSpread = 20.0
    /// Whether the states differ by more than `wideSpread` points.
    package var isWide: Bool { maximum - minimum > Self.wideSpread }
}

/// Measures residue cells across heap states, for every allocator the C probe reaches.
package enum HeapHistory {
    /// The allocators measured, each through the C probe.
    package static let allocators: [PreloadedAllocator] = [.glibc, .musl, .scudo, .jemalloc, .tcmalloc, .mimalloc]
    /// The C probe's scenarios measured in every state.
    package static let scenarios = ["same-size", "different-size"]
    /// Buffer sizes measured in every state, in bytes.
    package static let sizes = [16, 100, 4096]

    /// Runs the C probe for every allocator in each of `states`, `rounds` rounds per cell. Never
    /// throws: an allocator whose probe or library is missing, or whose run fails, is left out of
    /// `cells` and described in `errors`.
    package static func run(rounds: Int, states: [HeapState] = HeapState.all, progress: (String) -> Void = { _ in }) -> (cells: [HeapHistoryCell], errors: [String]) {
        var cells: [HeapHistoryCell] = []
        var errors: [String] = []
        for allocator in allocators {
            progress("heap history \(allocator.familyName)")
            var byState: [[ResidueResult]] = []
            do {
                let (probe, environment) = try allocator.invocation(settings: [:])
                for state in states {
                    var arguments = ["--rounds", String(rounds), "--neighbours", String(state.liveNeighbours)]
                    if state.churned { arguments.append("--churn") }
                    for scenario in scenarios { arguments += ["--scenario", scenario] }
                    for size in sizes { arguments += ["--size", String(size)] }
                    let output = try ChildProcess.run(probe, arguments, environment: environment)
                    guard output.status == 0 else { throw MeasureError.failed("\(state): exit \(output.status): \(output.stderr)") }
                    byState.append(try JSONDecoder().decode([ResidueResult].self, from: Data(output.stdout.utf8)))
                }
            } catch {
                errors.append("\(allocator.familyName): \(error)")
                continue
            }
            for scenario in scenarios {
                for size in sizes {
                    let percents = byState.map { results in
                        results.first { $0.scenario == scenario && $0.size == size }?.recoveredPercent ?? .nan
                    }
                    cells.append(
                        HeapHistoryCell(
                            allocator: allocator.familyName, scenario: scenario, size: size, percentByState: percents, states: states))
                }
            }
        }
        return (cells, errors)
    }

    /// One line per cell: the range, "WIDE" where states disagree, and every state's value.
    package static func render(_ cells: [HeapHistoryCell], errors: [String]) -> String {
        guard let states = cells.first?.states else { return (["Heap history: nothing measured"] + errors).joined(separator: "\n") }
        var table = Table(
            columns: [
                Table.Column("allocator", .left, minimumWidth: 9), Table.Column("scenario", .left, minimumWidth: 15),
                Table.Column("size", minimumWidth: 6), Table.Column("range", minimumWidth: 15),
            ] + states.map { Table.Column($0.description, minimumWidth: 16) })
        for cell in cells {
            let range = cell.isWide
                ? "WIDE \(String(format1: cell.minimum))–\(String(format1: cell.maximum))"
                : "\(String(format1: cell.minimum))–\(String(format1: cell.maximum))"
            table.append([cell.allocator, cell.scenario, String(cell.size), range] + cell.percentByState.map { String(format1: $0) })
        }
        var lines = [
            "Recovered % by heap state (C probe; fresh/churned heap, live same-size neighbours before the secret); WIDE: states differ by more than \(Int(HeapHistoryCell.wideSpread)) points",
            table.text,
        ]
        lines += errors.map { "error: \($0)" }
        return lines.joined(separator: "\n")
    }
}

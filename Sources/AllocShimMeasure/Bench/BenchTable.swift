/// Plain-text rendering of benchmark results.
public enum BenchTable {
    /// One row per result: ns per buffer for `SharedBytes`, `OwnedBytes` and C, the fastest
    /// Swift form over C, and Node where measured; a last line gives repetitions and iterations.
    public static func render(_ results: [BenchResult]) -> String {
        var lines = ["backend          scenario                SharedBytes   OwnedBytes       C   fastest/C      Node  Node/fastest"]
        for result in results {
            let owned = result.ownedNsPerOp.map { format($0) } ?? "—"
            let node = result.nodeNsPerOp.map { format($0) } ?? "—"
            let fastest = Swift.min(result.nsPerOp, result.ownedNsPerOp ?? .infinity)
            let speedup = result.nodeNsPerOp.map { String(format1: $0 / fastest) + "×" } ?? "—"
            lines.append(
                pad(result.backend, 16) + " " + pad(result.scenario, 22) + " " + lpad(format(result.nsPerOp), 11) + " "
                    + lpad(owned, 12) + " " + lpad(format(result.cNsPerOp), 7) + " " + lpad(String(format1: result.fastestOverC), 11)
                    + " " + lpad(node, 9) + " " + lpad(speedup, 13))
        }
        lines.append("(ns per buffer, median of \(results.first?.repetitions ?? 0) repetitions of \(results.first?.iterations ?? 0))")
        return lines.joined(separator: "\n")
    }

    static func format(_ nanoseconds: Double) -> String {
        nanoseconds >= 100 ? String(Int(nanoseconds.rounded())) : String(format1: nanoseconds)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

extension String {
    /// One decimal place, without Foundation's formatter.
    init(format1 value: Double) {
        guard value.isFinite else {
            self = "—"
            return
        }
        let tenths = (value * 10).rounded()
        self = "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
    }
}

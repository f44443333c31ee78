import AllocShim
import Foundation

/// What each in-process defence costs per buffer, measured in one run on one backend:
/// an `allocUnsafe(size)` that is written (all but a tail) and converted to `[UInt8]` — the
/// chapter's response path — under each defence.
package struct LeakDefenceCost: Codable, Sendable {
    /// The defence measured: a `LeakDefenceCosts.Defence` raw value.
    package var defence: String
    /// What it stops (for the report).
    package var stops: String
    /// Bytes per buffer.
    package var size: Int
    /// Median per-thread CPU ns per buffer over the repetitions, and the spread.
    package var nsPerOp: Double
    /// Fastest repetition, per-thread CPU ns per buffer.
    package var minNsPerOp: Double
    /// Slowest repetition, per-thread CPU ns per buffer.
    package var maxNsPerOp: Double
    /// Exposures the defence reported during the run (the detector only).
    package var reported: Int
}

/// Measures what each in-process leak defence costs per buffer (see `LeakDefenceCost`).
package enum LeakDefenceCosts {
    /// The defences compared; raw values are the names the report shows.
    package enum Defence: String, CaseIterable, Sendable {
        case none = "allocUnsafe (no defence)"
        case zeroed = "alloc (zeroed buffer)"
        case zeroFill = "zero-fill mode"
        case poisonOnly = "poison mode, detector off"
        case poisonAndDetector = "poison + detector on conversion"

        var stops: String {
            switch self {
            case .none: return "nothing: the tail holds the previous owner's bytes"
            case .zeroed: return "the leak (tail is zeros), at the call site that uses it"
            case .zeroFill: return "the leak, process-wide, without code changes"
            case .poisonOnly: return "the leak's content (tail is the pattern, not a secret); nothing reported"
            case .poisonAndDetector: return "the leak's content, and reports offset and length of the unwritten tail"
            }
        }
    }

    /// Each defence in turn, `repetitions` × `iterations` buffers of `size` bytes with the
    /// last `tail` bytes unwritten. Process-wide settings are restored afterwards.
    package static func measure(size: Int = 1024, tail: Int = 100, iterations: Int = 20_000, repetitions: Int = 7) throws -> [LeakDefenceCost] {
        let source = try BufferSource(allocator: SystemAllocator.shared)
        let text = Array(String(repeating: "HTTP/1.1 200 OK\r\n", count: size / 17 + 1).utf8.prefix(size - tail))
        let reported = ReportedCounter()
        ExposureMonitor.setHandler { _ in reported.add() }
        defer {
            ExposureMonitor.resetHandler()
            PoisonMode.setEnabled(false)
            BufferConfiguration.setZeroFill(false)
        }
        var results: [LeakDefenceCost] = []
        for defence in Defence.allCases {
            PoisonMode.setEnabled(defence == .poisonOnly || defence == .poisonAndDetector)
            BufferConfiguration.setZeroFill(defence == .zeroFill)
            reported.reset()
            var samples: [Double] = []
            for _ in 0..<repetitions {
                let start = threadCPUNanoseconds()
                for _ in 0..<iterations {
                    // allocshim: uninitialized — the undefended baseline of the cost table; the buffer is filled before use and never leaves the process
                    let buffer = defence == .zeroed ? try SharedBytes.alloc(size, using: source) : try SharedBytes.allocUnsafe(size, using: source)
                    buffer.withUnsafeMutableBytes { bytes in _ = bytes.initializeMemory(as: UInt8.self, from: text) }
                    if defence == .poisonOnly {
                        PoisonMode.setEnabled(false)  // conversion without the check
                        _ = buffer.copyToArray()
                        PoisonMode.setEnabled(true)
                    } else {
                        _ = buffer.copyToArray()
                    }
                }
                samples.append(Double(threadCPUNanoseconds() - start) / Double(iterations))
            }
            results.append(
                LeakDefenceCost(
                    defence: defence.rawValue, stops: defence.stops, size: size, nsPerOp: median(samples), minNsPerOp: samples.min()!,
                    maxNsPerOp: samples.max()!, reported: reported.value))
        }
        return results
    }
}

private final class ReportedCounter: @unchecked Sendable {
    // @unchecked: used by one measuring thread (the handler runs on the converting thread).
    private(set) var value = 0
    func add() { value += 1 }
    func reset() { value = 0 }
}

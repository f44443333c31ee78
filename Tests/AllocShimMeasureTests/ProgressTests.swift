@testable import AllocShimMeasure
import Synchronization
import Testing

@Suite("Progress")
struct ProgressTests {
    final class Output: Sendable {
        let text = Mutex("")
        func write(_ part: String) { text.withLock { $0 += part } }
        var value: String { text.withLock { $0 } }
    }

    @Test("plain lines: one per step with phase, step and percentage, then the total time")
    func lines() {
        let output = Output()
        let progress = ProgressReporter(
            phases: [.init(name: "residue", weight: 1, steps: 2), .init(name: "bench", weight: 3, steps: 3)], style: .lines, write: output.write)
        progress.beginPhase()
        progress.step("system same-size")
        progress.step("system spray")
        progress.beginPhase()
        progress.step("system alloc-100B")
        progress.finish()
        progress.step("ignored after finish")
        let lines = output.value.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("[ 0%] residue: system same-size — 0s elapsed"))
        #expect(lines[1].hasPrefix("[12%] residue: system spray"))
        #expect(lines[2].hasPrefix("[25%] bench: system alloc-100B"))
        #expect(lines[3].hasPrefix("done in "))
        #expect(!output.value.contains("\r"))
    }

    @Test("on a terminal: one line rewritten in place, cleared at the end")
    func updatingLine() {
        let output = Output()
        let progress = ProgressReporter(name: "threads", steps: 2, style: .updatingLine, write: output.write)
        progress.step("system, 1 thread")
        progress.step("system, 2 threads")
        progress.finish()
        let text = output.value
        #expect(!text.contains("\n"))
        #expect(text.components(separatedBy: "\r\u{1B}[K").count - 1 >= 3)
        #expect(text.contains("[50%] threads: system, 2 threads"))
        #expect(text.hasSuffix("\r\u{1B}[K"))
    }

    @Test("silent writes nothing")
    func silent() {
        let output = Output()
        let progress = ProgressReporter(name: "x", steps: 1, style: .silent, write: output.write)
        progress.step("a")
        progress.finish()
        #expect(output.value.isEmpty)
    }

    @Test("time left appears once a few percent are done; long lines are cut to the terminal")
    func estimate() {
        #expect(ProgressReporter.duration(65) == "1m05s" && ProgressReporter.duration(7.4) == "7s")
        #expect(ProgressReporter.fitted(String(repeating: "a", count: 200), columns: 80).count == 79)
        #expect(ProgressReporter.fitted("short", columns: 80) == "short")
    }
}

import AllocShim
import Foundation
import Testing

@testable import AllocShimMeasure

/// `soak --replot` checks every field of the soak.json it reads and escapes labels in its
/// Markdown and SVG (issue 21, item 10).
@Suite("Soak report read back")
struct SoakReplotTests {
    /// A small valid report: 30 s, bursts of 5 s, idle 5 s, one run of 30 samples.
    static func report() -> SoakReport {
        var workload = SoakWorkload()
        workload.durationSeconds = 30
        workload.burstSeconds = 5
        workload.idleSeconds = 5
        let samples = (0..<30).map {
            SoakSample(
                second: $0, burst: workload.isBurst(atSecond: $0), residentMiB: 100, anonymousMiB: 80, requests: 10, mebibytes: 1,
                p50Milliseconds: 1, p99Milliseconds: 5, errors: 0)
        }
        let run = SoakRun(
            label: "jemalloc MALLOC_CONF=dirty_decay_ms:0", repetition: 1, mallocLibrary: "/usr/lib/libjemalloc.so.2",
            serviceBufferBackend: "system", samples: samples)
        let cost = ReleaseCost(
            label: "system", allocator: "glibc", medianMicroseconds: 10, minimumMicroseconds: 5, maximumMicroseconds: 20,
            medianReleasedMiB: 1)
        return SoakReport(
            date: "2026-12-04T17:00:00Z", machine: "test", command: "allocshim soak", workload: workload, runs: [run], releaseCosts: [cost])
    }

    @Test("a report written by soak passes")
    func validReport() throws {
        try Self.report().validate()
    }

    /// Each edit makes one field bad; the error must name that field and its value.
    @Test(
        "every bad field is a typed error naming the field, the value and what is allowed",
        arguments: [
            ("workload.burstSeconds", "0"), ("workload.idleSeconds", "0"), ("workload.durationSeconds", "1000000000000000"),
            ("runs[0].samples[3].residentMiB", "1e+308"), ("runs[0].samples[3].second", "-1"), ("runs[0].label", "''"),
            ("runs[0].label", "'a\\n| x |'"), ("runs[0].repetition", "0"), ("runs[0].samples[3].p99Milliseconds", "-5.0"),
            ("releaseCosts[0].allocator", "'evil'"), ("releaseCosts[0].medianMicroseconds", "1e+300"), ("runs[0].samples (count)", "31"),
        ])
    func badField(_ field: String, _ shownValue: String) {
        var report = Self.report()
        switch (field, shownValue) {
        case ("workload.burstSeconds", _): report.workload.burstSeconds = 0
        case ("workload.idleSeconds", _): report.workload.idleSeconds = 0
        case ("workload.durationSeconds", _): report.workload.durationSeconds = 1_000_000_000_000_000
        case ("runs[0].samples[3].residentMiB", _): report.runs[0].samples[3].residentMiB = 1e308
        case ("runs[0].samples[3].second", _): report.runs[0].samples[3].second = -1
        case ("runs[0].label", "''"): report.runs[0].label = ""
        case ("runs[0].label", _): report.runs[0].label = "a\n| x |"
        case ("runs[0].repetition", _): report.runs[0].repetition = 0
        case ("runs[0].samples[3].p99Milliseconds", _): report.runs[0].samples[3].p99Milliseconds = -5
        case ("releaseCosts[0].allocator", _): report.releaseCosts[0].allocator = "evil"
        case ("releaseCosts[0].medianMicroseconds", _): report.releaseCosts[0].medianMicroseconds = 1e300
        default: report.runs[0].samples.append(report.runs[0].samples[0])
        }
        do {
            try report.validate()
            Issue.record("\(field) = \(shownValue) accepted")
        } catch {
            guard case .badReportField(let named, let value, let allowed) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(named == field)
            #expect(value == shownValue)
            #expect(!allowed.isEmpty)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("labels cannot inject Markdown: cells stay cells, links and HTML stay text")
    func markdownEscapesLabels() {
        var report = Self.report()
        report.runs[0].label =
            "x | injected | [click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** _em_ `code` &amp; dirty_decay_ms"
        let markdown = SoakSummary.markdown(report)
        let row = markdown.split(separator: "\n")[2]
        // 9 columns: 10 unescaped pipes.
        let unescapedPipes = row.indices.filter { row[$0] == "|" && (($0 == row.startIndex) || row[row.index(before: $0)] != "\\") }.count
        #expect(unescapedPipes == 10, "\(row)")
        for escaped in [#"\[click\]\("#, #"\<img"#, #"\*\*bold\*\*"#, #"\_em\_"#, #"\`code\`"#, #"\&amp;"#] {
            #expect(row.contains(escaped), "\(escaped) missing in \(row)")
        }
        #expect(row.contains("dirty_decay_ms"), "an underscore inside a word needs no escape")
        #expect(SoakText.markdownCell("a\u{1B}[31m\nb") == "a\\\\u\\{1B\\}\\[31m\\\\u\\{A\\}b")
    }

    @Test("labels in the SVG are escaped and carry no control characters")
    func svgEscapesLabels() {
        var report = Self.report()
        report.runs[0].label = "<script>alert(1)</script>\u{7}"
        for svg in [SoakChart.residentOverTime(report), SoakChart.throughput(report), SoakChart.p99(report)] {
            #expect(!svg.contains("<script>"))
            #expect(!svg.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        }
    }
}

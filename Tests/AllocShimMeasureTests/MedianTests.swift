import Testing

@testable import AllocShimMeasure

/// Every median the measurement layer prints is a true median: with an even number of values
/// it is the mean of the two middle ones. The soak took the upper middle, so the "median" of
/// `--repeat 2` was the larger run (issue 22, item 3).
@Suite("True medians")
struct MedianTests {
    static func run(label: String, repetition: Int, requests: Int, resident: Double, p99: [Double]) -> SoakRun {
        let samples = p99.enumerated().map { second, p99 in
            SoakSample(
                second: second, burst: true, residentMiB: resident, anonymousMiB: resident, requests: requests, mebibytes: 1,
                p50Milliseconds: p99 / 2, p99Milliseconds: p99, errors: 0)
        }
        return SoakRun(label: label, repetition: repetition, mallocLibrary: "libc", serviceBufferBackend: "system", samples: samples)
    }

    @Test("a soak run's median p50 and p99 over an even number of seconds is the mean of the middle two")
    func runMedianOfEvenSeconds() {
        let run = Self.run(label: "system", repetition: 1, requests: 10, resident: 100, p99: [4, 1, 8, 2])
        #expect(run.medianP99Milliseconds == 3)
        #expect(run.medianP50Milliseconds == 1.5)
    }

    @Test("the soak table's median of two repetitions is their mean, not the larger run")
    func soakSummaryOfTwoRepetitions() {
        let report = SoakReport(
            date: "2026-12-07T00:00:00Z", machine: "test", command: "allocshim soak --repeat 2", workload: SoakWorkload(),
            runs: [
                Self.run(label: "system", repetition: 1, requests: 100, resident: 100, p99: [1]),
                Self.run(label: "system", repetition: 2, requests: 200, resident: 300, p99: [3]),
            ],
            releaseCosts: [])
        let row = SoakSummary.markdown(report).split(separator: "\n")[2]
        #expect(row.hasPrefix("| system | 2 | 150 [100–200] |"))
        #expect(row.contains("| 2.0 [1.0–3.0] |"))
        #expect(row.contains("| 200 [100–300] |"))
    }

    @Test("the soak chart's bar for two repetitions is their median, not the larger run")
    func soakChartOfTwoRepetitions() {
        let report = SoakReport(
            date: "2026-12-07T00:00:00Z", machine: "test", command: "allocshim soak --repeat 2", workload: SoakWorkload(),
            runs: [
                Self.run(label: "system", repetition: 1, requests: 1000, resident: 100, p99: [1]),
                Self.run(label: "system", repetition: 2, requests: 3000, resident: 100, p99: [1]),
            ],
            releaseCosts: [])
        let svg = SoakChart.throughput(report)
        #expect(svg.contains(">2000.0</text>"))
        #expect(!svg.contains(">3000.0</text>"))
    }

    @Test("the release cost's median of two calls is their mean")
    func releaseCostOfTwoCalls() {
        let cost = ReleaseCostProbe.summary(label: "system", allocator: "glibc", microseconds: [10, 30], releasedMiB: [1, 4])
        #expect(cost.medianMicroseconds == 20 && cost.minimumMicroseconds == 10 && cost.maximumMicroseconds == 30)
        #expect(cost.medianReleasedMiB == 2.5)
    }

    @Test("quantiles interpolate between the closest ranks; the median is quantile 0.5")
    func quantiles() throws {
        let odd = try #require(Statistics([5, 1, 3]))
        #expect(odd.median == 3 && odd.minimum == 1 && odd.maximum == 5)
        let even = try #require(Statistics([4, 1, 3, 2]))
        #expect(even.median == 2.5)
        #expect(even.quantile(0) == 1 && even.quantile(1) == 4)
        #expect(even.quantile(0.25) == 1.75)
        #expect(even.relativeSpread == 3 / 2.5)
        let hundred = try #require(Statistics((1...100).map(Double.init)))
        #expect(abs(hundred.quantile(0.99) - 99.01) < 1e-9)
        #expect(Statistics([Double]()) == nil)
        #expect(median([2, 1]) == 1.5)
    }
}

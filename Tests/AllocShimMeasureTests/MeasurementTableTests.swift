import Testing

@testable import AllocShimMeasure

/// The output-span and pool-size tables (allocshim output-span, allocshim pool-size, and their
/// report sections) come from the one table renderer and the one decimal formatter.
@Suite("Measurement tables")
struct MeasurementTableTests {
    @Test("output-span: one Markdown row per (case, backend), ns to 0.1, the ratio to 0.001, then the legend")
    func outputSpanTable() {
        let rows = [
            OutputSpanCost.Row(
                backend: "system", caseName: OutputSpanCost.Case.owned100BPooled.rawValue, baselineNanoseconds: 20,
                measuredNanoseconds: 20.46, ratio: 1.025, ratioSpread: 0.04),
            OutputSpanCost.Row(
                backend: "jemalloc", caseName: OutputSpanCost.Case.owned1MiB.rawValue, baselineNanoseconds: 81234.56,
                measuredNanoseconds: 80000, ratio: 0.9, ratioSpread: 0.123),
        ]
        let legend = OutputSpanCost.Case.allCases.map { "- \($0.rawValue): \($0.comparison.measured) vs \($0.comparison.baseline)" }
        #expect(
            OutputSpanCost.table(rows) == """
                | case | backend | baseline ns | measured ns | measured/baseline (spread) |
                |---|---|---:|---:|---:|
                | owned-100B-pooled | system | 20.0 | 20.5 | 1.025 (±2.0%) |
                | owned-1MiB-unpooled | jemalloc | 81234.6 | 80000.0 | 0.900 (±6.2%) |

                Baseline and measured form of each case:

                """ + legend.joined(separator: "\n"))
    }

    @Test("pool-size: one Markdown row per (backend, slab size), figures to 0.1, bytes in whole KiB, a dash where the working set was not measured")
    func poolSizeTable() {
        let rows = [
            PoolSizeComparison.Row(
                backend: "system", slabSize: 8192, nanoseconds100B: 20, nanoseconds4KiB: 412.34, spread100B: 0.02, spread4KiB: 0.041,
                retainedBytes: 81920, referencedBytes: 40960, workingSetRetainedBytes: 1_720_320, workingSetReferencedBytes: 491_520),
            PoolSizeComparison.Row(
                backend: "mimalloc", slabSize: 65536, nanoseconds100B: 19.06, nanoseconds4KiB: 200, spread100B: 0, spread4KiB: 0.04,
                retainedBytes: 327680, referencedBytes: 0),
        ]
        #expect(
            PoolSizeComparison.table(rows) == """
                | backend | slab | ns per 100 B buffer | ns per 4 KiB buffer | KiB held by slabs | KiB referenced | held/referenced | working set: KiB held | working set: held/referenced |
                |---|---:|---:|---:|---:|---:|---:|---:|---:|
                | system | 8 KiB | 20.0 (±1.0%) | 412.3 (±2.1%) | 80 | 40 | 2.0 | 1680 | 3.5 |
                | mimalloc | 64 KiB | 19.1 (±0.0%) | 200.0 (±2.0%) | 320 | 0 | 0.0 | — | — |
                """)
    }

    @Test("decimals: fixed digits, rounded half away from zero, the sign kept below one, a dash when not finite")
    func decimals() {
        #expect(String(format1: 12.34) == "12.3")
        #expect(String(format1: 12) == "12.0")
        #expect(String(format1: -0.5) == "-0.5")
        #expect(String(format1: -0.04) == "0.0")
        #expect(String(format2d: -0.25) == "-0.25")
        #expect(String(format2d: 3.456) == "3.46")
        #expect(String(1.025, decimals: 3) == "1.025")
        #expect(String(0.9, decimals: 3) == "0.900")
        #expect(String(7.6, decimals: 0) == "8")
        #expect(String(Double.infinity, decimals: 1) == "—")
        #expect(String(Double.nan, decimals: 2) == "—")
    }
}

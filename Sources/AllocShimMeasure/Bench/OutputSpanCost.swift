import AllocShim

/// What the safe forms cost against the unsafe ones (issue 19's targets): per backend, the
/// output-span initializer against `allocUnsafe` plus a full write of the same bytes (100 B
/// pooled, 10 KiB and 1 MiB unpooled), and what unused capacity costs (it is given back: a
/// pool slice's tail by moving the cursor, a whole block by the allocator's realloc).
///
/// CPU time per buffer on this thread, each pair interleaved within a repetition (so drift
/// hits both alike), medians over repetitions with the spread. Every buffer is fully written
/// and one byte of it is folded into a checksum, so no loop can be elided.
package enum OutputSpanCost {
    /// One comparison: a baseline form and the form measured against it.
    package enum Case: String, CaseIterable, Sendable, Codable {
        case owned100BPooled = "owned-100B-pooled"
        case owned10KiB = "owned-10KiB-unpooled"
        case owned1MiB = "owned-1MiB-unpooled"
        case shared100BPooled = "shared-100B-pooled"
        case shared10KiB = "shared-10KiB-unpooled"
        case unusedTail100Of1000Pooled = "unused-capacity-900B-of-1000B-pooled"
        case unusedTail10KiBOf64KiB = "unused-capacity-54KiB-of-64KiB-unpooled"

        /// Bytes written per buffer.
        var written: Int {
            switch self {
            case .owned100BPooled, .shared100BPooled, .unusedTail100Of1000Pooled: return 100
            case .owned10KiB, .shared10KiB, .unusedTail10KiBOf64KiB: return 10 * 1024
            case .owned1MiB: return 1 << 20
            }
        }

        /// What the baseline is, and what is measured against it, in words for the table.
        package var comparison: (baseline: String, measured: String) {
            switch self {
            case .owned100BPooled, .owned10KiB, .owned1MiB:
                return ("OwnedBytes(uninitialized…) + full write", "OwnedBytes(capacity:) { output span }")
            case .shared100BPooled, .shared10KiB:
                return ("SharedBytes.allocUnsafe… + full write", "SharedBytes(capacity:) { output span }")
            case .unusedTail100Of1000Pooled:
                return ("OwnedBytes(capacity: 100) { 100 B }", "OwnedBytes(capacity: 1000) { 100 B }")
            case .unusedTail10KiBOf64KiB:
                return ("OwnedBytes(unpooledCapacity: 10 KiB) { 10 KiB }", "OwnedBytes(unpooledCapacity: 64 KiB) { 10 KiB }")
            }
        }

        /// Buffers per repetition: about the same bytes written in every case.
        func iterations(scale: Int) -> Int { Swift.max(20, scale * 100 / Swift.max(100, written / 10)) }
    }

    /// One backend's figures for one case.
    package struct Row: Sendable, Codable, Equatable {
        package var backend: String
        package var caseName: String
        package var baselineNanoseconds: Double
        package var measuredNanoseconds: Double
        /// measured / baseline, median of the per-repetition ratios.
        package var ratio: Double
        /// (max − min) / median of the per-repetition ratios.
        package var ratioSpread: Double
    }

    /// Measures every case on every backend in `backends`.
    package static func run(
        backends: [BackendName], cases: [Case] = Case.allCases, scale: Int = 10_000, repetitions: Int = 7,
        progress style: ProgressReporter.Style = .silent, write: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [Row] {
        let progress = ProgressReporter(name: "output-span", steps: backends.count * cases.count, style: style, write: write)
        defer { progress.finish() }
        return try run(backends: backends, cases: cases, scale: scale, repetitions: repetitions, progress: progress.step)
    }

    /// Steps `run` reports: one per backend and case.
    package static func progressSteps(backends: Int, cases: Int = Case.allCases.count) -> Int { backends * cases }

    /// The same measurement, reporting each step to `progress` (the report's own display).
    package static func run(
        backends: [BackendName], cases: [Case] = Case.allCases, scale: Int = 10_000, repetitions: Int = 7, progress: (String) -> Void
    ) throws -> [Row] {
        var rows: [Row] = []
        for backend in backends {
            let source = try BufferSource.backend(backend)
            for measuredCase in cases {
                let iterations = measuredCase.iterations(scale: scale)
                var baseline: [Double] = [], measured: [Double] = [], ratios: [Double] = []
                var checksum: UInt64 = 0
                // One warm-up pair: first-touch page faults and slab set-up stay out of the figures.
                _ = try time(measuredCase, baseline: true, source: source, iterations: iterations, checksum: &checksum)
                _ = try time(measuredCase, baseline: false, source: source, iterations: iterations, checksum: &checksum)
                for repetition in 0..<repetitions {
                    // Alternate which goes first, so neither always runs on a warmer cache.
                    let first = repetition % 2 == 0
                    let a = try time(measuredCase, baseline: first, source: source, iterations: iterations, checksum: &checksum)
                    let b = try time(measuredCase, baseline: !first, source: source, iterations: iterations, checksum: &checksum)
                    let (base, meas) = first ? (a, b) : (b, a)
                    baseline.append(base)
                    measured.append(meas)
                    ratios.append(meas / base)
                }
                blackHole(checksum)
                rows.append(
                    Row(
                        backend: backend.rawValue, caseName: measuredCase.rawValue, baselineNanoseconds: median(baseline),
                        measuredNanoseconds: median(measured), ratio: median(ratios), ratioSpread: relativeSpread(ratios)))
                progress("\(backend.rawValue) \(measuredCase.rawValue)")
            }
        }
        return rows
    }

    /// CPU nanoseconds per buffer for one form of `measuredCase`.
    private static func time(
        _ measuredCase: Case, baseline: Bool, source: BufferSource, iterations: Int, checksum: inout UInt64
    ) throws -> Double {
        let size = measuredCase.written
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        for index in 0..<iterations {
            let byte = UInt8(truncatingIfNeeded: index)
            switch (measuredCase, baseline) {
            case (.owned100BPooled, true), (.owned10KiB, true), (.owned1MiB, true):
                // allocshim: uninitialized — the baseline of the comparison: every byte is written just below
                var buffer =
                    measuredCase == .owned100BPooled
                    ? try OwnedBytes(uninitializedCount: size, using: source) : try OwnedBytes(uninitializedUnpooledCount: size, using: source)
                _ = buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: byte) }
                sum &+= UInt64(buffer[index % size])
            case (.owned100BPooled, false):
                let buffer = try OwnedBytes(capacity: size, using: source) { $0.append(repeating: byte, count: size, as: UInt8.self) }
                sum &+= UInt64(buffer[index % size])
            case (.owned10KiB, false), (.owned1MiB, false):
                let buffer = try OwnedBytes(unpooledCapacity: size, using: source) { $0.append(repeating: byte, count: size, as: UInt8.self) }
                sum &+= UInt64(buffer[index % size])
            case (.shared100BPooled, true), (.shared10KiB, true):
                // allocshim: uninitialized — the baseline of the comparison: every byte is written just below
                let buffer =
                    measuredCase == .shared100BPooled
                    ? try SharedBytes.allocUnsafe(size, using: source) : try SharedBytes.allocUnsafeSlow(size, using: source)
                _ = buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: byte) }
                sum &+= UInt64(buffer[index % size])
            case (.shared100BPooled, false):
                let buffer = try SharedBytes(capacity: size, using: source) { $0.append(repeating: byte, count: size, as: UInt8.self) }
                sum &+= UInt64(buffer[index % size])
            case (.shared10KiB, false):
                let buffer = try SharedBytes(unpooledCapacity: size, using: source) { $0.append(repeating: byte, count: size, as: UInt8.self) }
                sum &+= UInt64(buffer[index % size])
            case (.unusedTail100Of1000Pooled, _):
                let capacity = baseline ? size : 1000
                let buffer = try OwnedBytes(capacity: capacity, using: source) { $0.append(repeating: byte, count: size, as: UInt8.self) }
                sum &+= UInt64(buffer[index % size])
            case (.unusedTail10KiBOf64KiB, _):
                let capacity = baseline ? size : 64 * 1024
                let buffer = try OwnedBytes(unpooledCapacity: capacity, using: source) {
                    $0.append(repeating: byte, count: size, as: UInt8.self)
                }
                sum &+= UInt64(buffer[index % size])
            }
        }
        let elapsed = threadCPUNanoseconds() - start
        checksum &+= sum
        return Double(elapsed) / Double(iterations)
    }

    /// Renders rows as a Markdown table, one row per (case, backend), followed by the legend
    /// naming each case's two forms.
    package static func table(_ rows: [Row]) -> String {
        var table = Table([
            ("case", .left), ("backend", .left), ("baseline ns", .right), ("measured ns", .right),
            ("measured/baseline (spread)", .right),
        ])
        for row in rows {
            table.append([
                row.caseName, row.backend, String(format1: row.baselineNanoseconds), String(format1: row.measuredNanoseconds),
                "\(String(row.ratio, decimals: 3)) (±\(String(format1: row.ratioSpread * 50))%)",
            ])
        }
        let legend = Case.allCases.map { "- \($0.rawValue): \($0.comparison.measured) vs \($0.comparison.baseline)" }
        return table.markdown + "\nBaseline and measured form of each case:\n" + legend.joined(separator: "\n")
    }
}

import AllocShim

/// Node's pool grew from 8 KiB to 64 KiB (Node 24.18 / 26.3: +10% at 4 KiB buffers), and the
/// old warning came back with it: a live slice keeps its whole slab alive. This measures both
/// sides for AllocShim's per-thread pools, per backend and slab size, in one process:
///
/// - speed: CPU time per `OwnedBytes(uninitializedCount:)` of 100 B and of 4 KiB (pooled only
///   below half a slab, as in Node: 4 KiB is pooled by a 64 KiB pool, not by an 8 KiB one),
///   the sizes interleaved per repetition, medians;
/// - retention, in a server-like workload: buffers of 64…1024 B (a fixed pseudo-random
///   sequence), of which 1 in 100 lives on (the last `longLived` of those are kept, the
///   rest dropped at once); then the pool's bytes held by slabs against bytes referenced;
/// - retention under a working set (the thread sweep's larson, on one thread): 1,000 live
///   buffers of 8…1000 B, each step replacing a random one. Every buffer lives about as long
///   as the others, so a slab stays until the last of its slices is replaced: this is the
///   pool's worst case, and why pooled buffers are for short-lived ones.
package enum PoolSizeComparison {
    package struct Row: Sendable, Codable, Equatable {
        package var backend: String
        package var slabSize: Int
        package var nanoseconds100B: Double
        package var nanoseconds4KiB: Double
        package var spread100B: Double
        package var spread4KiB: Double
        /// Bytes held by live slabs after the retention workload.
        package var retainedBytes: Int
        /// Bytes live buffers reference at that moment.
        package var referencedBytes: Int
        /// Bytes held by live slabs at the end of the working-set workload (nil in reports
        /// written before it was measured).
        package var workingSetRetainedBytes: Int? = nil
        /// Bytes the working set's live buffers reference then.
        package var workingSetReferencedBytes: Int? = nil
    }

    /// The working-set workload's shape: live buffers, their sizes, replacements.
    package static let workingSetSlots = 1000
    package static let workingSetSizes = 8...1000
    package static let workingSetSteps = 200_000

    package static let slabSizes = [8 * 1024, 64 * 1024]

    package static func run(
        backends: [BackendName], slabSizes: [Int] = slabSizes, iterations: Int = 50_000, repetitions: Int = 11,
        requests: Int = 200_000, longLived: Int = 500, progress style: ProgressReporter.Style = .silent, write: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [Row] {
        let progress = ProgressReporter(name: "pool-size", steps: progressSteps(backends: backends.count, slabSizes: slabSizes.count), style: style, write: write)
        defer { progress.finish() }
        return try run(
            backends: backends, slabSizes: slabSizes, iterations: iterations, repetitions: repetitions, requests: requests, longLived: longLived,
            progress: progress.step)
    }

    /// Steps `run` reports: one per backend and slab size.
    package static func progressSteps(backends: Int, slabSizes: Int = slabSizes.count) -> Int { backends * slabSizes }

    /// The same measurement, reporting each step to `progress` (the report's own display).
    package static func run(
        backends: [BackendName], slabSizes: [Int] = slabSizes, iterations: Int = 50_000, repetitions: Int = 11,
        requests: Int = 200_000, longLived: Int = 500, progress: (String) -> Void
    ) throws -> [Row] {
        var rows: [Row] = []
        for backend in backends {
            let allocator = try BackendRegistry.allocator(backend)
            let sources = try slabSizes.map { try BufferSource(perThreadPoolOf: allocator, slabSize: $0) }
            var times = Array(repeating: (small: [Double](), large: [Double]()), count: sources.count)
            var checksum: UInt64 = 0
            for index in sources.indices {  // warm-up: slabs made, pages touched
                _ = try time(100, sources[index], iterations, &checksum)
                _ = try time(4096, sources[index], iterations / 10, &checksum)
            }
            for _ in 0..<repetitions {
                for index in sources.indices {
                    times[index].small.append(try time(100, sources[index], iterations, &checksum))
                    times[index].large.append(try time(4096, sources[index], iterations / 10, &checksum))
                }
            }
            blackHole(checksum)
            for (index, source) in sources.enumerated() {
                let (retained, referenced) = try retention(source, requests: requests, longLived: longLived)
                let workingSet = try workingSetRetention(source)
                rows.append(
                    Row(
                        backend: backend.rawValue, slabSize: source.pool.slabSize,
                        nanoseconds100B: median(times[index].small), nanoseconds4KiB: median(times[index].large),
                        spread100B: relativeSpread(times[index].small), spread4KiB: relativeSpread(times[index].large),
                        retainedBytes: retained, referencedBytes: referenced,
                        workingSetRetainedBytes: workingSet.retained, workingSetReferencedBytes: workingSet.referenced))
                progress("\(backend.rawValue) \(source.pool.slabSize / 1024) KiB")
            }
        }
        return rows
    }

    /// CPU nanoseconds per buffer of `size` bytes; every buffer is written and one byte read back.
    private static func time(_ size: Int, _ source: BufferSource, _ iterations: Int, _ checksum: inout UInt64) throws -> Double {
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        for index in 0..<iterations {
            let buffer = try OwnedBytes(capacity: size, using: source) {
                $0.append(repeating: UInt8(truncatingIfNeeded: index), count: size, as: UInt8.self)
            }
            sum &+= UInt64(buffer[index % size])
        }
        let elapsed = threadCPUNanoseconds() - start
        checksum &+= sum
        return Double(elapsed) / Double(iterations)
    }

    /// Runs the server-like workload on `source` and returns (retained, referenced) bytes while
    /// the long-lived buffers are still alive.
    private static func retention(_ source: BufferSource, requests: Int, longLived: Int) throws -> (Int, Int) {
        source.pool.releaseIdleSlab()
        var kept: [SharedBytes] = []
        kept.reserveCapacity(longLived)
        var next = 0
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15  // a fixed sequence: every run does the same work
        for request in 0..<requests {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            let size = 64 + Int(random % 961)  // 64...1024 bytes
            let buffer = try SharedBytes(capacity: size, using: source) {
                $0.append(repeating: UInt8(truncatingIfNeeded: request), count: size, as: UInt8.self)
            }
            if request % 100 == 0 {
                if kept.count < longLived { kept.append(buffer) } else { kept[next] = buffer }
                next = (next + 1) % longLived
            }
        }
        let accounting = source.pool.accounting
        withExtendedLifetime(kept) {}
        return (accounting.retainedBytes, accounting.referencedBytes)
    }

    /// Runs the working-set workload on `source`: returns the bytes its slabs hold and the bytes
    /// its live buffers reference at the end (`liveBytes`: the same sum counted by the workload
    /// itself, which the pool's count must equal).
    package static func workingSetRetention(
        _ source: BufferSource, slots: Int = workingSetSlots, steps: Int = workingSetSteps
    ) throws -> (retained: Int, referenced: Int, liveBytes: Int) {
        source.pool.releaseIdleSlab()
        var random: UInt64 = 0x2545_F491_4F6C_DD1D  // a fixed sequence: every run does the same work
        func next(_ count: Int) -> Int {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            return Int(random % UInt64(count))
        }
        func nextSize() -> Int { workingSetSizes.lowerBound + next(workingSetSizes.count) }
        func make(_ size: Int, _ mark: Int) throws -> SharedBytes {
            try SharedBytes(capacity: size, using: source) { $0.append(repeating: UInt8(truncatingIfNeeded: mark), count: size, as: UInt8.self) }
        }
        var live: [SharedBytes] = []
        live.reserveCapacity(slots)
        for slot in 0..<slots { live.append(try make(nextSize(), slot)) }
        for step in 0..<steps {
            // The replacement is made just before the buffer it replaces goes (larson frees
            // first): one slice of difference while it runs, none at the end.
            live[next(slots)] = try make(nextSize(), step)
        }
        let accounting = source.pool.accounting
        let liveBytes = live.reduce(0) { $0 + $1.count }
        withExtendedLifetime(live) {}
        return (accounting.retainedBytes, accounting.referencedBytes, liveBytes)
    }

    /// A Markdown table, one row per (backend, slab size), without a final newline (the CLI
    /// prints it with one, the report adds its own spacing).
    package static func table(_ rows: [Row]) -> String {
        var table = Table([
            ("backend", .left), ("slab", .right), ("ns per 100 B buffer", .right), ("ns per 4 KiB buffer", .right),
            ("KiB held by slabs", .right), ("KiB referenced", .right), ("held/referenced", .right),
            ("working set: KiB held", .right), ("working set: held/referenced", .right),
        ])
        for row in rows {
            let ratio = row.referencedBytes > 0 ? Double(row.retainedBytes) / Double(row.referencedBytes) : 0
            table.append([
                row.backend, "\(row.slabSize / 1024) KiB",
                "\(String(format1: row.nanoseconds100B)) (±\(String(format1: row.spread100B * 50))%)",
                "\(String(format1: row.nanoseconds4KiB)) (±\(String(format1: row.spread4KiB * 50))%)",
                "\(row.retainedBytes / 1024)", "\(row.referencedBytes / 1024)", String(format1: ratio),
                row.workingSetRetainedBytes.map { "\($0 / 1024)" } ?? "—", workingSetRatio(row).map { String(format1: $0) } ?? "—",
            ])
        }
        return String(table.markdown.dropLast())
    }

    /// Bytes held by slabs over bytes referenced under the working set, when measured.
    package static func workingSetRatio(_ row: Row) -> Double? {
        guard let retained = row.workingSetRetainedBytes, let referenced = row.workingSetReferencedBytes, referenced > 0 else { return nil }
        return Double(retained) / Double(referenced)
    }
}

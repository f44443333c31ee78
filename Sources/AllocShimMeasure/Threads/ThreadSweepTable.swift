/// Plain-text rendering of a thread sweep.
package enum ThreadSweepTable {
    /// One row per point, then each backend's headline figure: pooled 100-byte buffers at 2
    /// threads over 1.
    package static func render(_ result: ThreadSweepResult) -> String {
        var table = Table(
            columns: [
                Table.Column("backend", .left, minimumWidth: 14), Table.Column("workload", .left, minimumWidth: 18),
                Table.Column("form", .left, minimumWidth: 15), Table.Column("sizes", .left, minimumWidth: 9), Table.Column("threads"),
                Table.Column("Mops", minimumWidth: 8), Table.Column("spread", minimumWidth: 7), Table.Column("scaling", minimumWidth: 8),
                Table.Column("CPU ns/op", minimumWidth: 10), Table.Column("CPU scaling", minimumWidth: 12),
                Table.Column("cross-thread", minimumWidth: 13), Table.Column("of C", minimumWidth: 7),
            ])
        for point in result.points {
            table.append([
                point.backend, point.workload.rawValue, point.form.rawValue, point.workload.blockSizes, String(point.threads),
                String(format1: point.medianMops), percent(point.spread), String(format2d: point.scaling) + "×",
                String(format1: point.cpuNanosecondsPerOperation), String(format2d: point.cpuScaling) + "×",
                percent(point.crossThreadFreesPerOperation), ofC(point),
            ])
        }
        var lines = [
            "Thread sweep: million operations per second (one operation: one allocate and one free), median of \(result.repetitions) runs "
                + "of \(result.operationsPerThread) operations per thread; \(result.cores) cores",
            table.text,
        ]
        lines.append(
            "spread: (max − min) / median of the runs; scaling: Mops over 1 thread's; CPU scaling: the same from CPU time per operation "
                + "(ignores time waiting for a core); cross-thread: frees by a thread that did not allocate the block, per operation; "
                + "of C: scaling over the c form's (the bare C calls on the same allocator) at the same thread count")
        lines += headlines(result)
        return lines.joined(separator: "\n")
    }

    /// "Headline, system: pooled 100 B OwnedBytes, 2 threads / 1 thread = 1.85× (CPU 1.97×; target ≥ 1.6×)", per backend.
    /// `withTarget: false` leaves the project's target out (report.md speaks to users, not to the issue).
    package static func headlines(_ result: ThreadSweepResult, withTarget: Bool = true) -> [String] {
        var backends: [String] = []
        for point in result.points where !backends.contains(point.backend) { backends.append(point.backend) }
        return backends.compactMap { backend in
            guard
                let point = result.points.first(where: {
                    $0.backend == backend && $0.workload == .pairs && $0.form == .ownedPooled && $0.threads == 2
                })
            else { return nil }
            return
                "Headline, \(backend): pooled \(PairsWorkload.blockSize) B OwnedBytes, 2 threads / 1 thread = "
                + "\(String(format2d: point.scaling))× "
                + "(CPU \(String(format2d: point.cpuScaling))×"
                + (withTarget ? "; target ≥ \(String(format1: ThreadSweepResult.headlineTarget))× on 2 cores)" : ")")
        }
    }

    static func percent(_ fraction: Double) -> String { String(format1: fraction * 100) + "%" }

    /// The point's scaling over the C form's, "0.85×"; "—" where the C form was not measured.
    static func ofC(_ point: ThreadSweepPoint) -> String { point.scalingOverC.map { String(format2d: $0) + "×" } ?? "—" }
}

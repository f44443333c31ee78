import AllocShim
import CAllocShims
import Foundation
import Synchronization
import AllocShimTestSupport
import Testing

@testable import AllocShimMeasure

/// The thread sweep's workloads (`allocshim threads`): they free every block they allocate,
/// blocks really cross threads where the workload says so, bad arguments are typed errors, and
/// tiny runs of every workload and form finish (shared state only behind Mutex and Atomic, so
/// `make test-tsan` can check them).
@Suite("Thread workloads")
struct ThreadWorkloadTests {
    /// An allocator over `system` that counts through the shim's `AllocationCounters`, so live
    /// bytes and blocks come from `statistics()` without other tests' traffic on the shared
    /// backends. With `failingAfter`, allocations after that many throw `outOfMemory`.
    final class CountingAllocator: Allocator {
        let name = "counting"
        let naturalAlignment = 16
        private let counters = AllocationCounters()
        private let allowedAllocations: Int
        private let allocationsSoFar = Atomic<Int>(0)

        init(failingAfter allowedAllocations: Int = .max) { self.allowedAllocations = allowedAllocations }

        func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            guard allocationsSoFar.wrappingAdd(1, ordering: .relaxed).newValue <= allowedAllocations else {
                throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment)
            }
            // allocshim: uninitialized — test allocator: passes the request on; the workloads write before they read
            let block = try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment)
            counters.recordAllocation(byteCount: byteCount)
            return block
        }
        func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            let block = try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment)
            counters.recordAllocation(byteCount: byteCount)
            return block
        }
        func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
            -> UnsafeMutableRawPointer
        {
            let block = try SystemAllocator.shared.reallocate(
                pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
            counters.recordResize(from: oldByteCount, to: newByteCount)
            return block
        }
        func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
            counters.recordDeallocation(byteCount: byteCount)
            SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
        }
        func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
            SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
        }
        func statistics() -> AllocatorStatistics { AllocatorStatistics(backend: name, counters: counters, source: "test") }
    }

    @Test(
        "every workload frees every block it allocates: live bytes and blocks return to where they started", .timeLimit(.minutes(1)),
        arguments: ThreadWorkload.allCases, BlockForm.allCases)
    func freesEverything(workload: ThreadWorkload, form: BlockForm) throws {
        // The c form calls a built-in backend's C functions and counts its own blocks (below);
        // nio-tenant draws from its own tenant. Neither goes through `source`.
        guard workload.accepts(form), form != .c, form != .nioTenant else { return }
        let allocator = CountingAllocator()
        let source = try BufferSource(allocator: allocator, slabSize: 8192)
        let before = allocator.statistics()
        let run = try ThreadSweep.run(workload, form, threads: 3, operationsPerThread: 2_500, source: source, seed: 7)
        source.pool.releaseIdleSlab()  // the pool's current slab is the only block a run may leave
        let after = allocator.statistics()
        #expect(run.operations == 3 * 2_500)
        #expect(after.allocations > before.allocations, "the run allocated through the source's allocator")
        #expect(after.liveBytes == before.liveBytes)
        #expect(after.allocations - before.allocations == after.deallocations - before.deallocations)
        #expect(source.pool.accounting.liveSlabs == 0 && source.pool.accounting.referencedBytes == 0)
    }

    @Test(
        "the built-in backends' shared sources (per-thread pools) run every workload; blocks arrive intact", .timeLimit(.minutes(1)),
        arguments: ThreadWorkload.allCases)
    func sharedSources(workload: ThreadWorkload) throws {
        for backend in BackendRegistry.availableBackends {
            let source = try BufferSource.backend(backend)
            for form in BlockForm.available where workload.accepts(form) && form.runs(on: backend) {
                // A corrupted or twice-freed block would make the marks read back differ from those written: the run throws.
                let run = try ThreadSweep.run(workload, form, threads: 2, operationsPerThread: 1_500, source: source, seed: 11)
                #expect(run.checksum > 0, "\(backend.rawValue) \(form.rawValue): marks were read back")
            }
        }
    }

    @Test("blocks are freed by another thread where the workload moves them, and only there", .timeLimit(.minutes(1)))
    func crossThreadFrees() throws {
        let source = try BufferSource(allocator: CountingAllocator(), slabSize: 8192)
        func frees(_ workload: ThreadWorkload, threads: Int, operations: Int) throws -> Int {
            try ThreadSweep.run(workload, .ownedPooled, threads: threads, operationsPerThread: operations, source: source, seed: 3)
                .crossThreadFrees
        }
        // Two hand-overs at least per thread: a set another thread filled is always received.
        let larsonOperations = 3 * LarsonWorkload.handOverInterval
        #expect(try frees(.larson, threads: 2, operations: larsonOperations) > 0)
        #expect(try frees(.larson, threads: 4, operations: larsonOperations) > 0)
        // Every block a producer allocates is freed by a consumer.
        #expect(try frees(.producerConsumer, threads: 2, operations: 1_000) == 2_000)
        #expect(try frees(.producerConsumer, threads: 3, operations: 1_000) == 3_000)
        // One thread, or nothing shared: no block changes threads.
        #expect(try frees(.larson, threads: 1, operations: larsonOperations) == 0)
        #expect(try frees(.producerConsumer, threads: 1, operations: 1_000) == 0)
        #expect(try frees(.pairs, threads: 2, operations: 1_000) == 0)
    }

    @Test(
        "the c form does the Swift forms' work: same operations, same marks (same seeds), the same cross-thread frees, every block freed",
        .timeLimit(.minutes(1)))
    func cFormCounts() throws {
        for backend in BackendRegistry.availableBackends {
            let source = try BufferSource.backend(backend)
            func both(_ workload: ThreadWorkload, threads: Int, operations: Int) throws -> (c: WorkloadRun, swift: WorkloadRun) {
                (
                    try ThreadSweep.run(workload, .c, threads: threads, operationsPerThread: operations, source: source, seed: 9),
                    try ThreadSweep.run(workload, .allocator, threads: threads, operationsPerThread: operations, source: source, seed: 9)
                )
            }
            let larsonOperations = 3 * LarsonWorkload.handOverInterval
            for (workload, threads, operations) in [
                (ThreadWorkload.pairs, 1, 1_000), (.pairs, 3, 1_000), (.larson, 1, larsonOperations), (.larson, 3, larsonOperations),
                (.producerConsumer, 1, 1_000), (.producerConsumer, 3, 1_000),
            ] {
                let (c, swift) = try both(workload, threads: threads, operations: operations)
                let what = "\(backend.rawValue) \(workload.rawValue) \(threads) threads"
                #expect(c.operations == threads * operations && c.operations == swift.operations, "\(what)")
                // Marks come from the same sequence (index and thread for pairs, SplitMix64 with the same seeds otherwise) and
                // every block's are read back once: equal sums mean the same blocks were made, marked, read and freed.
                #expect(c.checksum == swift.checksum && c.checksum > 0, "\(what): \(c.checksum) vs \(swift.checksum)")
                switch workload {
                case .pairs: #expect(c.crossThreadFrees == 0, "\(what)")
                case .producerConsumer: #expect(c.crossThreadFrees == (threads == 1 ? 0 : threads * operations), "\(what)")
                case .larson: #expect((c.crossThreadFrees > 0) == (threads > 1), "\(what)")
                }
            }
            // pairs' marks are known in closed form: thread t writes (index + t) mod 256 twice per block.
            let expected = (0..<2).reduce(UInt64(0)) { sum, thread in
                sum + (0..<700).reduce(UInt64(0)) { $0 + 2 * UInt64(UInt8(truncatingIfNeeded: $1 + thread)) }
            }
            #expect(try ThreadSweep.run(.pairs, .c, threads: 2, operationsPerThread: 700, source: source, seed: 1).checksum == expected)
        }
    }

    @Test(
        "the c form: a NULL from the allocator's C call stops the run with an error, and no thread waits forever",
        .timeLimit(.minutes(1)), arguments: ThreadWorkload.allCases)
    func cFormFailure(workload: ThreadWorkload) throws {
        // No backend kind: CAllocShims_backend_allocate answers NULL, as an allocator out of memory does.
        let nothing = CAllocShims_BackendCalls(kind: 0, flags: 0, table: nil)
        let message = "\(workload.rawValue): allocation failed during the thread benchmark: the backend's C call returned NULL"
        #expect(throws: MeasureError.failed(message)) {
            try CFormWorkload.run(workload, threads: 3, operationsPerThread: 2_000, calls: nothing, seed: 5)
        }
    }

    @Test("a run whose blocks allocated and freed differ throws instead of reporting a figure")
    func unbalancedBlocks() throws {
        let tally = WorkloadTally()
        tally.add(allocations: 3, frees: 2)
        #expect(throws: MeasureError.failed("pairs: 1 more blocks allocated than freed (a negative count: freed twice)")) {
            try tally.run(.pairs, threads: 1, operations: 1, starter: ThreadGroup.posixStart) { _ in }
        }
    }

    @Test("the sweep and the report's sweep default to every core")
    func defaultsToEveryCore() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(ThreadSweep.Configuration().maximumThreads == cores)
        #expect(ThreadSweep.defaultMaximumThreads == cores)
        #expect(ReportRunner(backends: [.system]).threadCount == cores)
        #expect(ThreadSweep.Configuration().forms == BlockForm.available)
    }

    @Test(
        "an allocation failing mid-run stops the run with an error, and no thread waits forever", .timeLimit(.minutes(1)),
        arguments: ThreadWorkload.allCases)
    func failureStopsTheRun(workload: ThreadWorkload) throws {
        let allocator = CountingAllocator(failingAfter: 300)
        let source = try BufferSource(allocator: allocator, slabSize: 8192)
        #expect(throws: MeasureError.self) {
            try ThreadSweep.run(workload, .ownedUnpooled, threads: 3, operationsPerThread: 2_000, source: source, seed: 5)
        }
        #expect(allocator.statistics().liveBytes == 0, "blocks made before the failure were freed")
    }

    @Test("bad arguments are typed errors that name the value and what is allowed")
    func badArguments() throws {
        func refusal(_ configuration: ThreadSweep.Configuration) -> String? {
            do {
                try ThreadSweep.validate(configuration)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal(.init(maximumThreads: 0)) == "invalid thread count 0: allowed are 1 to 1024")
        #expect(refusal(.init(maximumThreads: 1025)) == "invalid thread count 1025: allowed are 1 to 1024")
        #expect(refusal(.init(repetitions: 0)) == "invalid repetition count 0: allowed are 1 to 1000")
        #expect(refusal(.init(operationsPerThread: 10_000_001)) == "invalid operations per thread 10000001: allowed are 1 to 10000000")
        #expect(
            refusal(.init(workloads: [.larson, .producerConsumer], forms: [.sharedUnsafe]))?.contains("shared-unsafe is for pairs only")
                == true)
        #expect(refusal(.init(maximumThreads: 2, repetitions: 1, operationsPerThread: 1)) == nil)
        #expect(throws: MeasureError.invalidArgument("unknown workload 'bogus'; valid workloads are: pairs, larson, producer-consumer")) {
            try ThreadWorkload(parsing: "bogus")
        }
        let validForms = "owned-pooled, owned-unpooled, shared-unsafe, allocator, c" + (NIOTenantForm.isBuilt ? ", nio-tenant" : "")
        #expect(throws: MeasureError.invalidArgument("unknown block form 'x'; valid forms are: \(validForms)")) {
            try BlockForm(parsing: "x")
        }
        #expect(try BlockForm(parsing: "c") == .c)
        if !NIOTenantForm.isBuilt {
            #expect(
                throws: MeasureError.invalidArgument(
                    "block form 'nio-tenant' needs the package trait NIO (swift build --traits NIO); valid forms in this build are: "
                        + validForms)
            ) {
                try BlockForm(parsing: "nio-tenant")
            }
        }
        // nio-tenant alone has nothing to run on a backend other than jemalloc-arena (without the trait, the parser's error above).
        if NIOTenantForm.isBuilt {
            #expect(
                throws: MeasureError.invalidArgument(
                    "no selected form runs on the selected backends (system): nio-tenant runs on jemalloc-arena only")
            ) {
                try ThreadSweep.validate(.init(forms: [.nioTenant]), backends: [.system])
            }
        }
        // The c form needs a built-in backend's C calls; a user allocator has none.
        let custom = try BufferSource(allocator: CountingAllocator(), slabSize: 8192)
        #expect(throws: MeasureError.self) {
            try ThreadSweep.run(.pairs, .c, threads: 1, operationsPerThread: 1, source: custom, seed: 1)
        }
        // A workload that moves blocks refuses SharedBytes, which is not Sendable.
        #expect(throws: MeasureError.self) {
            try ThreadSweep.run(.larson, .sharedUnsafe, threads: 1, operationsPerThread: 1, source: BufferSource.backend(.system), seed: 1)
        }
    }

    @Test(
        "allocshim threads: a bad value is one line naming it and the allowed range, exit status 2",
        arguments: [
            (["--repetitions", "0"], "from 1 to 1000"), (["--threads", "1025"], "from 1 to 1024"),
            (["--operations", "-5"], "from 1 to 10000000"),
            (["--workload", "bogus"], "pairs, larson, producer-consumer"), (["--form", "pooled"], "owned-pooled, owned-unpooled"),
            (["--form", "C"], "shared-unsafe, allocator, c"),
            (["--workload", "larson", "--form", "shared-unsafe"], "shared-unsafe is for pairs only"),
        ])
    func commandLine(arguments: [String], allowed: String) throws {
        let outcome = try runAllocShim(["threads", "--quiet"] + arguments)
        #expect(outcome.status == 2)
        let lines = ownLines(of: outcome.stderr)  // without LeakSanitizer's table in sanitizer builds
        #expect(lines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains(allowed), "\(outcome.stderr)")
        if arguments.count == 2 { #expect(outcome.stderr.contains("'\(arguments[1])'")) }
        #expect(outcome.stdout.isEmpty)
    }

    @Test("a sweep runs 1, the powers of two and the maximum; each point's scaling is over its own 1-thread row")
    func sweep() throws {
        #expect(ThreadSweep.threadCounts(upTo: 1) == [1])
        #expect(ThreadSweep.threadCounts(upTo: 2) == [1, 2])
        #expect(ThreadSweep.threadCounts(upTo: 6) == [1, 2, 4, 6])
        #expect(ThreadSweep.threadCounts(upTo: 8) == [1, 2, 4, 8])
        let configuration = ThreadSweep.Configuration(maximumThreads: 2, repetitions: 2, operationsPerThread: 400)
        let result = try ThreadSweep.run(backends: [.system], configuration: configuration) { _ in }
        #expect(configuration.maximumThreads == 2)
        #expect(
            configuration.cases(on: .system).count == 13, "5 forms for pairs, 4 (not shared-unsafe) for each cross-thread workload")
        #expect(result.points.count == configuration.cases(on: .system).count * 2)
        // Every row reads against the C form of its backend, workload and thread count.
        for point in result.points {
            let floor = try #require(
                result.points.first { $0.form == .c && $0.workload == point.workload && $0.threads == point.threads })
            #expect(point.scalingOverC == point.scaling / floor.scaling)
        }
        #expect(result.points.filter { $0.form == .c }.allSatisfy { $0.scalingOverC == 1 })
        for point in result.points where point.threads == 1 {
            #expect(point.scaling == 1 && point.cpuScaling == 1 && point.crossThreadFreesPerOperation == 0)
        }
        #expect(result.points.allSatisfy { $0.medianMops > 0 && $0.spread >= 0 && $0.cpuNanosecondsPerOperation > 0 })
        #expect(
            result.points.filter { $0.workload == .producerConsumer && $0.threads == 2 }.allSatisfy { $0.crossThreadFreesPerOperation == 1 }
        )
        #expect(result.headlineScaling(backend: "system") != nil)
        let decoded = try JSONDecoder().decode(ThreadSweepResult.self, from: JSONEncoder().encode(result))
        #expect(decoded.points == result.points)
        let table = ThreadSweepTable.render(result)
        #expect(table.contains("Headline, system: pooled 100 B OwnedBytes, 2 threads / 1 thread = "))
        #expect(table.contains("producer-consumer  owned-pooled"))
        #expect(table.contains("of C") && table.contains("pairs              c    "))
        let markdown = ThreadsSection.sweepMarkdown(result)
        #expect(markdown.contains("| system | larson | allocator | 8–1000 B | 2 |"))
        #expect(markdown.contains("**larson**: each thread keeps 1000 live blocks"))
    }

    @Test("report.json without the sweep (written before it) still decodes; the Threads section shows what the report holds")
    func reportSection() throws {
        let machine = MachineInfo(
            date: "2026-11-25", operatingSystem: "Debian", kernel: "6.1", cores: 2, memoryGiB: 4, swift: "6.3.1", node: nil,
            allocatorVersions: [:])
        var report = Report(
            version: nil, machine: machine, command: "allocshim report", backends: [], bench: [], nodeOverAllocShimGeometricMean: [:],
            residue: [], configurations: [], fragmentation: [],
            threads: [
                ThreadScalingResult(backend: "system", size: 64, threads: 2, singleThreadMops: 60, multiThreadMops: 94, scaling: 1.57)
            ])
        let older = try JSONEncoder().encode(report)
        #expect(!String(decoding: older, as: UTF8.self).contains("threadSweep"), "a report without the sweep has the old keys only")
        #expect(try JSONDecoder().decode(Report.self, from: older).threadSweep == nil)
        let legacyOnly = ThreadsSection.markdown(report)
        #expect(legacyOnly.hasPrefix("## Threads\n") && legacyOnly.contains("### Raw allocator, 64-byte allocate/free pairs"))
        #expect(legacyOnly.contains("| system | 60.0 | 94.0 | 1.57× |"))
        let point = ThreadSweepPoint(
            backend: "system", workload: .pairs, form: .ownedPooled, threads: 2, medianMops: 90, spread: 0.05,
            cpuNanosecondsPerOperation: 21,
            scaling: 1.8, cpuScaling: 1.95, crossThreadFreesPerOperation: 0)
        report.threadSweep = ThreadSweepResult(threadCounts: [1, 2], repetitions: 5, operationsPerThread: 1000, cores: 2, points: [point])
        let both = ThreadsSection.markdown(report)
        #expect(
            both.contains(
                "**Headline, system: pooled 100 B OwnedBytes, 2 threads / 1 thread = 1.80× (CPU 1.95×)**"))
        #expect(!both.contains("target"), "report.md speaks to users, not to the issue's targets")
        #expect(both.contains("| system | pairs | owned-pooled | 100 B | 2 | 90.0 | 5.0% | 1.80× | 21.0 | 1.95× | 0.0% |"))
        #expect(both.contains("### Raw allocator"))
        let decoded = try JSONDecoder().decode(Report.self, from: JSONEncoder().encode(report))
        #expect(decoded.threadSweep?.points == [point])
    }
}

#if Metrics
import AllocShim
#if canImport(Glibc)
import Glibc
#endif
import AllocShimMetrics
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Metrics and logging")
struct MetricsTests {
    let systemLabels = [("backend", "system"), ("instance", "system")]

    @Test("gauges and counters move when buffers are allocated and freed")
    func valuesMove() throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()  // its own counters: nothing else in the process moves them
        let source = try BufferSource(allocator: arena)
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [arena], sources: [source], factory: recorded)
        let labels = [("backend", "jemalloc-arena"), ("instance", "arena-\(arena.index)")]

        metrics.update()
        #expect(try recorded.expectGauge("allocshim_live_bytes", labels).lastValue == 0)

        var held: [SharedBytes] = []
        for _ in 0..<10 { held.append(try SharedBytes.alloc(1000, using: source)) }
        held.append(try SharedBytes.allocUnsafe(100, using: source))  // pooled: one slab
        metrics.update()
        #expect(try recorded.expectGauge("allocshim_live_bytes", labels).lastValue ?? 0 >= 10_000)
        #expect(try recorded.expectCounter("allocshim_allocations_total", labels).totalValue == 11)
        #expect(try recorded.expectGauge("allocshim_pool_live_slabs", labels).lastValue == 1)
        #expect(try recorded.expectGauge("allocshim_pool_referenced_bytes", labels).lastValue == 100)
        #expect(try recorded.expectGauge("allocshim_allocated_bytes", labels).lastValue ?? 0 > 0)

        held.removeAll()
        metrics.update()
        // Everything is freed except the pool's current slab, which the pool keeps for the
        // next small buffer: the retention the pool gauges exist to show.
        #expect(try recorded.expectGauge("allocshim_live_bytes", labels).lastValue == Double(source.pool.slabSize))
        #expect(try recorded.expectCounter("allocshim_deallocations_total", labels).totalValue == 10)
        #expect(try recorded.expectGauge("allocshim_pool_live_slabs", labels).lastValue == 1)
        #expect(try recorded.expectGauge("allocshim_pool_referenced_bytes", labels).lastValue == 0)
        #expect(try recorded.expectGauge("allocshim_process_resident_bytes").lastValue ?? 0 > 0)
    }

    @Test("start samples on the interval until stop", .timeLimit(.minutes(1)))
    func sampling() async throws {
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [SystemAllocator.shared], interval: .milliseconds(20), factory: recorded)
        metrics.start()
        try await Task.sleep(for: .milliseconds(300))
        metrics.stop()
        let samples = try recorded.expectGauge("allocshim_live_bytes", systemLabels).values.count
        #expect(samples >= 3)
        try await Task.sleep(for: .milliseconds(100))
        let later = try recorded.expectGauge("allocshim_live_bytes", systemLabels).values.count
        #expect(later == samples, "sampling went on after stop()")
    }

    /// The README's one-liner: nothing holds the object, yet it samples until stopped.
    /// (Before, the timer held it weakly and `deinit` cancelled it: zero samples.)
    @Test("AllocatorMetrics(...).start() keeps sampling without a stored reference", .timeLimit(.minutes(1)))
    func oneLinerKeepsSampling() async throws {
        let recorded = TestMetrics()
        weak var started: AllocatorMetrics?
        do {
            let metrics = AllocatorMetrics(allocators: [SystemAllocator.shared], interval: .milliseconds(20), factory: recorded)
            metrics.start()
            started = metrics
        }
        let sampled = try await samples(of: recorded, labels: systemLabels, atLeast: 3)
        #expect(sampled >= 3, "the started instance stopped sampling once nobody held it")
        try #require(started, "the started instance was released while running").stop()
        // stop() breaks the instance's hold on itself: it can then go away.
        for _ in 0..<100 where started != nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(started == nil, "stop() left the instance alive")
    }

    @Test("as a Service it samples until graceful shutdown, then returns", .timeLimit(.minutes(1)))
    func serviceRunsUntilGracefulShutdown() async throws {
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [SystemAllocator.shared], interval: .milliseconds(20), factory: recorded)
        let group = ServiceGroup(services: [metrics], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait for three samples rather than a fixed time: the shared 2-thread test pool
            // may start the group late under a parallel suite (a fixed 300 ms failed in CI).
            let whileRunning = try await samples(of: recorded, labels: systemLabels, atLeast: 3)
            #expect(whileRunning >= 3)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()  // run() returned: the group finished
        }
        let afterShutdown = try recorded.expectGauge("allocshim_live_bytes", systemLabels).values.count
        try await Task.sleep(for: .milliseconds(100))
        #expect(try recorded.expectGauge("allocshim_live_bytes", systemLabels).values.count == afterShutdown)
    }

    /// Issue 21, item 8: `AllocatorMetrics(interval: .seconds(Int64.max))` stopped the process
    /// in `run()` (Task.sleep's deadline past Int64.max seconds: fatal error in
    /// `Duration.components`), and a period just past Int.max nanoseconds wrapped to a negative
    /// timer period in `start()`. Every extreme interval and series count must sample once at
    /// start, stop on request and never trap.
    @Test(
        "extreme intervals and series counts: run() and start() sample once and stop, never trap",
        .timeLimit(.minutes(1)),
        arguments: [
            Duration.seconds(Int64.max), .seconds(Int64.min), .seconds(Int64.max / 2), .seconds(9_223_372_036) + .milliseconds(900),
            .nanoseconds(Int64.max), .zero, .nanoseconds(-1),
        ])
    func extremeIntervals(_ interval: Duration) async throws {
        for maximumTenantSeries in [Int.min, -1, 0, Int.max] {
            let recorded = TestMetrics()
            let metrics = AllocatorMetrics(
                allocators: [SystemAllocator.shared], maximumTenantSeries: maximumTenantSeries, interval: interval,
                factory: recorded)
            #expect(metrics.interval >= .milliseconds(1))
            let running = Task { try await metrics.run() }
            _ = try await samples(of: recorded, labels: systemLabels, atLeast: 1)
            running.cancel()
            try await running.value
            metrics.start()
            metrics.stop()
            // The first sample of run(), its last one on cancellation, and start()'s immediate one
            // (the timer fires at once), unless the 1 ms floor let run() sample more often.
            let count = try recorded.expectGauge("allocshim_live_bytes", systemLabels).values.count
            #expect(count >= 2, "interval \(interval), series \(maximumTenantSeries)")
        }
    }

    @Test("figures an allocator does not report are not exported, not exported as 0")
    func absentFiguresAreAbsent() throws {
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [SystemAllocator.shared], factory: recorded)
        metrics.update()
        let figures = SystemAllocator.shared.statistics()
        #expect(figures.residentBytes == nil && figures.activeBytes == nil && figures.retainedBytes == nil)  // glibc has none
        for absent in ["allocshim_resident_bytes", "allocshim_active_bytes", "allocshim_retained_bytes"] {
            #expect(recorded.recorders(label: absent).isEmpty, "\(absent) exported for glibc")
        }
        #expect(figures.allocatedBytes == nil || !recorded.recorders(label: "allocshim_allocated_bytes").isEmpty)
    }

    @Test("a figure that goes away (destroyed arena) has its gauge removed")
    func vanishingFigureRemovesGauge() throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [arena], factory: recorded)
        metrics.update()
        #expect(recorded.recorders(label: "allocshim_allocated_bytes").count == 1)
        try arena.destroy()
        metrics.update()
        #expect(recorded.recorders(label: "allocshim_allocated_bytes").isEmpty)
        #expect(recorded.recorders(label: "allocshim_live_bytes").count == 1)  // the shim's counters stay
    }

    @Test("tenant arenas: labelled series, bounded, evicted tenants removed")
    func tenantSeries() throws {
        guard JemallocControl.isAvailable else { return }
        let tenants = try TenantArenas(maximumTenants: 8)
        defer { tenants.evictAll() }
        let recorded = TestMetrics()
        let metrics = AllocatorMetrics(allocators: [], tenants: tenants, maximumTenantSeries: 2, factory: recorded)
        var held: [String: SharedBytes] = [:]
        for tenant in ["a", "b", "c", "d"] {
            held[tenant] = try SharedBytes.alloc(1000, using: tenants.source(for: tenant))
        }
        metrics.update()
        func liveSeries() -> [String: Double] {
            Dictionary(
                uniqueKeysWithValues: recorded.recorders(label: "allocshim_tenant_live_bytes").map { recorder in
                    (recorder.dimensions.first { $0.0 == "tenant" }!.1, recorder.lastValue ?? -1)
                })
        }
        // Two tenants of their own (sorted: a, b), the other two summed.
        #expect(Set(liveSeries().keys) == ["a", "b", "_other"])
        #expect(liveSeries()["a"] ?? 0 >= 1000)
        #expect(liveSeries()["_other"] ?? 0 >= 2000)
        let arenaA = try tenants.arena(for: "a").index
        #expect(try recorded.expectCounter("allocshim_tenant_allocations_total", [("tenant", "a"), ("arena", "\(arenaA)")]).totalValue >= 1)
        #expect(try recorded.expectCounter("allocshim_tenant_allocations_total", [("tenant", "_other"), ("arena", "multiple")]).totalValue >= 2)

        held["a"] = nil
        tenants.evict("a")
        metrics.update()
        // a's series are gone; its place goes to the next tenant (c), d stays summed.
        #expect(Set(liveSeries().keys) == ["b", "c", "_other"])
        // c's allocation was counted in the summed series already: not counted again under c.
        let arenaC = try tenants.arena(for: "c").index
        #expect(try recorded.expectCounter("allocshim_tenant_allocations_total", [("tenant", "c"), ("arena", "\(arenaC)")]).totalValue == 0)
        #expect(recorded.counters(label: "allocshim_tenant_allocations_total").allSatisfy { $0.dimensions.first!.1 != "a" })
        for tenant in ["b", "c", "d"] { tenants.evict(tenant) }
        held.removeAll()
        metrics.update()
        #expect(liveSeries().isEmpty)
    }

    @Test("the start-up record names the backend and the configuration")
    func startupLog() throws {
        let collected = LogCollector()
        let logger = Logger(label: "test") { _ in collected }
        AllocShimStartupLog.log(logger)
        let entry = try #require(collected.entries.first)
        #expect(entry.message == "AllocShim allocator configuration")
        #expect(entry.metadata["backend"] == "\(try ProcessDefaultAllocator.allocator().name)")
        #expect(entry.metadata["available.system"] != nil)
        #expect(entry.metadata["zeroFill"] != nil && entry.metadata["poolSize"] != nil)
        #expect(entry.metadata["processAllocator"] == "\(ProcessAllocator.current)")
    }

    /// Issue 22: the record missed ALLOCSHIM_POISON, and filling in `available.*` loaded
    /// mimalloc and tcmalloc (dlopen) and created the shared jemalloc arena.
    @Test("the start-up record lists ALLOCSHIM_POISON and loads no library and creates no arena to fill itself in")
    func startupLogHasNoSideEffects() throws {
        // "0" means off, as unset does: harmless to the tests running beside this one.
        setenv(EnvironmentVariable.poison.rawValue, "0", 1)
        defer { unsetenv(EnvironmentVariable.poison.rawValue) }
        let collected = LogCollector()
        AllocShimStartupLog.log(Logger(label: "test") { _ in collected })
        let entry = try #require(collected.entries.first)
        #expect(entry.metadata["env.ALLOCSHIM_POISON"] == "0")
        // The mode itself is process-wide and tests beside this one switch it on (CI once read
        // "true" here). Waiting for their lock would block a thread of the two-thread
        // cooperative pool while they run (async tests then ran past their time limits under
        // ASan), so only its presence is checked.
        let poison = entry.metadata["poison"] ?? "absent"
        #expect(["true", "false"].contains(poison), "poison: \(poison)")
        for variable in EnvironmentVariable.allCases where variable.currentValue != nil {
            #expect(entry.metadata["env.\(variable.rawValue)"] != nil, "\(variable.rawValue) is set but not listed")
        }
        let arena = try #require(entry.metadata["available.jemalloc-arena"])
        #expect(arena.hasPrefix("no:") || arena.contains("created on first use"), "\(arena)")
        let inUse = try ProcessDefaultAllocator.allocator().name
        for library in ["mimalloc", "tcmalloc"] where library != inUse {
            let listed = entry.metadata["available.\(library)"] ?? "nil"
            #expect(listed.hasPrefix("not checked") && listed.contains("lib\(library).so."), "\(listed)")
        }
    }
}

/// A swift-log handler that keeps what it is given.
final class LogCollector: LogHandler, @unchecked Sendable {
    struct Entry { var message: String; var metadata: [String: String] }
    private let stored = Mutex<[Entry]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { stored.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let flat = (event.metadata ?? [:]).mapValues { "\($0)" }
        stored.withLock { $0.append(Entry(message: "\(event.message)", metadata: flat)) }
    }
}
/// The number of `allocshim_live_bytes` samples for `system` once there are `count`, or after
/// 1500 waits of 20 ms. Bounded by this loop's own wake-ups, not a wall-clock deadline: when the
/// shared test pool is starved (TSan, child processes) the sampler and this loop are delayed
/// alike, so a starved minute does not count as the sampler failing.
private func samples(of recorded: TestMetrics, labels: [(String, String)], atLeast count: Int) async throws -> Int {
    for _ in 0..<1500 {
        if let gauge = try? recorded.expectGauge("allocshim_live_bytes", labels), gauge.values.count >= count {
            return gauge.values.count
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return (try? recorded.expectGauge("allocshim_live_bytes", labels).values.count) ?? 0
}

#endif

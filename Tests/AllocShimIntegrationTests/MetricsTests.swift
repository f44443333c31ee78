#if Metrics
import AllocShim
import AllocShimMetrics
import Logging
import MetricsTestKit
import Synchronization
import Testing

@Suite("Metrics and logging")
struct MetricsTests {
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
        let samples = try recorded.expectGauge("allocshim_live_bytes", [("backend", "system"), ("instance", "system")]).values.count
        #expect(samples >= 3)
        try await Task.sleep(for: .milliseconds(100))
        let later = try recorded.expectGauge("allocshim_live_bytes", [("backend", "system"), ("instance", "system")]).values.count
        #expect(later == samples, "sampling went on after stop()")
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
#endif

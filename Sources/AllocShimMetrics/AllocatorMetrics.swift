#if Metrics
// AllocShimMetrics: allocator statistics as swift-metrics values, sampled on an interval, and
// a swift-log record of the allocator configuration at start. Built only with trait `Metrics`.
//
// Sampling reads each allocator's `statistics()` (the shim's own counters plus what the
// allocator reports) on a timer thread; the allocation path itself is not touched, so
// metrics cost nothing per allocation. Names follow Prometheus conventions (snake_case, unit
// suffix, `_total` for counters); the allocator is a dimension, not part of the name.
import AllocShim
import Dispatch
import Metrics
import Synchronization

public final class AllocatorMetrics: Sendable {
    /// One monitored allocator and the metric handles created for it up front.
    private struct Monitored: Sendable {
        let allocator: any Allocator
        let allocations: Counter
        let deallocations: Counter
        let liveBytes: Gauge
        let allocatedBytes: Gauge
        let activeBytes: Gauge
        let residentBytes: Gauge
        let mappedBytes: Gauge
        let retainedBytes: Gauge
    }

    private struct MonitoredPool: Sendable {
        let source: BufferSource
        let liveSlabs: Gauge
        let retainedBytes: Gauge
        let referencedBytes: Gauge
    }

    private struct Totals {
        var allocations: [Int]
        var deallocations: [Int]
    }

    public let interval: Duration
    private let monitored: [Monitored]
    private let pools: [MonitoredPool]
    private let processResident: Gauge
    private let lastTotals: Mutex<Totals>
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)
    /// Where samples run; `stop()` drains it so no sample lands after it returns.
    private let queue = DispatchQueue(label: "AllocShimMetrics", qos: .utility)
    private static let onSamplingQueue = DispatchSpecificKey<Bool>()

    /// - Parameters:
    ///   - allocators: the allocators to report; each gets dimensions `backend` (its name) and
    ///     `instance` (`arena-<i>` for dedicated arenas, else the name).
    ///   - sources: buffer sources whose slab pools to report.
    ///   - interval: time between samples once `start()` is called.
    ///   - prefix: the first part of every metric name.
    ///   - factory: where the metrics go; default: the bootstrapped `MetricsSystem`.
    public init(
        allocators: [any Allocator], sources: [BufferSource] = [], interval: Duration = .seconds(5), prefix: String = "allocshim",
        factory: (any MetricsFactory)? = nil
    ) {
        self.interval = interval
        let factory = factory ?? MetricsSystem.factory
        func Counter(label: String, dimensions: [(String, String)]) -> Metrics.Counter {
            Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
        }
        func Gauge(label: String, dimensions: [(String, String)] = []) -> Metrics.Gauge {
            Metrics.Gauge(label: label, dimensions: dimensions, factory: factory)
        }
        func dimensions(_ allocator: any Allocator) -> [(String, String)] {
            let instance = (allocator as? JemallocArena).map { "arena-\($0.index)" } ?? allocator.name
            return [("backend", allocator.name), ("instance", instance)]
        }
        monitored = allocators.map { allocator in
            let labels = dimensions(allocator)
            return Monitored(
                allocator: allocator,
                allocations: Counter(label: "\(prefix)_allocations_total", dimensions: labels),
                deallocations: Counter(label: "\(prefix)_deallocations_total", dimensions: labels),
                liveBytes: Gauge(label: "\(prefix)_live_bytes", dimensions: labels),
                allocatedBytes: Gauge(label: "\(prefix)_allocated_bytes", dimensions: labels),
                activeBytes: Gauge(label: "\(prefix)_active_bytes", dimensions: labels),
                residentBytes: Gauge(label: "\(prefix)_resident_bytes", dimensions: labels),
                mappedBytes: Gauge(label: "\(prefix)_mapped_bytes", dimensions: labels),
                retainedBytes: Gauge(label: "\(prefix)_retained_bytes", dimensions: labels))
        }
        pools = sources.map { source in
            let labels = dimensions(source.allocator)
            return MonitoredPool(
                source: source,
                liveSlabs: Gauge(label: "\(prefix)_pool_live_slabs", dimensions: labels),
                retainedBytes: Gauge(label: "\(prefix)_pool_retained_bytes", dimensions: labels),
                referencedBytes: Gauge(label: "\(prefix)_pool_referenced_bytes", dimensions: labels))
        }
        processResident = Gauge(label: "\(prefix)_process_resident_bytes")
        lastTotals = Mutex(Totals(allocations: Array(repeating: 0, count: allocators.count), deallocations: Array(repeating: 0, count: allocators.count)))
    }

    /// Samples every allocator and pool now.
    public func update() {
        let statistics = monitored.map { $0.allocator.statistics() }
        lastTotals.withLock { totals in
            for (index, (metrics, figures)) in zip(monitored, statistics).enumerated() {
                // Counters only move forward: report what happened since the last sample.
                metrics.allocations.increment(by: max(0, figures.allocations - totals.allocations[index]))
                metrics.deallocations.increment(by: max(0, figures.deallocations - totals.deallocations[index]))
                totals.allocations[index] = max(totals.allocations[index], figures.allocations)
                totals.deallocations[index] = max(totals.deallocations[index], figures.deallocations)
                metrics.liveBytes.record(figures.liveBytes)
                if let value = figures.allocatedBytes { metrics.allocatedBytes.record(value) }
                if let value = figures.activeBytes { metrics.activeBytes.record(value) }
                if let value = figures.residentBytes { metrics.residentBytes.record(value) }
                if let value = figures.mappedBytes { metrics.mappedBytes.record(value) }
                if let value = figures.retainedBytes { metrics.retainedBytes.record(value) }
            }
        }
        for pool in pools {
            let accounting = pool.source.pool.accounting
            pool.liveSlabs.record(accounting.liveSlabs)
            pool.retainedBytes.record(accounting.retainedBytes)
            pool.referencedBytes.record(accounting.referencedBytes)
        }
        processResident.record(ProcessMemory.residentBytes)
    }

    /// Samples now and then every `interval` on a utility queue, until `stop()`.
    public func start() {
        timer.withLock { timer in
            guard timer == nil else { return }
            queue.setSpecific(key: Self.onSamplingQueue, value: true)
            let source = DispatchSource.makeTimerSource(queue: queue)
            let (seconds, attoseconds) = interval.components
            let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
            source.schedule(deadline: .now(), repeating: .nanoseconds(max(nanoseconds, 1_000_000)))
            source.setEventHandler { [weak self] in self?.update() }
            source.resume()
            timer = source
        }
    }

    /// Stops sampling. When called from outside a sample, it returns after any sample in
    /// progress has finished, so no value is recorded after it returns.
    public func stop() {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        if DispatchQueue.getSpecific(key: Self.onSamplingQueue) == nil { queue.sync {} }
    }

    deinit { timer.withLock { $0?.cancel() } }
}
#endif

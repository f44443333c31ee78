#if Metrics
// AllocShimMetrics: allocator statistics as swift-metrics values, sampled on an interval, and
// a swift-log record of the allocator configuration at start. Built only with trait `Metrics`.
//
// Sampling reads each allocator's `statistics()` (the shim's own counters plus what the
// allocator reports); the allocation path itself is not touched, so metrics cost nothing per
// allocation. Names follow Prometheus conventions (snake_case, unit suffix, `_total` for
// counters); the allocator and the tenant are dimensions, not parts of the name.
import AllocShim
import Dispatch
import Metrics
import ServiceLifecycle
import Synchronization

/// Reports allocator, slab-pool and tenant-arena figures to swift-metrics.
///
/// Run it as a swift-service-lifecycle `Service` next to your other services — it samples
/// every ``interval`` for as long as ``run()`` runs, and returns on graceful shutdown or
/// cancellation:
///
/// ```swift
/// let metrics = AllocatorMetrics(allocators: [try ProcessDefaultAllocator.allocator()])
/// let group = ServiceGroup(services: [server, metrics], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// Outside structured concurrency, ``start()`` samples on a dispatch timer until ``stop()``.
/// A started instance keeps itself alive until it is stopped, so
/// `AllocatorMetrics(...).start()` keeps sampling even though nothing holds the object.
///
/// Metrics (the prefix is `allocshim` unless given):
/// - per allocator, dimensions `backend` and `instance` (`arena-<i>` for a dedicated arena):
///   `allocshim_allocations_total`, `allocshim_deallocations_total`, `allocshim_live_bytes`
///   (the shim's counters); `allocshim_allocated_bytes`, `_active_bytes`, `_resident_bytes`,
///   `_mapped_bytes`, `_retained_bytes` only where the allocator reports the figure — an
///   absent figure is not exported, rather than exported as 0;
/// - per buffer source: `allocshim_pool_live_slabs`, `allocshim_pool_retained_bytes`,
///   `allocshim_pool_referenced_bytes`;
/// - per tenant arena of a `TenantArenas`, dimensions `tenant` and `arena`: the same
///   figures named `allocshim_tenant_*`, for at most `maximumTenantSeries` tenants, the
///   others summed under `tenant="_other"`; an evicted tenant's series are removed;
/// - `allocshim_process_resident_bytes`.
public final class AllocatorMetrics: Service, Sendable {
    private struct MonitoredPool: Sendable {
        let source: BufferSource
        let liveSlabs: Gauge
        let retainedBytes: Gauge
        let referencedBytes: Gauge
    }

    /// Everything a sample changes; samples are serialized by this lock.
    private struct SamplingState {
        var allocators: [StatisticGauges]
        var tenants: TenantArenaGauges
    }

    /// Time between two samples in ``run()`` and after ``start()``.
    public let interval: Duration
    private let allocators: [any Allocator]
    private let pools: [MonitoredPool]
    private let tenantArenas: TenantArenas?
    private let processResident: Gauge
    private let factory: any MetricsFactory
    private let state: Mutex<SamplingState>
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)
    /// Where timer samples run; `stop()` drains it so no sample lands after it returns.
    private let queue = DispatchQueue(label: "AllocShimMetrics", qos: .utility)
    private static let onSamplingQueue = DispatchSpecificKey<Bool>()

    /// Creates the metrics; nothing is sampled until ``update()``, ``run()`` or ``start()``.
    ///
    /// - Parameters:
    ///   - allocators: the allocators to report; each gets dimensions `backend` (its name) and
    ///     `instance` (`arena-<i>` for dedicated arenas, else the name).
    ///   - sources: buffer sources whose slab pools to report.
    ///   - tenants: tenant arenas to report one series per tenant for.
    ///   - maximumTenantSeries: at most this many tenants get their own series (minimum 1);
    ///     the others are summed into `tenant="_other"`.
    ///   - interval: time between samples in ``run()`` and after ``start()``; at least 1 ms is
    ///     used.
    ///   - prefix: the first part of every metric name.
    ///   - factory: where the metrics go; default: the bootstrapped `MetricsSystem`.
    public init(
        allocators: [any Allocator], sources: [BufferSource] = [], tenants: TenantArenas? = nil,
        maximumTenantSeries: Int = 32, interval: Duration = .seconds(5), prefix: String = "allocshim",
        factory: (any MetricsFactory)? = nil
    ) {
        let factory = factory ?? MetricsSystem.factory
        self.factory = factory
        self.interval = max(interval, .milliseconds(1))
        self.allocators = allocators
        self.tenantArenas = tenants
        func dimensions(_ allocator: any Allocator) -> [(String, String)] {
            let instance = (allocator as? JemallocArena).map { "arena-\($0.index)" } ?? allocator.name
            return [("backend", allocator.name), ("instance", instance)]
        }
        func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
            Gauge(label: "\(prefix)_\(name)", dimensions: labels, factory: factory)
        }
        pools = sources.map { source in
            let labels = dimensions(source.allocator)
            return MonitoredPool(
                source: source,
                liveSlabs: gauge("pool_live_slabs", labels),
                retainedBytes: gauge("pool_retained_bytes", labels),
                referencedBytes: gauge("pool_referenced_bytes", labels))
        }
        processResident = gauge("process_resident_bytes")
        state = Mutex(
            SamplingState(
                allocators: allocators.map { StatisticGauges(prefix: "\(prefix)_", dimensions: dimensions($0), factory: factory) },
                tenants: TenantArenaGauges(prefix: "\(prefix)_tenant_", maximumSeries: max(1, maximumTenantSeries))))
    }

    /// Samples every allocator, pool and tenant arena now.
    public func update() {
        let statistics = allocators.map { $0.statistics() }
        let tenantSnapshot = tenantArenas?.snapshot() ?? []
        state.withLock { state in
            for index in state.allocators.indices {
                state.allocators[index].record(statistics[index], factory: factory)
            }
            if tenantArenas != nil { state.tenants.record(tenantSnapshot, factory: factory) }
        }
        for pool in pools {
            let accounting = pool.source.pool.accounting
            pool.liveSlabs.record(accounting.liveSlabs)
            pool.retainedBytes.record(accounting.retainedBytes)
            pool.referencedBytes.record(accounting.referencedBytes)
        }
        processResident.record(ProcessMemory.residentBytes)
    }

    /// Samples now and then every ``interval`` until graceful shutdown or cancellation, then
    /// returns (after a last sample, so the final figures are recorded).
    ///
    /// This is the `Service` requirement: add the instance to a `ServiceGroup`.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.update()
                // Not Task.sleep(for:) directly: it traps on intervals whose deadline passes
                // Int64.max seconds (`.seconds(Int64.max)`, issue 21 item 8).
                try? await BoundedSleep.sleep(for: self.interval)
            }
        }
        update()
    }

    /// Samples now and then every ``interval`` on a utility queue, until ``stop()``.
    ///
    /// The started instance keeps itself alive until ``stop()``, so it need not be stored to
    /// keep sampling; calling it again while started does nothing.
    public func start() {
        timer.withLock { timer in
            guard timer == nil else { return }
            queue.setSpecific(key: Self.onSamplingQueue, value: true)
            let source = DispatchSource.makeTimerSource(queue: queue)
            // The interval in whole nanoseconds, Int.max when it does not fit: either step may
            // overflow (`.seconds(9_223_372_036) + .milliseconds(900)` overflows only the sum,
            // which used to wrap to a negative period).
            let (seconds, attoseconds) = interval.components
            let (whole, wholeOverflows) = Int(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
            let (total, totalOverflows) = whole.addingReportingOverflow(Int(attoseconds / 1_000_000_000))
            let nanoseconds = wholeOverflows || totalOverflows ? Int.max : total
            source.schedule(deadline: .now(), repeating: .nanoseconds(nanoseconds))
            // A strong reference on purpose: the timer keeps this object alive until stop()
            // cancels it and drops the handler (the cycle is broken there, not by deinit).
            source.setEventHandler { self.update() }
            source.resume()
            timer = source
        }
    }

    /// Stops sampling started by ``start()`` and releases the instance's hold on itself.
    /// When called from outside a sample, it returns after any sample in progress has
    /// finished, so no value is recorded after it returns.
    public func stop() {
        let stopped = timer.withLock { timer -> (any DispatchSourceTimer)? in
            defer { timer = nil }
            return timer
        }
        stopped?.cancel()
        if DispatchQueue.getSpecific(key: Self.onSamplingQueue) == nil { queue.sync {} }
        // Drops the handler's reference to self (cancel alone keeps the block until the
        // source is deallocated, and the source lives as long as the block's captures).
        stopped?.setEventHandler(handler: nil)
    }

    deinit { timer.withLock { $0?.cancel() } }
}
#endif

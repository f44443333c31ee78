#if Metrics
import AllocShim
import Metrics

/// A gauge that exists only while its figure does.
///
/// Why: a metrics backend such as swift-prometheus exports a gauge as `0` from the moment it
/// is created. An allocator that has no "resident bytes" notion (glibc) would then claim to
/// hold nothing resident, so the gauge is made on the first present value and destroyed when
/// the value goes away (a destroyed arena).
struct OptionalGauge {
    let label: String
    let dimensions: [(String, String)]
    private(set) var gauge: Gauge?

    init(label: String, dimensions: [(String, String)]) {
        self.label = label
        self.dimensions = dimensions
    }

    mutating func record(_ value: Int?, factory: any MetricsFactory) {
        guard let value else {
            gauge?.destroy()
            gauge = nil
            return
        }
        if gauge == nil { gauge = Gauge(label: label, dimensions: dimensions, factory: factory) }
        gauge?.record(value)
    }

    mutating func destroy() {
        gauge?.destroy()
        gauge = nil
    }
}

/// The metrics of one `AllocatorStatistics` series: two counters fed by differences between
/// samples (counters only move forward) and one gauge per figure, absent figures not exported.
struct StatisticGauges {
    private let allocations: Counter
    private let deallocations: Counter
    private var live: OptionalGauge
    private var allocated: OptionalGauge
    private var active: OptionalGauge
    private var resident: OptionalGauge
    private var mapped: OptionalGauge
    private var retained: OptionalGauge
    private var lastAllocations = 0
    private var lastDeallocations = 0

    /// - Parameter prefix: everything before the figure's name, e.g. `allocshim_` or
    ///   `allocshim_tenant_`.
    ///   `baseline`: allocations and deallocations already reported elsewhere (a tenant moving
    ///   out of the summed series), so they are not counted twice.
    init(
        prefix: String, dimensions: [(String, String)], factory: any MetricsFactory,
        baseline: (allocations: Int, deallocations: Int) = (0, 0)
    ) {
        (lastAllocations, lastDeallocations) = baseline
        allocations = Counter(label: "\(prefix)allocations_total", dimensions: dimensions, factory: factory)
        deallocations = Counter(label: "\(prefix)deallocations_total", dimensions: dimensions, factory: factory)
        func gauge(_ name: String) -> OptionalGauge { OptionalGauge(label: "\(prefix)\(name)_bytes", dimensions: dimensions) }
        live = gauge("live")
        allocated = gauge("allocated")
        active = gauge("active")
        resident = gauge("resident")
        mapped = gauge("mapped")
        retained = gauge("retained")
    }

    mutating func record(_ figures: AllocatorStatistics, factory: any MetricsFactory) {
        // A new series starts from the allocator's totals so far: they happened too.
        allocations.increment(by: max(0, figures.allocations - lastAllocations))
        deallocations.increment(by: max(0, figures.deallocations - lastDeallocations))
        lastAllocations = max(lastAllocations, figures.allocations)
        lastDeallocations = max(lastDeallocations, figures.deallocations)
        live.record(figures.liveBytes, factory: factory)
        allocated.record(figures.allocatedBytes, factory: factory)
        active.record(figures.activeBytes, factory: factory)
        resident.record(figures.residentBytes, factory: factory)
        mapped.record(figures.mappedBytes, factory: factory)
        retained.record(figures.retainedBytes, factory: factory)
    }

    /// Removes every series of this set from the backend (an evicted tenant).
    mutating func destroy() {
        allocations.destroy()
        deallocations.destroy()
        live.destroy()
        allocated.destroy()
        active.destroy()
        resident.destroy()
        mapped.destroy()
        retained.destroy()
    }
}
#endif

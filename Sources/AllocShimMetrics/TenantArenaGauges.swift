#if Metrics
import AllocShim
import Metrics

/// Per-tenant arena series, bounded in number.
///
/// Tenant names usually come from requests, so each one getting its own series would let
/// clients grow the metrics without bound. The first `maximumSeries` live tenants get series
/// labelled `tenant` and `arena` (the jemalloc arena index); further tenants are summed into
/// one series labelled `tenant="_other", arena="multiple"`. A tenant that is evicted — or
/// comes back with a new arena — has its series destroyed at the next sample, which frees its
/// place for the first summed tenant (by name); its counters then go on from what the summed
/// series already counted for it, so nothing is counted twice.
struct TenantArenaGauges {
    static let overflowTenant = "_other"
    static let overflowArena = "multiple"

    private struct Labelled {
        var arenaIndex: UInt32
        var gauges: StatisticGauges
    }

    /// The shim's counters last seen for a tenant summed into the overflow series.
    private struct OverflowCounters {
        var arenaIndex: UInt32
        var allocations: Int
        var deallocations: Int
    }

    let prefix: String
    let maximumSeries: Int
    private var labelled: [String: Labelled] = [:]
    private var overflowSeen: [String: OverflowCounters] = [:]
    private var overflow: StatisticGauges?
    private var overflowTotals = (allocations: 0, deallocations: 0)

    init(prefix: String, maximumSeries: Int) {
        self.prefix = prefix
        self.maximumSeries = maximumSeries
    }

    /// The tenants that currently have their own series.
    var labelledTenants: Set<String> { Set(labelled.keys) }

    mutating func record(_ snapshot: [TenantArenaSnapshot], factory: any MetricsFactory) {
        let live = Dictionary(snapshot.map { ($0.tenant, $0) }, uniquingKeysWith: { first, _ in first })
        // Gone, or back with another arena: its series describe an arena that no longer serves it.
        for (tenant, entry) in labelled where live[tenant]?.arenaIndex != entry.arenaIndex {
            labelled[tenant]?.gauges.destroy()
            labelled[tenant] = nil
        }
        overflowSeen = overflowSeen.filter { live[$0.key]?.arenaIndex == $0.value.arenaIndex }

        var summed: AllocatorStatistics?
        // Sorted, so which tenants overflow does not depend on dictionary order.
        for entry in snapshot.sorted(by: { $0.tenant < $1.tenant }) {
            if labelled[entry.tenant] == nil, labelled.count < maximumSeries {
                // A tenant leaving the summed series keeps what was counted there.
                let counted = overflowSeen.removeValue(forKey: entry.tenant)
                labelled[entry.tenant] = Labelled(
                    arenaIndex: entry.arenaIndex,
                    gauges: StatisticGauges(
                        prefix: prefix, dimensions: [("tenant", entry.tenant), ("arena", "\(entry.arenaIndex)")], factory: factory,
                        baseline: (counted?.allocations ?? 0, counted?.deallocations ?? 0)))
            }
            if labelled[entry.tenant] != nil {
                labelled[entry.tenant]?.gauges.record(entry.statistics, factory: factory)
                continue
            }
            let figures = entry.statistics
            let seen = overflowSeen[entry.tenant] ?? OverflowCounters(arenaIndex: entry.arenaIndex, allocations: 0, deallocations: 0)
            overflowTotals.allocations += max(0, figures.allocations - seen.allocations)
            overflowTotals.deallocations += max(0, figures.deallocations - seen.deallocations)
            overflowSeen[entry.tenant] = OverflowCounters(
                arenaIndex: entry.arenaIndex, allocations: max(seen.allocations, figures.allocations),
                deallocations: max(seen.deallocations, figures.deallocations))
            summed = summed.map { Self.sum($0, figures) } ?? figures
        }
        guard var summed else {
            overflow?.destroy()
            overflow = nil
            return
        }
        summed.allocations = overflowTotals.allocations
        summed.deallocations = overflowTotals.deallocations
        if overflow == nil {
            overflow = StatisticGauges(
                prefix: prefix, dimensions: [("tenant", Self.overflowTenant), ("arena", Self.overflowArena)], factory: factory)
        }
        overflow?.record(summed, factory: factory)
    }

    mutating func destroy() {
        for tenant in labelled.keys { labelled[tenant]?.gauges.destroy() }
        labelled = [:]
        overflow?.destroy()
        overflow = nil
    }

    /// Adds two arenas' figures; a figure absent from either is absent from the sum.
    private static func sum(_ a: AllocatorStatistics, _ b: AllocatorStatistics) -> AllocatorStatistics {
        func add(_ x: Int?, _ y: Int?) -> Int? { x.flatMap { x in y.map { x + $0 } } }
        var total = a
        total.liveBytes += b.liveBytes
        total.allocatedBytes = add(a.allocatedBytes, b.allocatedBytes)
        total.activeBytes = add(a.activeBytes, b.activeBytes)
        total.residentBytes = add(a.residentBytes, b.residentBytes)
        total.mappedBytes = add(a.mappedBytes, b.mappedBytes)
        total.retainedBytes = add(a.retainedBytes, b.retainedBytes)
        return total
    }
}
#endif

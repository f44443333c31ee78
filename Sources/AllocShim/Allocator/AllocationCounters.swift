import Synchronization

/// The shim's own per-backend counters: allocations, deallocations and live bytes requested.
///
/// Relaxed atomic adds (a few nanoseconds each, no locks), so they stay on in production.
/// They count what callers asked for, independent of how the allocator rounds sizes up.
public final class AllocationCounters: Sendable {
    private let allocationCount = Atomic<Int>(0)
    private let deallocationCount = Atomic<Int>(0)
    private let liveByteCount = Atomic<Int>(0)

    public init() {}

    @inlinable @inline(__always)
    public func recordAllocation(byteCount: Int) {
        _recordAllocation(byteCount)
    }

    @inlinable @inline(__always)
    public func recordDeallocation(byteCount: Int) {
        _recordDeallocation(byteCount)
    }

    @usableFromInline
    func _recordAllocation(_ byteCount: Int) {
        allocationCount.wrappingAdd(1, ordering: .relaxed)
        liveByteCount.wrappingAdd(byteCount, ordering: .relaxed)
    }

    @usableFromInline
    func _recordDeallocation(_ byteCount: Int) {
        deallocationCount.wrappingAdd(1, ordering: .relaxed)
        liveByteCount.wrappingSubtract(byteCount, ordering: .relaxed)
    }

    /// A reallocation changes live bytes without counting a new block.
    public func recordResize(from oldByteCount: Int, to newByteCount: Int) {
        liveByteCount.wrappingAdd(newByteCount - oldByteCount, ordering: .relaxed)
    }

    public var allocations: Int { allocationCount.load(ordering: .relaxed) }
    public var deallocations: Int { deallocationCount.load(ordering: .relaxed) }
    public var liveBytes: Int { liveByteCount.load(ordering: .relaxed) }
}

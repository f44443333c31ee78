import CAllocShims
import Synchronization

/// The shim's own per-backend counters: allocations, deallocations and live bytes requested.
///
/// Counts go to per-thread blocks in C (counters.c): each thread writes only its own memory,
/// with no lock prefix and no shared cache line, so counting costs a few nanoseconds and does
/// not stop threads from scaling (shared atomics cost ~13 ns per allocate/free pair and made
/// two threads slower than one, measured with `allocshim threads`). Reading sums all threads.
/// When the process runs out of slots (256 counter owners), relaxed shared atomics take over.
/// Counts are of what callers asked for, independent of how the allocator rounds sizes up.
public final class AllocationCounters: Sendable {
    private let slot: Int32
    private let allocationCount = Atomic<Int>(0)
    private let deallocationCount = Atomic<Int>(0)
    private let liveByteCount = Atomic<Int>(0)

    public init() {
        slot = CAllocShims_counter_slot_reserve()
    }

    @inline(__always)
    public func recordAllocation(byteCount: Int) {
        if slot >= 0 {
            CAllocShims_counter_record_allocation(slot, Int64(byteCount))
        } else {
            allocationCount.wrappingAdd(1, ordering: .relaxed)
            liveByteCount.wrappingAdd(byteCount, ordering: .relaxed)
        }
    }

    @inline(__always)
    public func recordDeallocation(byteCount: Int) {
        if slot >= 0 {
            CAllocShims_counter_record_deallocation(slot, Int64(byteCount))
        } else {
            deallocationCount.wrappingAdd(1, ordering: .relaxed)
            liveByteCount.wrappingSubtract(byteCount, ordering: .relaxed)
        }
    }

    /// A reallocation changes live bytes without counting a new block.
    public func recordResize(from oldByteCount: Int, to newByteCount: Int) {
        if slot >= 0 {
            CAllocShims_counter_record_resize(slot, Int64(newByteCount - oldByteCount))
        } else {
            liveByteCount.wrappingAdd(newByteCount - oldByteCount, ordering: .relaxed)
        }
    }

    /// The C counter slot, when this object has one (the first 256 counters do).
    var cSlot: Int32? { slot >= 0 ? slot : nil }

    /// All three counts from one pass over the threads.
    public func snapshot() -> (allocations: Int, deallocations: Int, liveBytes: Int) {
        guard slot >= 0 else {
            return (allocationCount.load(ordering: .relaxed), deallocationCount.load(ordering: .relaxed), liveByteCount.load(ordering: .relaxed))
        }
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var live: Int64 = 0
        CAllocShims_counter_read(slot, &allocations, &deallocations, &live)
        return (Int(allocations), Int(deallocations), Int(live))
    }

    public var allocations: Int { snapshot().allocations }
    public var deallocations: Int { snapshot().deallocations }
    public var liveBytes: Int { snapshot().liveBytes }
}

import CAllocShims
import Synchronization

/// The shim's own per-backend counters: allocations, deallocations and live bytes requested.
///
/// Counts go to per-thread blocks in C (counters.c): each thread writes only its own memory,
/// with no lock prefix and no shared cache line, so counting costs a few nanoseconds and does
/// not stop threads from scaling (shared atomics cost ~13 ns per allocate/free pair and made
/// two threads slower than one, measured with `allocshim threads`). Reading sums all threads.
/// A slot is returned when its `AllocationCounters` is deinitialised and the next owner
/// starts from zero, so only counter owners alive at the same time compete for the 256 slots
/// (every `JemallocArena`, pool and test allocator holds one while it lives). When more than
/// 256 are alive at once, the newest fall back to relaxed shared atomics: still exact, just
/// slower under contention. Counts are of what callers asked for, independent of how the
/// allocator rounds sizes up.
///
/// Byte counts are summed modulo 2^64 (wrapping), so any `Int` a caller passes is recorded
/// and never traps: `recordResize(from: 1, to: .min)` followed by the reverse resize leaves
/// the live bytes where they were (issue 21, item 8). Real allocators never pass such values;
/// a count that went negative or wrapped shows a recorder's bug, not a crash.
public final class AllocationCounters: Sendable, AllocationRecorder {
    private let slot: Int32
    private let allocationCount = Atomic<Int>(0)
    private let deallocationCount = Atomic<Int>(0)
    private let liveByteCount = Atomic<Int>(0)

    /// Takes a free C counter slot (or, when all 256 are held, counts with shared atomics).
    public init() {
        slot = CAllocShims_counter_slot_reserve()
    }

    // Nothing can record into the slot any more: every recorder holds a reference to self.
    deinit {
        if slot >= 0 { CAllocShims_counter_slot_release(slot) }
    }

    /// Counts one block of `byteCount` bytes handed out.
    @inline(__always)
    public func recordAllocation(byteCount: Int) {
        if slot >= 0 {
            CAllocShims_counter_record_allocation(slot, Int64(byteCount))
        } else {
            allocationCount.wrappingAdd(1, ordering: .relaxed)
            liveByteCount.wrappingAdd(byteCount, ordering: .relaxed)
        }
    }

    /// Counts one block of `byteCount` bytes released.
    @inline(__always)
    public func recordDeallocation(byteCount: Int) {
        if slot >= 0 {
            // Negated here with wrapping, not in C: C's `-bytes` is undefined for Int64.min.
            CAllocShims_counter_record(slot, 0, 1, 0 &- Int64(byteCount))
        } else {
            deallocationCount.wrappingAdd(1, ordering: .relaxed)
            liveByteCount.wrappingSubtract(byteCount, ordering: .relaxed)
        }
    }

    /// A reallocation changes live bytes without counting a new block.
    @inline(__always)
    public func recordResize(from oldByteCount: Int, to newByteCount: Int) {
        // `&-`: the difference of two caller numbers may not fit (1 to .min trapped).
        if slot >= 0 {
            CAllocShims_counter_record_resize(slot, Int64(newByteCount &- oldByteCount))
        } else {
            liveByteCount.wrappingAdd(newByteCount &- oldByteCount, ordering: .relaxed)
        }
    }

    /// The C counter slot, when this object has one (the first 256 counters do).
    var cSlot: Int32? { slot >= 0 ? slot : nil }

    /// All three counts from one pass over the threads.
    public func snapshot() -> (allocations: Int, deallocations: Int, liveBytes: Int) {
        guard slot >= 0 else {
            return (
                allocationCount.load(ordering: .relaxed), deallocationCount.load(ordering: .relaxed),
                liveByteCount.load(ordering: .relaxed)
            )
        }
        var allocations: Int64 = 0
        var deallocations: Int64 = 0
        var live: Int64 = 0
        CAllocShims_counter_read(slot, &allocations, &deallocations, &live)
        return (Int(allocations), Int(deallocations), Int(live))
    }

    /// Blocks handed out so far.
    public var allocations: Int { snapshot().allocations }
    /// Blocks released so far.
    public var deallocations: Int { snapshot().deallocations }
    /// Bytes requested and not yet released.
    public var liveBytes: Int { snapshot().liveBytes }

    /// How many C counter slots are held now, process-wide (for tests and diagnostics).
    static var slotsInUse: Int { Int(CAllocShims_counter_slots_in_use()) }
}

/// Where the generic backend path (BackendCalls) records allocations: an `AllocationCounters`
/// object, or its bare C slot for holders that must not touch the object's reference count.
protocol AllocationRecorder {
    func recordAllocation(byteCount: Int)
    func recordDeallocation(byteCount: Int)
    func recordResize(from oldByteCount: Int, to newByteCount: Int)
}

/// A C counter slot on its own: records exactly as its `AllocationCounters` does, without a
/// reference to it (loading an unowned reference retains it: measured, 2 of a buffer's ~30 ns).
/// Valid while the counters object that reserved the slot lives.
struct CounterSlot: AllocationRecorder {
    let slot: Int32

    /// The slot of `counters`, or nil when it counts with shared atomics (no C slot was free).
    init?(of counters: AllocationCounters) {
        guard let slot = counters.cSlot else { return nil }
        self.slot = slot
    }

    @inline(__always)
    func recordAllocation(byteCount: Int) { CAllocShims_counter_record_allocation(slot, Int64(byteCount)) }
    @inline(__always)
    func recordDeallocation(byteCount: Int) { CAllocShims_counter_record(slot, 0, 1, 0 &- Int64(byteCount)) }
    @inline(__always)
    func recordResize(from oldByteCount: Int, to newByteCount: Int) {
        CAllocShims_counter_record_resize(slot, Int64(newByteCount &- oldByteCount))
    }
}

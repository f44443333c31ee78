import AllocShim
import AllocShimTestSupport
import Synchronization

/// A test allocator over `system` that records every call and, at each release, whether the
/// released bytes were all zero (to prove wiping).
final class RecordingAllocator: Allocator {
    let name = "recording"
    let naturalAlignment = 16
    let allocations = Atomic<Int>(0)
    let deallocations = Atomic<Int>(0)
    let releasedAllZero = TestLocked<[Bool]>([])
    private let counters = AllocationCounters()

    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        allocations.wrappingAdd(1, ordering: .relaxed)
        return try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment)
    }
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        allocations.wrappingAdd(1, ordering: .relaxed)
        return try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment)
    }
    func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        try SystemAllocator.shared.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
    }
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        let zero = UnsafeRawBufferPointer(start: pointer, count: byteCount).allSatisfy { $0 == 0 }
        releasedAllZero.withLock { $0.append(zero) }
        deallocations.wrappingAdd(1, ordering: .relaxed)
        SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
    }
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
    }
    func statistics() -> AllocatorStatistics {
        AllocatorStatistics(backend: name, counters: counters, source: "test")
    }
}

import CAllocShims

/// Built-in backends that buffers may call directly, without going through the `Allocator`
/// existential (see CAllocShimsFastPath.h for why). Only allocators that live for the whole
/// process qualify: the path holds no reference, so its allocator must never go away.
protocol FastPathProviding: Allocator {
    /// nil when the backend cannot be driven from C (its counters have no C slot).
    var fastPath: CAllocShims_FastPath? { get }
}

extension CAllocShims_FastPath {
    init?(kind: Int32, counters: AllocationCounters, detail: UInt) {
        guard let slot = counters.cSlot else { return nil }
        self.init(kind: kind, counter_slot: slot, detail: detail)
    }

    /// The backend this path belongs to (for names and diagnostics, not the hot path).
    var allocator: (any Allocator)? {
        var candidates: [any Allocator] = [SystemAllocator.shared]
        if let jemalloc = JemallocAllocator.shared { candidates.append(jemalloc) }
        if case .success(let mimalloc) = DynamicLibraryAllocator.mimalloc { candidates.append(mimalloc) }
        if case .success(let tcmalloc) = DynamicLibraryAllocator.tcmalloc { candidates.append(tcmalloc) }
        return candidates.first { ($0 as? FastPathProviding)?.fastPath?.counter_slot == counter_slot }
    }
}

extension SystemAllocator: FastPathProviding {}
extension JemallocAllocator: FastPathProviding {}
extension DynamicLibraryAllocator: FastPathProviding {}

import CAllocShims

/// Built-in backends that buffers may call directly, without going through the `Allocator`
/// existential (see CAllocShimsFastPath.h for why). Only allocators that live for the whole
/// process qualify: a buffer holds the path without a reference, so its allocator must never go.
protocol FastPathProviding: Allocator {
    /// nil when the backend cannot be driven from C (its counters have no C slot).
    var fastPath: CAllocShims_FastPath? { get }
}

extension CAllocShims_FastPath {
    init?(kind: Int32, counters: AllocationCounters, detail: UInt) {
        guard let slot = counters.cSlot else { return nil }
        self.init(kind: kind, counter_slot: slot, detail: detail)
    }
}

/// A built-in backend's C calls and the allocator they belong to, made once per backend and
/// never freed, so a buffer names its backend with one unretained word (keeping `OwnedBytes`
/// at four words, which are returned in registers) and never has to look the allocator up.
final class FastPathHandle: Sendable {
    let path: CAllocShims_FastPath
    /// The backend object: process-lifetime, so unretained.
    unowned(unsafe) let allocator: any Allocator

    private init?(_ allocator: (any Allocator)?) {
        guard let allocator, allocator.livesForWholeProcess, let path = (allocator as? any FastPathProviding)?.fastPath else { return nil }
        self.path = path
        self.allocator = allocator
    }

    // One per backend, made on first use; each is kept by its static for the whole process.
    private static let system = FastPathHandle(SystemAllocator.shared)
    private static let jemalloc = FastPathHandle(JemallocAllocator.shared)
    private static let mimalloc = FastPathHandle(try? DynamicLibraryAllocator.mimalloc.get())
    private static let tcmalloc = FastPathHandle(try? DynamicLibraryAllocator.tcmalloc.get())

    /// The handle of `allocator` when it is a built-in process-lifetime backend. Looks only at
    /// the backend `allocator` names (so nothing else is loaded), then checks identity.
    static func of(_ allocator: any Allocator) -> Unmanaged<FastPathHandle>? {
        let candidate: FastPathHandle?
        switch BackendName(rawValue: allocator.name) {
        case .system?: candidate = system
        case .jemalloc?: candidate = jemalloc
        case .mimalloc?: candidate = mimalloc
        case .tcmalloc?: candidate = tcmalloc
        case .jemallocArena?, nil: candidate = nil
        }
        guard let candidate, candidate.allocator as AnyObject === allocator as AnyObject else { return nil }
        return Unmanaged.passUnretained(candidate)
    }
}

extension SystemAllocator: FastPathProviding {}
extension JemallocAllocator: FastPathProviding {}
extension DynamicLibraryAllocator: FastPathProviding {}

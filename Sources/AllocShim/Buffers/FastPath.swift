/// A built-in backend that lives for the whole process: buffers may call its `BackendCalls`
/// directly, without the `Allocator` existential, whose reference counting on the allocator
/// object at allocation and release was 45% of a 100-byte buffer's time (profiled).
protocol ProcessLifetimeBackend: Allocator {
    /// The backend's calls: the same value its `Allocator` methods go through.
    var calls: BackendCalls { get }
    /// The backend's counters: buffers count into them exactly as its methods do.
    var counters: AllocationCounters { get }
    /// The backend's one handle (made once, never freed); see FastPathHandle.makeImmortal.
    var fastPathHandle: Unmanaged<FastPathHandle>? { get }
}

/// A process-lifetime backend's calls, counters and object together, made once per backend and
/// never freed, so a buffer names its backend with one unretained word (keeping `OwnedBytes` at
/// four words, which are returned in registers) and never has to look the allocator up.
@usableFromInline
final class FastPathHandle: Sendable {
    let calls: BackendCalls
    /// The backend's counters by their C slot: counting touches no object.
    let counters: CounterSlot
    /// The backend object: process-lifetime, so unretained.
    unowned(unsafe) let allocator: any Allocator

    /// The handle for `backend`, to be made once per backend and kept forever; nil in the rare
    /// case that its counters have no C slot (all were taken), when buffers use its `Allocator`
    /// methods instead.
    static func makeImmortal(for backend: some ProcessLifetimeBackend) -> Unmanaged<FastPathHandle>? {
        guard let slot = CounterSlot(of: backend.counters) else { return nil }
        return Unmanaged.passRetained(FastPathHandle(calls: backend.calls, counters: slot, allocator: backend))  // never released
    }

    private init(calls: BackendCalls, counters: CounterSlot, allocator: any Allocator) {
        self.calls = calls
        self.counters = counters
        self.allocator = allocator
    }

    /// The handle of `allocator` when it is a built-in process-lifetime backend; nil for arenas
    /// and user allocators. Only AllocShim's own final backend classes conform to the internal
    /// `ProcessLifetimeBackend`, and the handle must name this very object (identity): nothing
    /// a user type says can make it held unretained. Nothing is looked up or loaded.
    @inline(__always)
    static func of(_ allocator: any Allocator) -> Unmanaged<FastPathHandle>? {
        guard let backend = allocator as? any ProcessLifetimeBackend, let handle = backend.fastPathHandle,
            handle._withUnsafeGuaranteedRef({ $0.allocator === allocator })
        else { return nil }
        return handle
    }
}

extension SystemAllocator: ProcessLifetimeBackend {
    private static let handle = FastPathHandle.makeImmortal(for: shared)
    var fastPathHandle: Unmanaged<FastPathHandle>? { Self.handle }
}

extension JemallocAllocator: ProcessLifetimeBackend {
    // `shared` is the only instance, so a handle exists whenever one is asked for.
    private static let handle = shared.flatMap { FastPathHandle.makeImmortal(for: $0) }
    var fastPathHandle: Unmanaged<FastPathHandle>? { Self.handle }
}

extension DynamicLibraryAllocator: ProcessLifetimeBackend {
    // The two instances are the loaded `mimalloc` and `tcmalloc`; an instance asking means
    // its library is loaded already.
    private static let mimallocHandle = (try? mimalloc.get()).flatMap { FastPathHandle.makeImmortal(for: $0) }
    private static let tcmallocHandle = (try? tcmalloc.get()).flatMap { FastPathHandle.makeImmortal(for: $0) }
    var fastPathHandle: Unmanaged<FastPathHandle>? { name == BackendName.mimalloc.rawValue ? Self.mimallocHandle : Self.tcmallocHandle }
}

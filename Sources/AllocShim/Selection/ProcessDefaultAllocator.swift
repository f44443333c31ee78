import Synchronization

/// The process-wide default allocator: what buffers use when not given one.
///
/// Chosen on first use from `ALLOCSHIM_BACKEND` (unset or empty: `system`), or set in code.
/// Reading it is one atomic load, so hot paths may ask for it every time.
public enum ProcessDefaultAllocator {
    /// The current default and its buffer source, resolved together when the default is set,
    /// so that a buffer made without `using:` costs one atomic load, not a name lookup and a
    /// lock. Boxes are never freed: a reader may still hold the old one, unretained, when
    /// another thread swaps it (retaining it would be a shared write per buffer). They are kept
    /// **one per allocator** (`boxes`, by identity): setting an allocator that was the default
    /// before reuses its box, so switching among a few allocators keeps a few boxes, however
    /// often (20,000 sets used to keep 20,000 boxes, sources and idle slabs: +93 MiB). A replaced
    /// default's pool lets go of its idle slabs. What stays is one box and one source per
    /// *distinct* allocator ever made the default, with the allocator itself (an arena set as
    /// default is never destroyed): `set` is for configuration, not per request.
    final class Box: Sendable {
        let allocator: any Allocator
        /// nil when the source could not be made (an invalid `ALLOCSHIM_POOL_SIZE`): the slow
        /// path then retries, so fixing the setting recovers.
        let source: BufferSource?
        /// `source`, for the hot path: the box keeps it alive for the whole process.
        let unretainedSource: Unmanaged<BufferSource>?
        init(_ allocator: any Allocator, source: BufferSource?) {
            self.allocator = allocator
            self.source = source
            self.unretainedSource = source.map { Unmanaged.passUnretained($0) }
        }
    }

    private static let current = Atomic<Unmanaged<Box>?>(nil)
    /// Every box ever made, one per allocator (see Box), and the source-less boxes replaced
    /// once their source could be made (readers may still hold those too). Lock order: this,
    /// then BufferSource's locks.
    private struct BoxTable {
        var byAllocator: [ObjectIdentifier: Box] = [:]
        var replaced: [Box] = []

        /// `allocator`'s box with a source, installing `make()` when it has none yet.
        mutating func box(for allocator: any Allocator, _ make: () -> Box) -> Box {
            let identity = ObjectIdentifier(allocator)
            if let known = byAllocator[identity], known.source != nil { return known }
            let box = make()
            if let old = byAllocator.updateValue(box, forKey: identity) { replaced.append(old) }
            return box
        }
    }
    private static let boxes = LockedValue(BoxTable())

    /// The box of `allocator`: its earlier one if that has a source, else a new one.
    private static func box(for allocator: any Allocator) -> Unmanaged<Box> {
        .passUnretained(boxes.withLock { $0.box(for: allocator) { Box(allocator, source: try? BufferSource.resolve(for: allocator)) } })
    }

    /// How many boxes exist (for tests).
    static var boxCount: Int { boxes.withLock { $0.byAllocator.count + $0.replaced.count } }

    /// The current box, resolving `ALLOCSHIM_BACKEND` on first use.
    @inline(__always)
    static func currentBox() throws(BackendSelectionError) -> Unmanaged<Box> {
        if let box = current.load(ordering: .acquiring) { return box }
        return try resolveFirstBox()
    }

    private static func resolveFirstBox() throws(BackendSelectionError) -> Unmanaged<Box> {
        let resolved = try resolve(environmentValue: EnvironmentVariable.backend.currentValue)
        let fresh = box(for: resolved)
        let (exchanged, winner) = current.compareExchange(expected: nil, desired: fresh, ordering: .acquiringAndReleasing)
        return exchanged ? fresh : winner!
    }

    /// Puts `replacement` in place of `stale` unless the default changed meanwhile.
    static func replace(_ stale: Unmanaged<Box>, with source: BufferSource) {
        let allocator = stale.takeUnretainedValue().allocator
        let fresh = boxes.withLock { $0.box(for: allocator) { Box(allocator, source: source) } }
        _ = current.compareExchange(expected: stale, desired: Unmanaged.passUnretained(fresh), ordering: .acquiringAndReleasing)
    }

    /// The default allocator, resolving `ALLOCSHIM_BACKEND` on first use.
    /// Throws when the variable names an unknown or unavailable backend; nothing is cached
    /// then, so a corrected environment or a call to `set` fixes it.
    public static func allocator() throws(BackendSelectionError) -> any Allocator {
        try currentBox().takeUnretainedValue().allocator
    }

    /// The default allocator if it was already resolved or set, else `nil`: never resolves
    /// `ALLOCSHIM_BACKEND`, so it loads no library and creates no arena (the start-up log
    /// reports through it).
    package static var resolvedAllocator: (any Allocator)? {
        current.load(ordering: .acquiring)?.takeUnretainedValue().allocator
    }

    /// Makes `allocator` the process default. Buffers made earlier keep freeing into the
    /// allocator that made them.
    public static func set(_ allocator: any Allocator) {
        let fresh = box(for: allocator)
        let replaced = current.exchange(fresh, ordering: .acquiringAndReleasing)
        // The replaced default's idle slabs go back now (its box stays, see Box).
        if let replaced, replaced.toOpaque() != fresh.toOpaque() {
            replaced._withUnsafeGuaranteedRef { $0.source?.pool.releaseIdleSlab() }
        }
    }

    /// Makes the backend named `name` the process default.
    public static func set(named name: String) throws(BackendSelectionError) {
        set(try BackendRegistry.allocator(named: name))
    }

    /// The backend `ALLOCSHIM_BACKEND` selects, given its value (`nil` when unset).
    public static func resolve(environmentValue: String?) throws(BackendSelectionError) -> any Allocator {
        guard let value = environmentValue, !value.isEmpty else { return SystemAllocator.shared }
        return try BackendRegistry.allocator(named: value, source: EnvironmentVariable.backend.rawValue)
    }
}

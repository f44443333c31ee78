import Synchronization

/// The process-wide default allocator: what buffers use when not given one.
///
/// Chosen on first use from `ALLOCSHIM_BACKEND` (unset or empty: `system`), or set in code.
/// Reading it is one atomic load, so hot paths may ask for it every time.
public enum ProcessDefaultAllocator {
    /// The current default and its buffer source, resolved together when the default is set,
    /// so that a buffer made without `using:` costs one atomic load, not a name lookup and a
    /// lock. Boxes are never freed: a reader may still hold the old one when another thread
    /// swaps it, and a process changes its default a handful of times. `everyBox` keeps them
    /// reachable, so leak checkers see retention, not a leak.
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
    private static let everyBox = LockedValue<[Box]>([])

    private static func makeBox(_ allocator: any Allocator) -> Unmanaged<Box> {
        let box = Box(allocator, source: try? BufferSource.resolve(for: allocator))
        everyBox.withLock { $0.append(box) }
        return Unmanaged.passUnretained(box)
    }

    /// The current box, resolving `ALLOCSHIM_BACKEND` on first use.
    @inline(__always)
    static func currentBox() throws(BackendSelectionError) -> Unmanaged<Box> {
        if let box = current.load(ordering: .acquiring) { return box }
        return try resolveFirstBox()
    }

    private static func resolveFirstBox() throws(BackendSelectionError) -> Unmanaged<Box> {
        let resolved = try resolve(environmentValue: EnvironmentVariable.backend.currentValue)
        let fresh = makeBox(resolved)
        let (exchanged, winner) = current.compareExchange(expected: nil, desired: fresh, ordering: .acquiringAndReleasing)
        return exchanged ? fresh : winner!
    }

    /// Puts `replacement` in place of `stale` unless the default changed meanwhile.
    static func replace(_ stale: Unmanaged<Box>, with source: BufferSource) {
        let fresh = Box(stale.takeUnretainedValue().allocator, source: source)
        everyBox.withLock { $0.append(fresh) }
        _ = current.compareExchange(expected: stale, desired: Unmanaged.passUnretained(fresh), ordering: .acquiringAndReleasing)
    }

    /// The default allocator, resolving `ALLOCSHIM_BACKEND` on first use.
    /// Throws when the variable names an unknown or unavailable backend; nothing is cached
    /// then, so a corrected environment or a call to `set` fixes it.
    public static func allocator() throws(BackendSelectionError) -> any Allocator {
        try currentBox().takeUnretainedValue().allocator
    }

    /// Makes `allocator` the process default. Buffers made earlier keep freeing into the
    /// allocator that made them.
    public static func set(_ allocator: any Allocator) {
        _ = current.exchange(makeBox(allocator), ordering: .acquiringAndReleasing)
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

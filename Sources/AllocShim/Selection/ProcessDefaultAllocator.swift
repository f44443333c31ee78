import Synchronization

/// The process-wide default allocator: what buffers use when not given one.
///
/// Chosen on first use from `ALLOCSHIM_BACKEND` (unset or empty: `system`), or set in code.
/// Reading it is one atomic load, so hot paths may ask for it every time.
public enum ProcessDefaultAllocator {
    /// A box for the current default. Boxes are never freed: a reader may still hold the old
    /// one when another thread swaps it, and a process changes its default a handful of times.
    /// `everyBox` keeps them reachable, so leak checkers see retention, not a leak.
    private final class Box: Sendable {
        let allocator: any Allocator
        init(_ allocator: any Allocator) { self.allocator = allocator }
    }

    private static let current = Atomic<Unmanaged<Box>?>(nil)
    private static let everyBox = Mutex<[Box]>([])

    private static func makeBox(_ allocator: any Allocator) -> Unmanaged<Box> {
        let box = Box(allocator)
        everyBox.withLock { $0.append(box) }
        return Unmanaged.passUnretained(box)
    }

    /// The default allocator, resolving `ALLOCSHIM_BACKEND` on first use.
    /// Throws when the variable names an unknown or unavailable backend; nothing is cached
    /// then, so a corrected environment or a call to `set` fixes it.
    public static func allocator() throws(BackendSelectionError) -> any Allocator {
        if let box = current.load(ordering: .acquiring) {
            return box.takeUnretainedValue().allocator
        }
        let resolved = try resolve(environmentValue: EnvironmentVariable.backend.currentValue)
        let (exchanged, winner) = current.compareExchange(expected: nil, desired: makeBox(resolved), ordering: .acquiringAndReleasing)
        if exchanged { return resolved }
        return winner!.takeUnretainedValue().allocator
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

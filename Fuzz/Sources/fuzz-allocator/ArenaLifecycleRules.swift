/// What resetting or destroying a jemalloc arena must do, as the model expects it. This is
/// the one place to change when the library's rules change (issue 11, items 2 and 3).
///
/// Today (before issue 11's fix) `reset()` and `destroy()` always proceed, and using or
/// releasing a buffer of the arena afterwards is the caller's error — which a caller of
/// `SharedBytes` cannot avoid, since buffers release themselves. So the model only asks for
/// them when no buffer of the arena is live (`.notExercised` otherwise), and then expects:
/// after `destroy`, every allocation from the arena's source fails with a typed error; after
/// `reset`, nothing handed out later overlaps anything live (including what the pool hands
/// out from a slab it took before the reset).
enum ArenaLifecycleRules {
    enum Operation: CustomStringConvertible {
        case reset, destroy
        var description: String { self == .reset ? "reset" : "destroy" }
    }

    enum Expected {
        /// The call must succeed; buffers of the arena that are live stay valid or not
        /// (`liveBuffersStayValid`), and the arena accepts allocations afterwards or not.
        case succeeds(arenaUsableAfterwards: Bool)
        /// The call must fail with a typed error and change nothing.
        case refused
        /// The rules leave this undefined (caller error); the model does not do it.
        case notExercised
    }

    static func expected(_ operation: Operation, liveBuffersOfArena: Int) -> Expected {
        guard liveBuffersOfArena == 0 else { return .notExercised }
        switch operation {
        case .reset: return .succeeds(arenaUsableAfterwards: true)
        case .destroy: return .succeeds(arenaUsableAfterwards: false)
        }
    }
}

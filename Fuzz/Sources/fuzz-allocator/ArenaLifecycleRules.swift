/// What resetting or destroying a jemalloc arena must do, as the model expects it. This is
/// the one place to change when the library's rules change.
///
/// The rules (issue 11, items 2 and 3; JemallocArena's documentation): `reset()` and
/// `destroy()` discard the arena's memory, so while any block of the arena is live — here, any
/// buffer or slice of it the model holds, which also keeps its pool slab live — they refuse
/// with `JemallocArenaError.inUse` and change nothing. With nothing live they succeed (a pool's
/// idle slab is let go first); after `destroy` every allocation from the arena, pooled or not,
/// fails with a typed error, and after `reset` nothing handed out later overlaps anything live.
/// Once destroyed, `destroy()` again does nothing (idempotent) and `reset()` refuses with
/// `JemallocArenaError.destroyed`.
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
        case refused(Refusal)
        /// The rules leave this undefined (caller error); the model does not do it.
        case notExercised
    }

    enum Refusal { case inUse, destroyed }

    static func expected(_ operation: Operation, liveBuffersOfArena: Int, destroyed: Bool) -> Expected {
        if destroyed {
            return operation == .destroy ? .succeeds(arenaUsableAfterwards: false) : .refused(.destroyed)
        }
        guard liveBuffersOfArena == 0 else { return .refused(.inUse) }
        switch operation {
        case .reset: return .succeeds(arenaUsableAfterwards: true)
        case .destroy: return .succeeds(arenaUsableAfterwards: false)
        }
    }
}

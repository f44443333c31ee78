import Synchronization

/// The live-block count of an arena and its exclusive states, in one atomic word, so that
/// "no block is live" and "nobody may allocate now" are decided together: a reset or destroy
/// can never run while a block is live, and no block can be made while one runs.
///
/// Layout: the low bits count live blocks; `exclusiveFlag` is set while a reset or destroy
/// runs; `destroyedFlag` stays set once the arena is gone.
final class ArenaLifecycle: Sendable {
    private let state = Atomic<Int>(0)
    private static let exclusiveFlag = 1 << 61
    private static let destroyedFlag = 1 << 62
    private static let countMask = exclusiveFlag - 1

    enum Refusal { case destroyed, busy }
    enum ExclusiveOutcome: Equatable { case acquired, destroyed, busy, inUse(Int) }

    var isDestroyed: Bool { state.load(ordering: .acquiring) & Self.destroyedFlag != 0 }
    var liveBlocks: Int { state.load(ordering: .relaxed) & Self.countMask }

    /// Counts one more live block, unless a reset/destroy runs or ran. nil when counted.
    @inline(__always)
    func acquireBlock() -> Refusal? {
        var current = state.load(ordering: .relaxed)
        while true {
            if current & Self.destroyedFlag != 0 { return .destroyed }
            if current & Self.exclusiveFlag != 0 { return .busy }
            let (exchanged, original) = state.weakCompareExchange(
                expected: current, desired: current + 1, successOrdering: .acquiring, failureOrdering: .relaxed)
            if exchanged { return nil }
            current = original
        }
    }

    /// A block is gone (released after its memory went back to the arena).
    @inline(__always)
    func releaseBlock() { state.wrappingSubtract(1, ordering: .releasing) }

    /// Takes the arena exclusively when no block is live.
    func beginExclusive() -> ExclusiveOutcome {
        let (exchanged, original) = state.compareExchange(expected: 0, desired: Self.exclusiveFlag, ordering: .acquiringAndReleasing)
        if exchanged { return .acquired }
        if original & Self.destroyedFlag != 0 { return .destroyed }
        if original & Self.exclusiveFlag != 0 { return .busy }
        return .inUse(original & Self.countMask)
    }

    /// Ends a reset (usable again) or a destroy (unusable forever).
    func endExclusive(destroyed: Bool) {
        state.store(destroyed ? Self.destroyedFlag : 0, ordering: .releasing)
    }
}

/// Something that keeps an allocator's blocks cached while idle (a pool's current slab) and
/// can let go of them when the allocator needs to know nothing is held (before an arena reset).
protocol IdleBlockHolder: AnyObject, Sendable {
    func releaseIdleBlocks()
}

/// An allocator that wants to hear of holders of its idle blocks.
protocol IdleBlockHolderRegistry: Allocator {
    func register(_ holder: any IdleBlockHolder)
}

struct WeakIdleHolder: Sendable {
    weak var holder: (any IdleBlockHolder)?
}

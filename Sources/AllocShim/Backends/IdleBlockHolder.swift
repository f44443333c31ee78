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

/// A fixed number of slots, each empty or holding one block, that owns what it holds: blocks
/// still in it are freed when it is dropped. Swift's `Array` needs copyable elements, and
/// `OwnedBytes` is not copyable.
struct BlockSlots<Block: ~Copyable>: ~Copyable {
    let capacity: Int
    private let storage: UnsafeMutablePointer<Block?>

    /// `capacity` empty slots.
    init(capacity: Int) {
        self.capacity = capacity
        // allocshim: uninitialized — every slot is initialized to nil in the loop below, before any read
        storage = UnsafeMutablePointer<Block?>.allocate(capacity: capacity)
        for index in 0..<capacity { (storage + index).initialize(to: nil) }
    }

    deinit {
        storage.deinitialize(count: capacity)
        storage.deallocate()
    }

    /// The block in slot `index`, which is left empty; nil when it was empty.
    mutating func take(at index: Int) -> Block? {
        // Moved out and re-initialized rather than `storage[index].take()`, which crashes the
        // Swift 6.3.1 compiler under -sanitize=thread ("Invalid bitcast"; make test-tsan).
        let slot = storage + index
        let block = slot.move()
        slot.initialize(to: nil)
        return block
    }

    /// Puts `block` into slot `index`, freeing the block that was there, if any.
    mutating func put(_ block: consuming Block, at index: Int) {
        let slot = storage + index
        slot.deinitialize(count: 1)
        slot.initialize(to: block)
    }
}

// Moving the slots to another thread moves the blocks in them, which is safe when the blocks
// can move.
extension BlockSlots: @unchecked Sendable where Block: Sendable & ~Copyable {}

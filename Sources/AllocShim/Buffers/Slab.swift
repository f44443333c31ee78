import CAllocShims
import Synchronization

/// What every slab of one pool shares: where slab blocks come from and go back to, the slab
/// size, and the pool's counters. A slab may outlive its pool, so it refers to this, never to
/// the pool.
///
/// Slabs of an immortal home (the shared pool of a built-in backend) hold it **unretained**:
/// making and freeing a slab then writes no reference count that other threads write too.
/// Before, every slab retained and released the backend object and the pool's ledger — four
/// atomic read-modify-writes on two lines every thread shares, about every 78 buffers of
/// 100 B; at 16 threads the pooled buffer cost 155 ns of CPU instead of 32 (issue 23).
/// Slabs of a mortal home (an arena's or a user allocator's pool) retain it, so the allocator
/// lives until its last slab is freed; rewinding (see `Slab.rewindIfEmpty`) keeps that retain
/// off the same-thread path of a workload whose buffers do not outlive their slab.
final class SlabHome: Sendable {
    /// The allocator slab blocks come from (also what `SharedBytes.allocatorName` reports).
    let allocator: any Allocator
    /// The backend's direct calls when it is a built-in backend: a slab block is then made and
    /// freed without the `Allocator` existential (no dynamic dispatch, no object touched).
    let fastPath: Unmanaged<FastPathHandle>?
    /// Bytes per slab.
    let slabSize: Int
    /// True for a home that is never freed (it holds one reference to itself, on purpose).
    let isImmortal: Bool
    /// Slabs taken and given back, on the per-thread counters: threads share no line here.
    private let slabs = AllocationCounters()
    /// Slices cut and released, on the per-thread counters too.
    private let slices = AllocationCounters()

    init(allocator: any Allocator, slabSize: Int, immortal: Bool) {
        self.allocator = allocator
        self.fastPath = FastPathHandle.of(allocator)
        self.slabSize = slabSize
        self.isImmortal = immortal
        if immortal { _ = Unmanaged.passRetained(self) }  // never released: slabs may hold it unretained
    }

    /// A fresh, uninitialized slab block.
    @inline(__always)
    func allocateSlabBlock() throws(AllocationError) -> UnsafeMutableRawPointer {
        if let fastPath {
            return try fastPath._withUnsafeGuaranteedRef { backend in
                Result { () throws(AllocationError) in
                    // allocshim: uninitialized — a slab is cut into slices handed out uninitialized (Node's pool); zero-fill and poison apply per slice
                    try backend.calls.allocate(byteCount: slabSize, alignment: 1, zeroed: false, counters: backend.counters)
                }
            }.get()
        }
        // allocshim: uninitialized — a slab is cut into slices handed out uninitialized (Node's pool); zero-fill and poison apply per slice
        return try allocator.allocateUninitialized(byteCount: slabSize)
    }

    @inline(__always)
    func deallocateSlabBlock(_ base: UnsafeMutableRawPointer) {
        if let fastPath {
            fastPath._withUnsafeGuaranteedRef { $0.calls.deallocate(base, byteCount: slabSize, alignment: 1, counters: $0.counters) }
        } else {
            allocator.deallocate(base, byteCount: slabSize)
        }
    }

    func slabCreated() { slabs.recordAllocation(byteCount: 0) }
    func slabReleased() { slabs.recordDeallocation(byteCount: 0) }
    @inline(__always)
    func sliceCut(_ byteCount: Int) { slices.recordAllocation(byteCount: byteCount) }
    @inline(__always)
    func sliceReleased(_ byteCount: Int) { slices.recordDeallocation(byteCount: byteCount) }
    /// A live slice now references `newByteCount` bytes instead of `oldByteCount`.
    func sliceResized(from oldByteCount: Int, to newByteCount: Int) { slices.recordResize(from: oldByteCount, to: newByteCount) }

    func accounting() -> PoolAccounting {
        let slabCounts = slabs.snapshot()
        let liveSlabs = slabCounts.allocations - slabCounts.deallocations
        let counts = slices.snapshot()
        return PoolAccounting(
            backend: allocator.name, slabSize: slabSize, liveSlabs: liveSlabs, retainedBytes: liveSlabs * slabSize,
            referencedBytes: counts.liveBytes, pooledAllocations: counts.allocations,
            slabsAllocated: slabCounts.allocations)
    }
}

/// One slab: a block from the backend, freed into it when the last slice cut from it is gone.
///
/// Counting without an atomic per cut: while a cursor (a thread's entry, or a cursor stripe)
/// owns the slab, `outstanding` holds a large charge instead of the live slice count, and the
/// owner counts its cuts privately. A slice released on another thread, or after the owner
/// let go, subtracts 1 (the one atomic per buffer, on this slab's line only); a slice released
/// on the owning thread while its entry still holds the slab just takes 1 off the entry's
/// private count, with no atomic at all (the common case: a buffer made and dropped on one
/// thread). When the owner lets go it subtracts the charge minus its private count. Before
/// that, remote releases never exceed the cuts not taken back locally, so `outstanding` stays
/// above zero; after it, `outstanding` is exactly the live slices, and the subtraction that
/// reaches zero frees the slab — whichever thread makes it. The object itself is held
/// unmanaged: that last subtraction releases it.
///
/// An owner whose slab has no room left first checks whether every slice is back
/// (`rewindIfEmpty`): then it starts cutting the same slab from its start again instead of
/// freeing it and allocating a new one. No memory is kept that was not kept before (the
/// owner's current slab), and the allocator round trip, with every write it makes, is gone.
@usableFromInline
final class Slab: @unchecked Sendable {
    // @unchecked: `base` is immutable; the bytes are handed out in disjoint slices.
    let base: UnsafeMutableRawPointer
    /// Retained unless immortal (see SlabHome).
    let home: Unmanaged<SlabHome>
    /// The per-thread slot of the pool that cuts it, or -1 for a cursor stripe.
    let threadSlot: Int32
    // The count below is written by every thread that releases a slice of this slab remotely
    // and by the owner when it rewinds; the object is 48 bytes from malloc without padding, so
    // the line holding the count could hold a neighbouring object, another thread's slab. With
    // the count at offset 64 of a 128-byte object, the line that holds it lies inside the object
    // wherever malloc puts it (the line starts at most 63 bytes before offset 64, at or after
    // offset 1, and ends before offset 128). Fields are laid out in declaration order after the
    // 16-byte object header: base 16, home 24, threadSlot 32, padding 40..<64. LayoutTests
    // checks the offset and the size.
    private let paddingBeforeCount: (Int, Int, Int) = (0, 0, 0)
    private let outstanding = Atomic<Int>(Slab.ownerCharge)
    private let paddingAfterCount: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)

    /// More than any owner can cut (zero-byte slices do not advance the cursor, so the count of
    /// cuts is not bounded by the slab's size).
    private static let ownerCharge = Int.max / 2

    /// A new slab, owned by the caller's cursor (which must hand it to `retire(_:cuts:)`).
    @inline(__always)
    static func make(home: SlabHome, threadSlot: Int32) throws(AllocationError) -> Unmanaged<Slab> {
        let base = try home.allocateSlabBlock()
        return Unmanaged.passRetained(Slab(base: base, home: home, threadSlot: threadSlot))
    }

    private init(base: UnsafeMutableRawPointer, home: SlabHome, threadSlot: Int32) {
        self.base = base
        self.home = home.isImmortal ? .passUnretained(home) : .passRetained(home)
        self.threadSlot = threadSlot
        home.slabCreated()
        SanitizerVisibility.takeBack(base, byteCount: home.slabSize)  // nothing is handed out yet
    }

    /// Where the count is, from the object's start (for LayoutTests).
    var countOffset: Int {
        let object = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        return Int(withUnsafePointer(to: outstanding) { UInt(bitPattern: $0) } - object)
    }

    /// The allocator the slab's block came from.
    var allocator: any Allocator { home._withUnsafeGuaranteedRef { $0.allocator } }

    /// Called by the owning cursor, which has cut `cuts` slices not yet released on its thread:
    /// true when every slice is back, and the slab is then ready to be cut again from its start
    /// (the owner keeps it). No other thread can touch the count then: no slice is live.
    @inline(__always)
    func rewindIfEmpty(cuts: some BinaryInteger) -> Bool {
        // Acquiring: every write to a slice released on another thread happens before the
        // slice is handed out again.
        guard outstanding.load(ordering: .acquiring) == Slab.ownerCharge - Int(cuts) else { return false }
        outstanding.store(Slab.ownerCharge, ordering: .relaxed)
        return true
    }

    /// The owning cursor lets go after cutting `cuts` slices.
    static func retire(_ slab: Unmanaged<Slab>, cuts: some BinaryInteger) {
        drop(slab, ownerCharge - Int(cuts))
    }

    /// A buffer cut from `slab` is gone (called by its owner's release, on any thread).
    @inline(__always)
    static func releaseSlice(_ slab: Unmanaged<Slab>, _ slice: UnsafeMutableRawPointer, byteCount: Int) {
        let threadSlot = slab._withUnsafeGuaranteedRef { slab in
            SanitizerVisibility.takeBack(slice, byteCount: byteCount)
            slab.home._withUnsafeGuaranteedRef { $0.sliceReleased(byteCount) }
            return slab.threadSlot
        }
        if threadSlot >= 0 {
            // Still this thread's current slab: only this thread reads or writes the entry.
            let entry = CAllocShims_thread_slab_peek(threadSlot)!
            if entry.pointee.slab == slab.toOpaque() {
                entry.pointee.cuts -= 1
                return
            }
        }
        releaseRemotely(slab)
    }

    /// The output-span initializers' slice, cut with `capacity` bytes of which the closure wrote
    /// `count`, keeps only those: the tail is no longer referenced (accounting) nor accessible
    /// (AddressSanitizer), and when the slice is still the last cut of this thread's slab the
    /// cursor moves back over the tail, so the next buffer uses it (the usual case: nothing is
    /// cut between the allocation and the end of the closure). On a striped pool, or after
    /// another cut, the tail stays unused until the slab is freed or rewound.
    static func trimSlice(_ slab: Unmanaged<Slab>, _ slice: UnsafeMutableRawPointer, from capacity: Int, to count: Int) {
        let threadSlot = slab._withUnsafeGuaranteedRef { slab in
            SanitizerVisibility.takeBack(slice + count, byteCount: capacity - count)
            slab.home._withUnsafeGuaranteedRef { $0.sliceResized(from: capacity, to: count) }
            return slab.threadSlot
        }
        guard threadSlot >= 0 else { return }
        // Only this thread reads or writes its entry.
        let entry = CAllocShims_thread_slab_peek(threadSlot)!
        guard entry.pointee.slab == slab.toOpaque(), let cursor = entry.pointee.cursor else { return }
        let cutEnd = UnsafeMutableRawPointer(cursor)
        let keptEnd = slice + ((count + 7) & ~7)  // the 8-byte alignment of every cut
        // The last cut ends at the cursor: later cuts would have moved it past this slice's end.
        guard cutEnd > keptEnd, cutEnd <= slice + ((capacity + 7) & ~7) else { return }
        entry.pointee.remaining += cutEnd - keptEnd
        entry.pointee.cursor = keptEnd.assumingMemoryBound(to: CChar.self)
    }

    /// The one atomic of a release that is not the owner's own (another thread's, or after
    /// the owner let go). Out of line: it is never on the same-thread path of a per-thread
    /// pool, and the shared-write guard (scripts/check-shared-writes.sh) counts its calls.
    @inline(never)
    static func releaseRemotely(_ slab: Unmanaged<Slab>) {
        drop(slab, 1)
    }

    /// Acquiring and releasing: every write to a slice happens before the slab is freed.
    @inline(__always)
    private static func drop(_ slab: Unmanaged<Slab>, _ count: Int) {
        // Wrapping: a plain `lock xadd` (the checked form compiled to a compare-and-swap loop).
        let left = slab._withUnsafeGuaranteedRef { $0.outstanding.wrappingSubtract(count, ordering: .acquiringAndReleasing).newValue }
        if left == 0 { slab.release() }
    }

    deinit {
        home._withUnsafeGuaranteedRef { home in
            SanitizerVisibility.handOut(base, byteCount: home.slabSize)  // back to the allocator as it gave it
            home.deallocateSlabBlock(base)
            home.slabReleased()
        }
        if !home._withUnsafeGuaranteedRef({ $0.isImmortal }) { home.release() }
    }
}

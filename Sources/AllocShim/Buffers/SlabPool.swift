import CAllocShims
import Synchronization

/// The pool behind uninitialized small buffers: Node's `Buffer.allocUnsafe` pool, per backend.
///
/// Requests smaller than half a slab are cut from the current slab at 8-byte-aligned offsets;
/// when the remainder is too small a fresh slab is taken from the backend. A slab counts its
/// live slices, so it goes back to its allocator exactly when the last buffer cut from it is
/// gone — and until then one small live buffer keeps the whole slab ("a small slice pins
/// 8 KiB"), which ``accounting`` makes visible.
///
/// The shared pool of each built-in backend cuts **per thread**: every thread has its own
/// current slab (in C thread-local storage) and cuts from it with no lock, no shared write and
/// no atomic (the slab type below says how its count stays exact); a slab still goes back
/// exactly when its last slice is gone, on whichever thread releases it. Other pools (arenas,
/// your allocators) share one cursor under a lock, so that an arena can take its idle slab
/// back before a reset.
public final class SlabPool: Sendable {
    /// The allocator slabs are taken from and returned to.
    public let allocator: any Allocator
    /// Bytes per slab.
    public let slabSize: Int
    /// Requests of fewer bytes than this are pooled (half a slab, as in Node).
    public var poolingThreshold: Int { slabSize >> 1 }

    /// The shared cursor: the current slab (owned by the cursor, see `Slab`), the next free
    /// offset in it, and the slices cut from it so far.
    private let cursor: LockedValue<SharedCursor>
    /// The pool's slot in the per-thread slab table, or -1 for the shared cursor.
    private let threadSlot: Int32
    /// This pool's number in the per-thread table: unique for the process, never reused.
    private let threadIdentity: UInt64
    let ledger = PoolLedger()

    /// A pool cutting `slabSize`-byte slabs from `allocator` behind one shared, locked cursor.
    /// If `allocator` is a `JemallocArena`, the pool registers with it so the arena can take
    /// back the idle slab before a reset or destroy.
    public init(allocator: any Allocator, slabSize: Int) {
        self.allocator = allocator
        self.slabSize = slabSize
        self.cursor = LockedValue(SharedCursor())
        self.threadSlot = -1
        self.threadIdentity = 0
        // An arena must be able to ask for the idle slab back before it resets or is destroyed.
        (allocator as? any IdleBlockHolderRegistry)?.register(self)
    }

    /// A pool that cuts from per-thread slabs; the shared cursor when no slot is left.
    init(perThreadFor allocator: any Allocator, slabSize: Int) {
        self.allocator = allocator
        self.slabSize = slabSize
        self.cursor = LockedValue(SharedCursor())
        ThreadSlabs.installRelease
        self.threadSlot = allocator is any IdleBlockHolderRegistry ? -1 : CAllocShims_thread_slab_slot_reserve()
        self.threadIdentity = ThreadSlabs.nextIdentity.wrappingAdd(1, ordering: .relaxed).newValue
    }

    deinit {
        // The built-in pools never die; pools made for tests, arenas and user allocators do:
        // they give their slot back and let go of the shared cursor's slab.
        if threadSlot >= 0 { CAllocShims_thread_slab_slot_release(threadSlot) }
        cursor.withLock { $0.retireSlab() }
    }

    /// Whether this pool cuts from per-thread slabs.
    var cutsPerThread: Bool { threadSlot >= 0 }

    /// Whether a request of `byteCount` is served from a slab.
    @inline(__always)
    public func pools(byteCount: Int) -> Bool { byteCount < poolingThreshold }

    /// Cuts `byteCount` uninitialized bytes from the current slab (or a fresh one).
    /// The caller must hand the slice back with `Slab.releaseSlice(_:_:byteCount:)`.
    @inline(__always)
    func cut(byteCount: Int) throws(AllocationError) -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>) {
        if threadSlot >= 0 { return try cutFromThreadSlab(byteCount) }
        let fromCurrent: (UnsafeMutableRawPointer, Unmanaged<Slab>)? = cursor.withLock { state in
            guard state.slab != nil, slabSize - state.offset >= byteCount else { return nil }
            return take(byteCount, state: &state)
        }
        if let fromCurrent {
            return fromCurrent
        }
        // Allocate outside the lock; another thread may have installed a slab meanwhile.
        let fresh = try Slab.make(allocator: allocator, byteCount: slabSize, ledger: ledger, threadSlot: -1)
        var letGo: (slab: Unmanaged<Slab>, cuts: Int)?
        let slice = cursor.withLock { state in
            if state.slab != nil, slabSize - state.offset >= byteCount {
                letGo = (fresh, 0)  // unused
                return take(byteCount, state: &state)
            }
            if let previous = state.slab { letGo = (previous, state.cuts) }
            state = SharedCursor(slab: fresh, offset: 0, cuts: 0)
            return take(byteCount, state: &state)
        }
        // Outside the lock: letting go may free the slab into its allocator.
        if let letGo { Slab.retire(letGo.slab, cuts: letGo.cuts) }
        return slice
    }

    @inline(__always)
    private func take(_ byteCount: Int, state: inout SharedCursor) -> (UnsafeMutableRawPointer, Unmanaged<Slab>) {
        let slab = state.slab!
        let pointer = slab._withUnsafeGuaranteedRef { $0.base } + state.offset
        // Node's alignPool: the next slice starts on an 8-byte boundary (which also keeps every
        // slice in ASan shadow granules of its own, so its end can be poisoned exactly).
        state.offset = (state.offset + byteCount + 7) & ~7
        state.cuts += 1
        SanitizerVisibility.handOut(pointer, byteCount: byteCount)
        ledger.sliceCut(byteCount)
        return (pointer, slab)
    }

    /// Cuts from this thread's slab. Only this thread touches its entry: no lock, no atomic.
    @inline(__always)
    private func cutFromThreadSlab(_ byteCount: Int) throws(AllocationError) -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>) {
        let entry = CAllocShims_thread_slab(threadSlot)!
        if entry.pointee.pool_id == threadIdentity, entry.pointee.remaining >= byteCount,
            let current = entry.pointee.slab
        {
            return takeFromThreadSlab(byteCount, slab: Unmanaged<Slab>.fromOpaque(current), entry: entry)
        }
        let fresh = try Slab.make(allocator: allocator, byteCount: slabSize, ledger: ledger, threadSlot: threadSlot)
        let previous = entry.pointee
        entry.pointee = CAllocShims_ThreadSlab(
            pool_id: threadIdentity, slab: fresh.toOpaque(),
            cursor: fresh._withUnsafeGuaranteedRef { $0.base }.assumingMemoryBound(to: CChar.self), remaining: slabSize, cuts: 0)
        // After the entry is consistent: letting go may free the slab and run arbitrary code.
        if let slab = previous.slab { Slab.retire(Unmanaged<Slab>.fromOpaque(slab), cuts: previous.cuts) }
        return takeFromThreadSlab(byteCount, slab: fresh, entry: entry)
    }

    @inline(__always)
    private func takeFromThreadSlab(_ byteCount: Int, slab: Unmanaged<Slab>, entry: UnsafeMutablePointer<CAllocShims_ThreadSlab>)
        -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>)
    {
        let pointer = UnsafeMutableRawPointer(entry.pointee.cursor!)
        // Node's alignPool: the next slice starts on an 8-byte boundary (slabs are 16-aligned).
        let advance = Swift.min((byteCount + 7) & ~7, entry.pointee.remaining)
        entry.pointee.cursor += advance
        entry.pointee.remaining -= advance
        entry.pointee.cuts += 1
        SanitizerVisibility.handOut(pointer, byteCount: byteCount)
        ledger.sliceCut(byteCount)
        return (pointer, slab)
    }

    /// Drops the current slab (for a per-thread pool: this thread's). It goes back to its allocator at once if no live buffer was cut
    /// from it, else when the last such buffer goes; the next request starts a fresh slab.
    public func releaseIdleSlab() {
        if threadSlot >= 0 {
            let entry = CAllocShims_thread_slab(threadSlot)!
            guard entry.pointee.pool_id == threadIdentity, let current = entry.pointee.slab else { return }
            let cuts = entry.pointee.cuts
            entry.pointee = CAllocShims_ThreadSlab()
            Slab.retire(Unmanaged<Slab>.fromOpaque(current), cuts: cuts)
            return
        }
        let dropped = cursor.withLock { state -> SharedCursor in
            defer { state = SharedCursor() }
            return state
        }
        if let slab = dropped.slab { Slab.retire(slab, cuts: dropped.cuts) }  // outside the lock
    }

    /// Live slabs, bytes they retain, and bytes live buffers actually reference.
    public var accounting: PoolAccounting { ledger.snapshot(slabSize: slabSize, backend: allocator.name) }
}

extension SlabPool: IdleBlockHolder {
    func releaseIdleBlocks() { releaseIdleSlab() }
}

/// Glue to the C per-thread slab table.
enum ThreadSlabs {
    /// Registers, once, how C lets go of a thread's slabs when the thread exits.
    static let installRelease: Void = CAllocShims_thread_slab_set_release { slab, cuts in
        if let slab { Slab.retire(Unmanaged<Slab>.fromOpaque(slab), cuts: cuts) }
    }

    /// Source of pool numbers; 0 is never handed out (an empty entry).
    static let nextIdentity = Atomic<UInt64>(0)
}

/// A snapshot of a pool's memory: what its slabs hold versus what live buffers use.
public struct PoolAccounting: Sendable, Codable, Equatable {
    /// The name of the pool's allocator.
    public var backend: String
    /// Bytes per slab.
    public var slabSize: Int
    /// Slabs currently allocated (the pool's current slab plus any pinned by live buffers).
    public var liveSlabs: Int
    /// Bytes held by live slabs: `liveSlabs × slabSize`.
    public var retainedBytes: Int
    /// Bytes referenced by live pooled buffers. `retainedBytes - referencedBytes` is memory
    /// kept alive only because some small buffer pins its slab (or the pool's free tail).
    public var referencedBytes: Int
    /// Pooled allocations served since the pool was created.
    public var pooledAllocations: Int
    /// Slabs taken from the backend since the pool was created.
    public var slabsAllocated: Int
}

/// The pool's counters, shared with its slabs: a slab may outlive its pool, so it keeps the
/// ledger alive rather than the pool.
final class PoolLedger: Sendable {
    /// Slabs taken and given back, on the per-thread counters: threads cutting at once then
    /// share no cache line here (two shared atomics per slab cost 2–4 ns per buffer at two
    /// threads, measured with `allocshim threads --form owned-pooled`).
    private let slabs = AllocationCounters()
    /// Slices cut and released, on the per-thread counters too: a pooled allocate/release pair
    /// then touches no shared memory at all when it stays on one thread.
    private let slices = AllocationCounters()

    func slabCreated() { slabs.recordAllocation(byteCount: 0) }
    func slabReleased() { slabs.recordDeallocation(byteCount: 0) }
    @inline(__always)
    func sliceCut(_ byteCount: Int) { slices.recordAllocation(byteCount: byteCount) }
    @inline(__always)
    func sliceReleased(_ byteCount: Int) { slices.recordDeallocation(byteCount: byteCount) }

    func snapshot(slabSize: Int, backend: String) -> PoolAccounting {
        let slabCounts = slabs.snapshot()
        let liveSlabs = slabCounts.allocations - slabCounts.deallocations
        let counts = slices.snapshot()
        return PoolAccounting(
            backend: backend, slabSize: slabSize, liveSlabs: liveSlabs, retainedBytes: liveSlabs * slabSize,
            referencedBytes: counts.liveBytes, pooledAllocations: counts.allocations,
            slabsAllocated: slabCounts.allocations)
    }
}

/// The shared cursor of a pool that does not cut per thread (under the pool's lock).
struct SharedCursor {
    var slab: Unmanaged<Slab>? = nil
    var offset = 0
    var cuts = 0

    /// Lets go of the current slab, if any; the cursor is empty afterwards.
    mutating func retireSlab() {
        if let slab { Slab.retire(slab, cuts: cuts) }
        self = SharedCursor()
    }
}

/// One slab: a block from the backend, freed into it when the last slice cut from it is gone.
///
/// Counting without an atomic per cut: while a cursor (a thread's entry, or a shared cursor)
/// owns the slab, `outstanding` holds a large charge instead of the live slice count, and the
/// owner counts its cuts privately. A slice released on another thread, or after the owner
/// let go, subtracts 1 (the one atomic per buffer); a slice released on the owning thread while
/// its entry still holds the slab just takes 1 off the entry's private count, with no atomic at
/// all (the common case: a buffer made and dropped on one thread). When the owner lets go it
/// subtracts the charge minus its private count. Before that, remote releases never exceed the
/// cuts not taken back locally, so `outstanding` stays above zero; after it, `outstanding` is
/// exactly the live slices (cut − released locally − released remotely), and the subtraction
/// that reaches zero frees the slab — whichever thread makes it. The object itself is held
/// unmanaged: that last subtraction releases it.
final class Slab: @unchecked Sendable {
    // @unchecked: `base` is immutable; the bytes are handed out in disjoint slices.
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    let allocator: any Allocator
    let ledger: PoolLedger
    /// The per-thread slot of the pool that cuts it, or -1 for a shared cursor.
    let threadSlot: Int32
    private let outstanding = Atomic<Int>(Slab.ownerCharge)

    /// More than any owner can cut (zero-byte slices do not advance the cursor, so the count of
    /// cuts is not bounded by the slab's size).
    private static let ownerCharge = Int.max / 2

    /// A new slab, owned by the caller's cursor (which must hand it to `retire(_:cuts:)`).
    static func make(allocator: any Allocator, byteCount: Int, ledger: PoolLedger, threadSlot: Int32) throws(AllocationError)
        -> Unmanaged<Slab>
    {
        Unmanaged.passRetained(try Slab(allocator: allocator, byteCount: byteCount, ledger: ledger, threadSlot: threadSlot))
    }

    private init(allocator: any Allocator, byteCount: Int, ledger: PoolLedger, threadSlot: Int32) throws(AllocationError) {
        // Slabs are 16-byte aligned like any malloc block; slices within are 8-byte aligned.
        // allocshim: uninitialized — a slab is cut into slices that are handed out uninitialized (Node's pool); zero-fill and poison modes apply per slice
        self.base = try allocator.allocateUninitialized(byteCount: byteCount)
        self.byteCount = byteCount
        self.allocator = allocator
        self.ledger = ledger
        self.threadSlot = threadSlot
        ledger.slabCreated()
        SanitizerVisibility.takeBack(base, byteCount: byteCount)  // nothing is handed out yet
    }

    /// The owning cursor lets go after cutting `cuts` slices.
    static func retire(_ slab: Unmanaged<Slab>, cuts: some BinaryInteger) {
        drop(slab, ownerCharge - Int(cuts))
    }

    /// A buffer cut from `slab` is gone (called by its owner's release, on any thread).
    @inline(__always)
    static func releaseSlice(_ slab: Unmanaged<Slab>, _ slice: UnsafeMutableRawPointer, byteCount: Int) {
        let threadSlot = slab._withUnsafeGuaranteedRef {
            SanitizerVisibility.takeBack(slice, byteCount: byteCount)
            $0.ledger.sliceReleased(byteCount)
            return $0.threadSlot
        }
        if threadSlot >= 0 {
            // Still this thread's current slab: only this thread reads or writes the entry.
            let entry = CAllocShims_thread_slab_peek(threadSlot)!
            if entry.pointee.slab == slab.toOpaque() {
                entry.pointee.cuts -= 1
                return
            }
        }
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
        SanitizerVisibility.handOut(base, byteCount: byteCount)  // back to the allocator as it gave it
        allocator.deallocate(base, byteCount: byteCount)
        ledger.slabReleased()
    }
}

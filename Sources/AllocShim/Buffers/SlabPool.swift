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
/// no atomic (`Slab` says how its count stays exact); a slab still goes back exactly when its
/// last slice is gone, on whichever thread releases it. Other pools (arenas, your allocators)
/// cut from one cursor per stripe of threads (`CursorStripes`), so that threads still do not
/// share a cursor and an arena can take every idle slab back before a reset.
///
/// A slab that has no room left is cut again from its start when every slice cut from it is
/// back (the common case when buffers are made and dropped on one thread), so a steady
/// workload does not free and allocate slabs at all; a slab pinned by a live buffer is let go
/// and a fresh one taken. Each thread (or stripe) keeps at most its one current slab idle,
/// as before: rewinding adds no idle memory.
public final class SlabPool: Sendable {
    /// The allocator slabs are taken from and returned to.
    public var allocator: any Allocator { home.allocator }
    /// Bytes per slab.
    public var slabSize: Int { home.slabSize }
    /// Requests of fewer bytes than this are pooled (half a slab, as in Node).
    public var poolingThreshold: Int { home.slabSize >> 1 }

    /// What the pool's slabs share (allocator, size, counters); a slab may outlive the pool.
    let home: SlabHome
    /// The cursors of a pool without a thread-local slot (nil for one that has a slot).
    private let stripes: CursorStripes?
    /// The pool's slot in the per-thread slab table, or -1 when it cuts from stripes.
    private let threadSlot: Int32
    /// This pool's number in the per-thread table: unique for the process, never reused.
    private let threadIdentity: UInt64

    /// A pool cutting `slabSize`-byte slabs from `allocator`, from one cursor per stripe of
    /// threads (see CursorStripes). If `allocator` is a `JemallocArena`, the pool registers
    /// with it so the arena can take back the idle slabs before a reset or destroy.
    public init(allocator: any Allocator, slabSize: Int) {
        self.home = SlabHome(allocator: allocator, slabSize: slabSize, immortal: false)
        self.stripes = CursorStripes()
        self.threadSlot = -1
        self.threadIdentity = 0
        // An arena must be able to ask for the idle slabs back before it resets or is destroyed.
        (allocator as? any IdleBlockHolderRegistry)?.register(self)
    }

    /// A pool that cuts from per-thread slabs (stripes when no slot is left). `immortal`: the
    /// pool is never freed (the shared pool of a built-in backend), so its slabs hold their
    /// home unretained.
    init(perThreadFor allocator: any Allocator, slabSize: Int, immortal: Bool = false) {
        ThreadSlabs.installRelease
        let slot = allocator is any IdleBlockHolderRegistry ? -1 : CAllocShims_thread_slab_slot_reserve()
        self.home = SlabHome(allocator: allocator, slabSize: slabSize, immortal: immortal)
        self.threadSlot = slot
        self.stripes = slot >= 0 ? nil : CursorStripes()
        self.threadIdentity = ThreadSlabs.nextIdentity.wrappingAdd(1, ordering: .relaxed).newValue
        (allocator as? any IdleBlockHolderRegistry)?.register(self)
    }

    deinit {
        // The built-in pools never die; pools made for tests, arenas and user allocators do:
        // they give their slot back (threads still holding one of its slabs drop it on their
        // next cut there or at exit); the stripes let go of their slabs as they go.
        if threadSlot >= 0 { CAllocShims_thread_slab_slot_release(threadSlot) }
    }

    /// Whether this pool cuts from per-thread slabs in thread-local storage (else: stripes).
    var cutsPerThread: Bool { threadSlot >= 0 }

    /// Whether a request of `byteCount` is served from a slab.
    @inline(__always)
    public func pools(byteCount: Int) -> Bool { byteCount < poolingThreshold }

    /// Cuts `byteCount` uninitialized bytes from the current slab (or a fresh one).
    /// The caller must hand the slice back with `Slab.releaseSlice(_:_:byteCount:)`.
    @inline(__always)
    func cut(byteCount: Int) throws(AllocationError) -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>) {
        if threadSlot >= 0 { return try cutFromThreadSlab(byteCount) }
        return try cutFromStripe(byteCount)
    }

    // MARK: Stripes

    private func cutFromStripe(_ byteCount: Int) throws(AllocationError) -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>) {
        // Unretained: `self` holds the stripes for the call. A local copy of the reference was a
        // retain and release per buffer of the one object every thread of the pool shares (the
        // shared-write guard's jemalloc-arena rows).
        try Unmanaged.passUnretained(self.stripes.unsafelyUnwrapped)._withUnsafeGuaranteedRef { stripes in  // set whenever threadSlot < 0
            Result { () throws(AllocationError) in try cutFromStripe(byteCount, stripes) }
        }.get()
    }

    @inline(__always)
    private func cutFromStripe(_ byteCount: Int, _ stripes: CursorStripes) throws(AllocationError)
        -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>)
    {
        let slabSize = home.slabSize
        let fromCurrent: (UnsafeMutableRawPointer, Unmanaged<Slab>)? = stripes.withThisThreadsCursor { cursor in
            guard let slab = cursor.slab else { return nil }
            if slabSize - cursor.offset < byteCount {
                guard slab._withUnsafeGuaranteedRef({ $0.rewindIfEmpty(cuts: cursor.cuts) }) else { return nil }
                cursor.offset = 0
                cursor.cuts = 0
            }
            return take(byteCount, cursor: &cursor)
        }
        if let fromCurrent { return fromCurrent }
        // Allocate outside the lock: a user allocator may run arbitrary code.
        let fresh = try Slab.make(home: home, threadSlot: -1)
        var letGo: (slab: Unmanaged<Slab>, cuts: Int)?
        let slice = stripes.withThisThreadsCursor { cursor in
            if let previous = cursor.slab { letGo = (previous, cursor.cuts) }
            cursor = StripeCursor(slab: fresh, offset: 0, cuts: 0)
            return take(byteCount, cursor: &cursor)
        }
        // Outside the lock: letting go may free the slab into its allocator.
        if let letGo { Slab.retire(letGo.slab, cuts: letGo.cuts) }
        return slice
    }

    @inline(__always)
    private func take(_ byteCount: Int, cursor: inout StripeCursor) -> (UnsafeMutableRawPointer, Unmanaged<Slab>) {
        let slab = cursor.slab.unsafelyUnwrapped
        let pointer = slab._withUnsafeGuaranteedRef { $0.base } + cursor.offset
        // Node's alignPool: the next slice starts on an 8-byte boundary (which also keeps every
        // slice in ASan shadow granules of its own, so its end can be poisoned exactly).
        cursor.offset = Swift.min((cursor.offset + byteCount + 7) & ~7, home.slabSize)
        cursor.cuts += 1
        SanitizerVisibility.handOut(pointer, byteCount: byteCount)
        home.sliceCut(byteCount)
        return (pointer, slab)
    }

    // MARK: Thread-local slabs

    /// Cuts from this thread's slab. Only this thread touches its entry: no lock, no atomic.
    @inline(__always)
    private func cutFromThreadSlab(_ byteCount: Int) throws(AllocationError) -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>) {
        let entry = CAllocShims_thread_slab(threadSlot)!
        if entry.pointee.pool_id == threadIdentity, let current = entry.pointee.slab {
            let slab = Unmanaged<Slab>.fromOpaque(current)
            if entry.pointee.remaining >= byteCount {
                return takeFromThreadSlab(byteCount, slab: slab, entry: entry)
            }
            if rewindThreadSlab(slab, entry: entry) {
                return takeFromThreadSlab(byteCount, slab: slab, entry: entry)
            }
        }
        return try cutFromFreshThreadSlab(byteCount, entry: entry)
    }

    /// The entry's slab has no room: cut it again from its start if every slice is back.
    @inline(never)
    private func rewindThreadSlab(_ slab: Unmanaged<Slab>, entry: UnsafeMutablePointer<CAllocShims_ThreadSlab>) -> Bool {
        let rewound = slab._withUnsafeGuaranteedRef { slab -> Bool in
            guard slab.rewindIfEmpty(cuts: entry.pointee.cuts) else { return false }
            entry.pointee.cursor = slab.base.assumingMemoryBound(to: CChar.self)
            return true
        }
        guard rewound else { return false }
        entry.pointee.remaining = home.slabSize
        entry.pointee.cuts = 0
        return true
    }

    /// A slice of this thread's slab is still live (or the entry is another pool's): install a
    /// fresh slab and let go of the old one.
    @inline(never)
    private func cutFromFreshThreadSlab(_ byteCount: Int, entry: UnsafeMutablePointer<CAllocShims_ThreadSlab>) throws(AllocationError)
        -> (pointer: UnsafeMutableRawPointer, slab: Unmanaged<Slab>)
    {
        let fresh = try Slab.make(home: home, threadSlot: threadSlot)
        let previous = entry.pointee
        entry.pointee = CAllocShims_ThreadSlab(
            pool_id: threadIdentity, slab: fresh.toOpaque(),
            cursor: fresh._withUnsafeGuaranteedRef { $0.base }.assumingMemoryBound(to: CChar.self), remaining: home.slabSize, cuts: 0)
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
        home.sliceCut(byteCount)
        return (pointer, slab)
    }

    /// Drops the current slab (for a per-thread pool: this thread's; for a striped pool: every
    /// stripe's). It goes back to its allocator at once if no live buffer was cut from it,
    /// else when the last such buffer goes; the next request starts a fresh slab.
    public func releaseIdleSlab() {
        guard threadSlot >= 0 else {
            stripes.unsafelyUnwrapped.retireAll()
            return
        }
        let entry = CAllocShims_thread_slab(threadSlot)!
        guard entry.pointee.pool_id == threadIdentity, let current = entry.pointee.slab else { return }
        let cuts = entry.pointee.cuts
        entry.pointee = CAllocShims_ThreadSlab()
        Slab.retire(Unmanaged<Slab>.fromOpaque(current), cuts: cuts)
    }

    /// Live slabs, bytes they retain, and bytes live buffers actually reference.
    public var accounting: PoolAccounting { home.accounting() }
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CAllocShims

/// The cursors of a pool that cannot keep its cursor in C thread-local storage (an arena's pool,
/// a user allocator's, or a built-in one when the 16 thread-local slots are taken): one cursor
/// per stripe, each under its own pthread mutex, each stripe on cache lines of its own.
///
/// A thread always cuts from stripe `thread number % stripeCount` (CAllocShims_thread_number:
/// threads are numbered in the order they first ask), so with at least as many stripes as
/// threads no two threads share a stripe: the lock is only ever taken by one thread, and
/// cutting writes no line another thread writes. One shared cursor under one lock did not scale
/// at all (pooled tenant buffers: 31.8 million/s at one thread, 31.6 at two).
///
/// Unlike thread-local cursors, every stripe can be reached from any thread, so an arena can
/// take back every idle slab before it resets or is destroyed (`retireAll`).
final class CursorStripes: @unchecked Sendable {
    // @unchecked: each stripe's cursor is only touched between lock and unlock of its mutex.

    /// One stripe: the mutex on the first line, the cursor on the second (128 bytes apart so
    /// that adjacent-line prefetching does not pair two stripes either).
    private static let stripeStride = 128
    private static let cursorOffset = 64

    let stripeCount: Int
    private let memory: UnsafeMutableRawPointer

    /// A power of two: the cores, at least 4, at most 64 (idle memory is at most one slab per
    /// stripe in use, and only stripes that some thread cut from hold one).
    static let defaultStripeCount: Int = {
        let cores = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var count = 4
        while count < cores && count < 64 { count <<= 1 }
        return count
    }()

    init(stripeCount: Int = CursorStripes.defaultStripeCount) {
        precondition(stripeCount > 0 && stripeCount & (stripeCount - 1) == 0, "stripe count must be a power of two")
        self.stripeCount = stripeCount
        // allocshim: uninitialized — stripe storage, never exposed: each stripe's mutex and cursor are initialized just below
        memory = UnsafeMutableRawPointer.allocate(byteCount: stripeCount * Self.stripeStride, alignment: Self.stripeStride)
        for index in 0..<stripeCount {
            let stripe = memory + index * Self.stripeStride
            let mutex = stripe.bindMemory(to: pthread_mutex_t.self, capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            let status = pthread_mutex_init(mutex, nil)
            precondition(status == 0, "pthread_mutex_init failed: \(status)")  // only fails without memory
            (stripe + Self.cursorOffset).bindMemory(to: StripeCursor.self, capacity: 1).initialize(to: StripeCursor())
        }
    }

    deinit {
        retireAll()
        for index in 0..<stripeCount {
            let stripe = memory + index * Self.stripeStride
            pthread_mutex_destroy(stripe.assumingMemoryBound(to: pthread_mutex_t.self))
            (stripe + Self.cursorOffset).assumingMemoryBound(to: StripeCursor.self).deinitialize(count: 1)
        }
        memory.deallocate()
    }

    /// Runs `body` on this thread's stripe, under its lock.
    @inline(__always)
    func withThisThreadsCursor<Result, Failure: Error>(_ body: (inout StripeCursor) throws(Failure) -> Result) throws(Failure) -> Result {
        try withCursor(at: Int(CAllocShims_thread_number()) & (stripeCount - 1), body)
    }

    @inline(__always)
    private func withCursor<Result, Failure: Error>(at index: Int, _ body: (inout StripeCursor) throws(Failure) -> Result) throws(Failure)
        -> Result
    {
        let stripe = memory + index * Self.stripeStride
        let mutex = stripe.assumingMemoryBound(to: pthread_mutex_t.self)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&(stripe + Self.cursorOffset).assumingMemoryBound(to: StripeCursor.self).pointee)
    }

    /// Every stripe lets go of its slab (each goes back to its allocator at once if no live
    /// buffer was cut from it, else when the last one goes). Letting go happens outside the
    /// locks: it may free a slab into a user allocator, which may run arbitrary code.
    func retireAll() {
        for index in 0..<stripeCount {
            let dropped = withCursor(at: index) { cursor -> StripeCursor in
                defer { cursor = StripeCursor() }
                return cursor
            }
            if let slab = dropped.slab { Slab.retire(slab, cuts: dropped.cuts) }
        }
    }
}

/// One stripe's cursor: its current slab (owned, see `Slab`), the next free offset in it, and
/// the slices cut from it and not yet counted back.
struct StripeCursor {
    var slab: Unmanaged<Slab>? = nil
    var offset = 0
    var cuts = 0
}

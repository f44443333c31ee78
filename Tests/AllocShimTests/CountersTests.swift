import CAllocShims
import Foundation
import Synchronization
import Testing

@testable import AllocShim
import AllocShimTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A `system`-backed allocator with counters of its own, so a test can check exact counts
/// while other tests use the shared backends in parallel.
final class PrivatelyCountedAllocator: Allocator {
    let name = "privately-counted"
    let naturalAlignment = 16
    let counters = AllocationCounters()

    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        guard let block = CAllocShims_platform_malloc(size) else {
            throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment)
        }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let size = try AllocationRequest.validated(byteCount: byteCount, alignment: alignment)
        guard let block = CAllocShims_platform_calloc(1, size) else {
            throw .outOfMemory(backend: name, byteCount: byteCount, alignment: alignment)
        }
        counters.recordAllocation(byteCount: byteCount)
        return block
    }
    func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        let size = try AllocationRequest.validated(byteCount: newByteCount, alignment: alignment)
        guard let block = CAllocShims_platform_realloc(pointer, size) else {
            throw .outOfMemory(backend: name, byteCount: newByteCount, alignment: alignment)
        }
        counters.recordResize(from: oldByteCount, to: newByteCount)
        return block
    }
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        CAllocShims_platform_free(pointer)
        counters.recordDeallocation(byteCount: byteCount)
    }
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        Int(CAllocShims_platform_usable_size(pointer))
    }
    func statistics() -> AllocatorStatistics {
        AllocatorStatistics(backend: name, counters: counters, source: "test")
    }
}

/// Runs `body` on a new POSIX thread and joins it, so the thread's exit (and its thread-exit
/// destructors) has completed when this returns.
func onExitingThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(status == 0, "pthread_create failed: \(status)")
    pthread_join(thread, nil)
}

/// A value shared with another thread (Mutex cannot be captured by an escaping closure).
final class Shared<Value: Sendable>: Sendable {
    private let storage: TestLocked<Value>
    init(_ value: Value) { storage = TestLocked(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// Holds a block and releases it when released itself: what a thread-local buffer does.
private final class BlockReleasedByDestructor {
    let allocator: PrivatelyCountedAllocator
    let block: UnsafeMutableRawPointer
    let byteCount: Int
    init(_ allocator: PrivatelyCountedAllocator, byteCount: Int) throws {
        self.allocator = allocator
        self.byteCount = byteCount
        block = try allocator.allocateUninitialized(byteCount: byteCount)
    }
    deinit { allocator.deallocate(block, byteCount: byteCount) }
}

@Suite("per-thread allocation counters")
struct CountersTests {
    /// Issue 11 item 1. Before the fix the fold freed the thread's block and left the
    /// thread-local pointer set: the later destructor wrote into freed memory (ASan:
    /// heap-use-after-free) and the deallocation was lost, so this saw 1 allocation and
    /// 0 deallocations.
    @Test("a release from a thread-exit destructor that runs after the fold is still counted")
    func releaseAfterFold() throws {
        let allocator = PrivatelyCountedAllocator()
        let rounds = 8
        for _ in 0..<rounds {
            let failure = Shared<String?>(nil)
            let createdKey = Shared<pthread_key_t?>(nil)
            onExitingThread {
                do {
                    // The first count on this thread creates its block (and our exit key,
                    // process-wide, long before the key below).
                    let holder = try BlockReleasedByDestructor(allocator, byteCount: 100)
                    // A key created now has a higher index than ours, so glibc runs its
                    // destructor after the counters' fold.
                    var key = pthread_key_t()
                    let created = pthread_key_create(&key) { value in
                        Unmanaged<AnyObject>.fromOpaque(value!).release()
                    }
                    guard created == 0 else { failure.value = "pthread_key_create: \(created)"; return }
                    createdKey.value = key
                    pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(holder as AnyObject).toOpaque())
                } catch {
                    failure.value = "\(error)"
                }
            }
            #expect(failure.value == nil)
            if let key = createdKey.value { pthread_key_delete(key) }
        }
        let counts = allocator.counters.snapshot()
        #expect(counts.allocations == rounds)
        #expect(counts.deallocations == rounds, "a release after the thread's fold was lost")
        #expect(counts.liveBytes == 0)
    }

    @Test("counts from exited threads and live threads add up exactly")
    func exitedThreadsAreFolded() throws {
        let allocator = PrivatelyCountedAllocator()
        let leftLive = Shared<[UInt]>([])
        for _ in 0..<4 {
            onExitingThread {
                for _ in 0..<50 {
                    if let block = try? allocator.allocateUninitialized(byteCount: 10) {
                        allocator.deallocate(block, byteCount: 10)
                    }
                }
                // Left live past the thread's exit on purpose, released below.
                if let block = try? allocator.allocateUninitialized(byteCount: 7) {
                    leftLive.value.append(UInt(bitPattern: block))
                }
            }
        }
        let counts = allocator.counters.snapshot()
        #expect(counts.allocations == 4 * 51)
        #expect(counts.deallocations == 4 * 50)
        #expect(counts.liveBytes == 4 * 7)
        for address in leftLive.value {
            allocator.deallocate(UnsafeMutableRawPointer(bitPattern: address)!, byteCount: 7)
        }
        #expect(allocator.counters.liveBytes == 0)
    }

    /// Issue 11 item 10. Before the fix slots were never returned: after 256 owners had ever
    /// existed every new owner lost its C slot (`cSlot == nil`), so buffers lost their fast
    /// path and counts went to shared atomics.
    @Test("slots return when their owner dies: 300 owners one after another all get a C slot, exact counts")
    func slotsAreReused() {
        let before = AllocationCounters.slotsInUse
        for round in 0..<300 {
            let counters = AllocationCounters()
            #expect(counters.cSlot != nil, "owner \(round) got no slot (\(AllocationCounters.slotsInUse) in use)")
            let start = counters.snapshot()
            #expect(start.allocations == 0 && start.deallocations == 0 && start.liveBytes == 0, "owner \(round) starts from \(start)")
            for _ in 0..<(round % 7) { counters.recordAllocation(byteCount: 3) }
            counters.recordDeallocation(byteCount: 3)
            let counts = counters.snapshot()
            #expect(counts.allocations == round % 7)
            #expect(counts.deallocations == 1)
            #expect(counts.liveBytes == 3 * (round % 7) - 3)
        }
        // Other tests run in parallel and hold slots too; ours are all back.
        #expect(AllocationCounters.slotsInUse <= before + 16)
    }

    @Test("a reused slot never shows the dead owner's counts from live or exited threads")
    func reusedSlotStartsFromZero() throws {
        // The first owner is reachable only through `holder`, so clearing it ends its life
        // even while the recording thread below is still alive.
        let holder = Shared<AllocationCounters?>(AllocationCounters())
        let slot = try #require(holder.value?.cSlot)
        let recorded = Shared(false)
        let mayExit = Shared(false)
        let thread = Thread {
            holder.value?.recordAllocation(byteCount: 1000)  // stays in this live thread's block
            recorded.value = true
            while !mayExit.value { usleep(1000) }
        }
        thread.start()
        while !recorded.value { usleep(1000) }
        onExitingThread { holder.value?.recordAllocation(byteCount: 500) }  // folded into the totals
        holder.value?.recordAllocation(byteCount: 250)
        #expect(holder.value?.snapshot().allocations == 3)
        holder.value = nil

        // Another test may take the freed slot first; take slots until ours comes back.
        var held: [AllocationCounters] = []
        var reused: AllocationCounters?
        for _ in 0..<CAllocShims_counter_slot_capacity {
            let next = AllocationCounters()
            if next.cSlot == slot { reused = next; break }
            held.append(next)
        }
        defer { mayExit.value = true }
        let second = try #require(reused, "slot \(slot) was not handed out again")
        let counts = second.snapshot()
        #expect(counts.allocations == 0 && counts.deallocations == 0 && counts.liveBytes == 0, "reused slot shows \(counts)")
        second.recordAllocation(byteCount: 8)
        #expect(second.snapshot().allocations == 1 && second.liveBytes == 8)
        held.removeAll()
    }

    /// Issue 23, item 1 (no false sharing): a thread's counts are written on every allocation,
    /// so its block must share no cache line with the heap's neighbouring blocks. Before, the
    /// block came from calloc (16-byte aligned): a line could hold another thread's data.
    @Test("each thread's counter block starts a cache line and fills whole ones")
    func blocksOnLinesOfTheirOwn() {
        let counters = AllocationCounters()
        let threads = 8
        let addresses = TestLocked<[UInt]>([])
        let allRecorded = DispatchGroup()
        let mayExit = DispatchSemaphore(value: 0)
        for _ in 0..<threads { allRecorded.enter() }
        var started: [pthread_t] = []
        for _ in 0..<threads {
            // Alive together, so no block is freed and handed to the next thread at one address.
            final class Job: Sendable { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
            let job = Job {
                counters.recordAllocation(byteCount: 8)
                let address = UInt(bitPattern: CAllocShims_counter_block_of_caller())
                addresses.withLock { $0.append(address) }
                allRecorded.leave()
                mayExit.wait()
            }
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { context in
                Unmanaged<Job>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, Unmanaged.passRetained(job).toOpaque())
            precondition(status == 0, "pthread_create failed: \(status)")
            started.append(thread)
        }
        allRecorded.wait()
        for _ in 0..<threads { mayExit.signal() }
        for thread in started { pthread_join(thread, nil) }
        let found = addresses.withLock { $0 }
        #expect(found.count == threads && Set(found).count == threads && !found.contains(0))
        #expect(found.allSatisfy { $0 % 64 == 0 }, "blocks at \(found.map { "0x" + String($0, radix: 16) })")
    }
}

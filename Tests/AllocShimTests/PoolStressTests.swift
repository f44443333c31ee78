import AllocShim
import AllocShimTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pool under contention and hostile lifetimes, bounded to about a second each: many
/// threads cutting from one source, buffers released on threads other than their maker, and
/// buffers released by thread-exit destructors. Promises checked: live buffers never share a
/// byte, each keeps what was written to it, and the accounting returns to zero.
@Suite("Pool under contention and hostile lifetimes")
struct PoolStressTests {
    static let threads = 4

    @Test("contended cuts from many threads never overlap and keep their bytes", arguments: [false, true])
    func contendedCuts(recordingBacked: Bool) throws {
        let source = recordingBacked ? try BufferSource(allocator: RecordingAllocator(), slabSize: 4096) : try BufferSource.backend(.system)
        let start = source.pool.accounting
        let failures = Atomic<Int>(0)
        let collected = TestLocked<[[(Int, Int, UInt8)]]>([])
        runThreads(Self.threads) { worker in
            var kept: [SharedBytes] = []
            var ranges: [(Int, Int, UInt8)] = []
            for round in 0..<3000 {
                let size = 1 + (round * 37 + worker * 11) % 1500
                guard let buffer = try? SharedBytes.allocUnsafe(size, using: source) else {
                    failures.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                let tag = UInt8(truncatingIfNeeded: worker &* 61 &+ round)
                try? buffer.fill(.byte(tag))
                if round % 10 == 0 {
                    kept.append(buffer)
                    let start = buffer.withUnsafeBytes { Int(bitPattern: $0.baseAddress) }
                    ranges.append((start, start + size, tag))
                }
            }
            for (buffer, range) in zip(kept, ranges) where !buffer.allSatisfy({ $0 == range.2 }) {
                failures.wrappingAdd(1, ordering: .relaxed)
            }
            collected.withLock { $0.append(ranges) }
            withExtendedLifetime(kept) {}
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        // Kept buffers lived until their thread's check; ranges of one thread never overlap.
        for ranges in collected.withLock({ $0 }) {
            let sorted = ranges.sorted { $0.0 < $1.0 }
            for (left, right) in zip(sorted, sorted.dropFirst()) { #expect(left.1 <= right.0) }
        }
        let end = source.pool.accounting
        if recordingBacked {
            #expect(end.referencedBytes == start.referencedBytes, "every slice released")
            #expect(end.pooledAllocations - start.pooledAllocations == Self.threads * 3000)
        } else {  // the shared system pool: other tests may use it meanwhile
            #expect(end.pooledAllocations - start.pooledAllocations >= Self.threads * 3000)
        }
    }

    @Test("buffers made on one thread and released on another balance the counters")
    func crossThreadRelease() throws {
        let allocator = RecordingAllocator()
        let source = try BufferSource(allocator: allocator, slabSize: 8192)
        let handoff = TestLocked<[Parcel]>([])
        let produced = Atomic<Int>(0)
        let released = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let consumer = Thread {
            while true {
                let batch = handoff.withLock { queue -> [Parcel] in
                    defer { queue.removeAll() }
                    return queue
                }
                released.wrappingAdd(batch.count, ordering: .relaxed)
                if batch.isEmpty && done.load(ordering: .acquiring) { break }
            }
        }
        consumer.start()
        runThreads(2) { worker in
            for round in 0..<5000 {
                let size = [16, 100, 1000, 3000, 9000][round % 5]
                guard var bytes = try? OwnedBytes(uninitializedCount: size, using: source) else { continue }
                _ = bytes.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: UInt8(worker)) }
                let parcel = Parcel(bytes)
                handoff.withLock { $0.append(parcel) }
                produced.wrappingAdd(1, ordering: .relaxed)
            }
        }
        done.store(true, ordering: .releasing)
        while !consumer.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        #expect(released.load(ordering: .relaxed) == produced.load(ordering: .relaxed))
        source.pool.releaseIdleSlab()
        #expect(source.pool.accounting.referencedBytes == 0)
        #expect(source.pool.accounting.liveSlabs == 0)
        #expect(allocator.allocations.load(ordering: .relaxed) == allocator.deallocations.load(ordering: .relaxed))
    }

    @Test("buffers released by thread-exit destructors are counted and freed into their maker")
    func threadExitRelease() throws {
        let allocator = RecordingAllocator()
        let source = try BufferSource(allocator: allocator, slabSize: 4096)
        for _ in 0..<8 {
            let thread = Thread {
                // A pthread key destructor runs after the thread's own code, late in its exit.
                let holder = ExitHolder(bytes: try? OwnedBytes(uninitializedCount: 100, using: source))
                ExitHolder.install(holder)
                let unpooled = ExitHolder(bytes: try? OwnedBytes(uninitializedUnpooledCount: 5000, using: source))
                ExitHolder.install(unpooled)
            }
            thread.start()
            while !thread.isFinished { Thread.sleep(forTimeInterval: 0.002) }
        }
        Thread.sleep(forTimeInterval: 0.05)  // isFinished is set before the key destructors run
        source.pool.releaseIdleSlab()
        #expect(source.pool.accounting.referencedBytes == 0)
        #expect(allocator.allocations.load(ordering: .relaxed) == allocator.deallocations.load(ordering: .relaxed))
    }
}

/// Keeps a buffer until its thread exits, released from a pthread key destructor.
final class ExitHolder {
    var bytes: OwnedBytes?
    init(bytes: consuming OwnedBytes?) { self.bytes = bytes }

    private static let keys = TestLocked<[pthread_key_t]>([])

    /// Hands `holder` to a fresh key of this thread (one key per holder, so several can wait).
    static func install(_ holder: ExitHolder) {
        var fresh = pthread_key_t()
        pthread_key_create(&fresh) { pointer in
            guard let pointer else { return }
            Unmanaged<ExitHolder>.fromOpaque(pointer).release()
        }
        keys.withLock { $0.append(fresh) }
        pthread_setspecific(fresh, Unmanaged.passRetained(holder).toOpaque())
    }
}

/// One buffer in transit between threads (an array cannot hold noncopyable values).
final class Parcel: Sendable {
    let bytes: OwnedBytes
    init(_ bytes: consuming OwnedBytes) { self.bytes = bytes }
}

/// Runs `body` on `count` threads at once and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { index in Thread { body(index) } }
    for thread in threads { thread.start() }
    while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.002) }
}

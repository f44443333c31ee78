#if NIO
@_spi(Testing) import AllocShim
import AllocShimNIO
import NIOCore
import Testing

/// Out of memory under SwiftNIO. `ByteBufferAllocator`'s allocate and reallocate callbacks
/// cannot report an error (NIO force-unwraps what they return), so AllocShimNIO cannot turn a
/// failed allocation into a typed error: it stops the process with a message naming the
/// backend and size (NIORouteTable.allocate / reallocate). These tests pin that down, in a
/// child process, and check that injection on one thread leaves NIO allocation elsewhere alone.
@Suite("SwiftNIO allocator out of memory")
struct NIOFailureInjectionTests {
    @Test("a failed NIO allocation stops the process with a message naming backend and size")
    func allocationFailureIsReported() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let allocator = try ByteBufferAllocator.allocShim(SystemAllocator.shared)
            _ = AllocationFailureInjection.run(.failingAll(after: 0)) { allocator.buffer(capacity: 100) }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("backend 'system' could not allocate") && message.contains("out of memory"), "stderr: \(message)")
    }

    @Test("a failed NIO growth stops the process with a message naming backend and size")
    func growthFailureIsReported() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let allocator = try ByteBufferAllocator.allocShim(SystemAllocator.shared)
            var buffer = allocator.buffer(capacity: 16)
            _ = AllocationFailureInjection.run(.failingAll(after: 0)) { buffer.writeRepeatingByte(1, count: 5000) }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("backend 'system' could not grow a block"), "stderr: \(message)")
    }

    @Test("injection armed on this thread does not reach an allocator used on another thread")
    func otherThreadsUnaffected() throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()
        let allocator = try ByteBufferAllocator.allocShim(arena)
        let outcome = AllocationFailureInjection.run(.failingAll(after: 0)) {
            let done = Shared<Bool?>(nil)
            let thread = Thread {
                // The buffer is gone before `done` is set.
                let written: Bool = {
                    var buffer = allocator.buffer(capacity: 64)
                    buffer.writeRepeatingByte(7, count: 4096)
                    return buffer.readableBytes == 4096
                }()
                done.value = written
            }
            thread.start()
            while done.value == nil { usleep(1000) }
            return done.value
        }
        #expect(outcome.injectedFailures == 0)
        #expect(try outcome.result.get() == true)
        let statistics = arena.statistics()
        #expect(statistics.allocations == statistics.deallocations && statistics.liveBytes == 0)
    }
}

import Foundation
import Synchronization

/// A value shared with another thread.
private final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
#endif

#if NIO
// The route table under contention without jemalloc, so that ThreadSanitizer (whose builds
// cannot link jemalloc) sees the slot locks, the header retain/release and cross-thread frees.
import AllocShim
@testable import AllocShimNIO
import CAllocShimsNIO
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SwiftNIO routes under contention")
struct NIORouteConcurrencyTests {
    @Test("registering, allocating, growing and freeing on other threads, from several threads at once", .timeLimit(.minutes(1)))
    func contendedRoutes() throws {
        let backend = SystemAllocator.shared
        let before = backend.statistics()
        let handOff = NIOLockedValueBox<[ByteBuffer]>([])  // buffers made on one thread, freed on another
        let failures = NIOLockedValueBox<[String]>([])
        let deadline = DispatchTime.now().uptimeNanoseconds + 500_000_000
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var round = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                round += 1
                do {
                    let allocator = try ByteBufferAllocator.allocShim(backend)  // the same slot every time
                    var buffer = allocator.buffer(capacity: 32 + round % 200)
                    buffer.writeRepeatingByte(UInt8(truncatingIfNeeded: worker), count: 600)  // grows: reallocate
                    if buffer.readableBytesView.contains(where: { $0 != UInt8(truncatingIfNeeded: worker) }) {
                        failures.withLockedValue { $0.append("worker \(worker): bytes changed") }
                    }
                    var copy = buffer  // copy-on-write allocates through the buffer's allocator
                    copy.setInteger(UInt8(0xFF), at: 0)
                    let released = handOff.withLockedValue { buffers -> [ByteBuffer] in
                        buffers.append(copy)
                        defer { if buffers.count > 8 { buffers.removeAll() } }
                        return buffers.count > 8 ? buffers : []
                    }
                    _ = released  // freed here, mostly not on the thread that made them
                } catch {
                    failures.withLockedValue { $0.append("worker \(worker): \(error)") }
                    return
                }
            }
        }
        handOff.withLockedValue { $0.removeAll() }
        #expect(failures.withLockedValue { $0 }.isEmpty, "\(failures.withLockedValue { $0.prefix(5) })")
        let after = backend.statistics()
        #expect(after.allocations > before.allocations, "no allocation went through the route")
    }

    /// The invariant that lets tenant routes be read without a lock: a writer that unpublished
    /// a route does not drop it while a read that may have loaded it is still open.
    @Test("a writer's grace period waits for every read window open when it starts", .timeLimit(.minutes(1)))
    func gracePeriodWaitsForOpenReads() {
        let reading = DispatchSemaphore(value: 0)
        let readEnded = NIOLockedValueBox(false)
        let reader = DispatchQueue(label: "reader")
        reader.async {
            let window = CAllocShimsNIO_read_begin()
            reading.signal()
            usleep(100_000)  // long enough that a writer not waiting would finish first
            readEnded.withLockedValue { $0 = true }
            CAllocShimsNIO_read_end(window)
        }
        reading.wait()
        CAllocShimsNIO_wait_for_readers()
        #expect(readEnded.withLockedValue { $0 }, "the grace period ended while a read was still open")
        // With no read open, it returns at once (and reads opened later do not hold it up).
        CAllocShimsNIO_wait_for_readers()
        reader.sync {}
    }

    @Test("one route shared by several event loops over loopback", .timeLimit(.minutes(1)))
    func eventLoopsShareARoute() async throws {
        let allocator = try ByteBufferAllocator.allocShim(SystemAllocator.shared)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)

        final class Counter: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            let expected: Int
            let value: UInt8
            let received = NIOLockedValueBox(0)
            let wrong = NIOLockedValueBox(false)
            let done: EventLoopPromise<Void>
            init(expected: Int, value: UInt8, done: EventLoopPromise<Void>) { (self.expected, self.value, self.done) = (expected, value, done) }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let buffer = unwrapInboundIn(data)
                if buffer.readableBytesView.contains(where: { $0 != value }) { wrong.withLockedValue { $0 = true } }
                if received.withLockedValue({ $0 += buffer.readableBytes; return $0 }) >= expected { done.succeed(()) }
            }
        }

        let server = try await ServerBootstrap(group: group)
            .allocShimAllocator(allocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CopyingEcho()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let total = 64 * 1024
        var clients: [(Channel, Counter)] = []
        for client in 0..<4 {
            let loop = group.next()
            let counter = Counter(expected: total, value: UInt8(client), done: loop.makePromise())
            let channel = try await ClientBootstrap(group: loop)
                .allocShimAllocator(allocator)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) }
                }
                .connect(to: server.localAddress!).get()
            clients.append((channel, counter))
        }
        for (index, (channel, _)) in clients.enumerated() {
            for _ in 0..<16 { channel.write(ByteBuffer(repeating: UInt8(index), count: total / 16), promise: nil) }
            channel.flush()
        }
        for (_, counter) in clients { try await counter.done.futureResult.get() }
        #expect(clients.allSatisfy { !$0.1.wrong.withLockedValue { $0 } }, "a client received another client's bytes")
        for (channel, _) in clients { try await channel.close() }
        try await server.close()
        try await group.shutdownGracefully()
    }
}
#endif

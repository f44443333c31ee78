#if NIO
@testable import AllocShim
import AllocShimNIO
import AllocShimTestSupport
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

/// Echoes every inbound buffer back, copied into a buffer from the channel's allocator
/// (shared by the NIO test suites). Stateless, hence Sendable.
final class CopyingEcho: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var inbound = unwrapInboundIn(data)
        var copy = context.channel.allocator.buffer(capacity: inbound.readableBytes)
        copy.writeBuffer(&inbound)
        context.writeAndFlush(wrapOutboundOut(copy), promise: nil)
    }
}

@Suite("SwiftNIO allocator")
struct NIOAllocatorTests {
    @Test("bytes go through an EmbeddedChannel on every backend's allocator", arguments: BackendRegistry.availableBackends)
    func embeddedRoundTrip(_ name: BackendName) throws {
        let backend = try BackendRegistry.allocator(name)
        let before = backend.statistics().allocations
        let channel = EmbeddedChannel(handler: CopyingEcho())
        channel.allocator = try .allocShim(backend)
        var payload = channel.allocator.buffer(capacity: 16)
        let message = Array("routed through \(name.rawValue), grown past its first capacity".utf8)
        payload.writeBytes(message)  // grows the buffer: reallocate goes through the route too
        try channel.writeInbound(payload)
        let echoed = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(echoed.getBytes(at: echoed.readerIndex, length: echoed.readableBytes) == message)
        #expect(backend.statistics().allocations > before, "no allocation reached \(name)")
        _ = try channel.finish()
    }

    @Test("a dedicated arena gets every NIO block back: live bytes return to zero")
    func freesIntoItsOwnArena() throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()
        let allocator = try ByteBufferAllocator.allocShim(arena)
        do {
            var buffers: [ByteBuffer] = []
            for size in [1, 100, 4096, 70_000] {
                var buffer = allocator.buffer(capacity: size)
                buffer.writeRepeatingByte(0x5A, count: size * 2)  // forces reallocation
                buffers.append(buffer)
            }
            let live = arena.statistics()
            #expect(live.allocations == 4 && live.liveBytes > 0)
            #expect(buffers.allSatisfy { $0.readableBytesView.allSatisfy { $0 == 0x5A } })
        }
        let after = arena.statistics()
        #expect(after.allocations == after.deallocations)
        #expect(after.liveBytes == 0)
    }

    @Test("two routes at once: each buffer frees into the allocator that made it")
    func routesDoNotMix() throws {
        guard JemallocControl.isAvailable else { return }
        let first = try JemallocArena()
        let second = try JemallocArena()
        let firstAllocator = try ByteBufferAllocator.allocShim(first)
        let secondAllocator = try ByteBufferAllocator.allocShim(second)
        do {
            let a = (0..<10).map { _ in firstAllocator.buffer(capacity: 256) }
            let b = (0..<7).map { _ in secondAllocator.buffer(capacity: 256) }
            #expect(first.statistics().allocations == 10 && second.statistics().allocations == 7)
            withExtendedLifetime((a, b)) {}
        }
        #expect(first.statistics().deallocations == 10 && second.statistics().deallocations == 7)
        #expect(first.statistics().liveBytes == 0 && second.statistics().liveBytes == 0)
    }

    @Test("zero-fill mode zeroes new NIO blocks and grown tails")
    func zeroFill() throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()
        let allocator = try ByteBufferAllocator.allocShim(arena)
        // Leave a secret in the arena, then allocate the same size again with zero fill on.
        do {
            var secret = allocator.buffer(capacity: 512)
            secret.writeRepeatingByte(0xEE, count: 512)
        }
        let allZero = try ProcessSettingsLock.exclusive {
            BufferConfiguration.setZeroFill(true)
            defer { BufferConfiguration.setZeroFill(false) }
            var fresh = allocator.buffer(capacity: 512)
            return fresh.withVeryUnsafeMutableBytes { bytes in bytes.prefix(512).allSatisfy { $0 == 0 } }
        }
        #expect(allZero)
    }

    @Test("a real loopback connection reads and writes through the backend", .timeLimit(.minutes(1)))
    func loopback() async throws {
        guard JemallocControl.isAvailable else { return }
        let arena = try JemallocArena()
        let allocator = try ByteBufferAllocator.allocShim(arena)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .allocShimAllocator(allocator)
            .childChannelInitializer { $0.pipeline.addHandler(CopyingEcho()) }
            .bind(host: "127.0.0.1", port: 0).get()
        let received = group.next().makePromise(of: [UInt8].self)
        final class Collector: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            var bytes: [UInt8] = []
            let expected: Int
            let done: EventLoopPromise<[UInt8]>
            init(expected: Int, done: EventLoopPromise<[UInt8]>) { (self.expected, self.done) = (expected, done) }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var buffer = unwrapInboundIn(data)
                bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
                if bytes.count >= expected { done.succeed(bytes) }
            }
        }
        let message = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(Collector(expected: message.count, done: received)) }
            .connect(to: server.localAddress!).get()
        try await client.writeAndFlush(ByteBuffer(bytes: message))
        #expect(try await received.futureResult.get() == message)
        #expect(arena.statistics().allocations > 0, "the server's reads and writes did not use the arena")
        try await client.close()
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test("an allocator still in use after its tenant's eviction neither crashes nor reaches the next tenant's arena")
    func useAfterEviction() throws {
        guard JemallocControl.isAvailable else { return }
        let tenants = try TenantArenas(maximumTenants: 1)
        weak var arena: JemallocArena?
        let stale = try tenants.byteBufferAllocator(for: "first")
        arena = try tenants.arena(for: "first")
        _ = try tenants.arena(for: "second")  // evicts "first" (maximum 1)
        #expect(arena == nil, "the evicted arena had no buffers and should be gone")
        _ = try tenants.byteBufferAllocator(for: "second")  // takes a slot of its own: "first"'s stays "first"'s
        var late = stale.buffer(capacity: 128)  // a request that was in flight during eviction
        #expect(late.withVeryUnsafeMutableBytes { $0.prefix(128).allSatisfy { $0 == 0 } }, "fallback blocks are zeroed")
        late.writeString("late but served")
        #expect(late.readString(length: late.readableBytes) == "late but served")
        let second = try tenants.arena(for: "second")
        #expect(second.statistics().allocations == 0, "the stale allocator drew from the next tenant's arena")
    }

    @Test("tenant allocators are isolated and an evicted tenant's arena goes with its last buffer")
    func tenants() throws {
        guard JemallocControl.isAvailable else { return }
        let tenants = try TenantArenas(maximumTenants: 4)
        // A tenant's NIO blocks keep its arena's memory (the arena's core), not the arena object.
        weak var evictedArena: JemallocArena?
        weak var evictedMemory: ArenaCore?
        var kept: ByteBuffer
        do {
            let allocator = try tenants.byteBufferAllocator(for: "acme")
            evictedArena = try tenants.arena(for: "acme")
            evictedMemory = evictedArena?.core
            kept = allocator.buffer(capacity: 300)
            kept.writeString("still readable after eviction")
        }
        tenants.evict("acme")
        #expect(evictedArena == nil, "a block retained the arena object (a shared write per block)")
        #expect(evictedMemory != nil, "destroyed while a buffer still lives in it")
        #expect(kept.readString(length: kept.readableBytes) == "still readable after eviction")
        kept = ByteBuffer()  // the last buffer of the evicted tenant
        #expect(evictedMemory == nil, "the evicted tenant's arena outlived its last buffer")
        // The other tenant's allocator is unaffected, and a returning tenant gets a new arena.
        var other = try tenants.byteBufferAllocator(for: "globex").buffer(capacity: 64)
        other.writeString("globex")
        #expect(other.readableBytes == 6)
        _ = try tenants.arena(for: "acme")
        #expect(Set(tenants.tenants) == ["acme", "globex"])
    }
}
#endif

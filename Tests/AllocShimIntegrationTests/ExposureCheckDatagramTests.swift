#if NIO
// Issue 21 item 6: in poison mode `ExposureCheckHandler` unwrapped every write as `IOData`, so a
// datagram pipeline's `AddressedEnvelope<ByteBuffer>` (or any other outbound type) stopped the
// process in `unwrapOutboundIn`, whose message also printed the buffer's bytes.
import AllocShim
import AllocShimNIO
import AllocShimTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@Suite("Exposure check handler on datagram and other outbound types")
struct ExposureCheckDatagramTests {
    /// A buffer from an AllocShim allocator whose writer index was moved over `unwritten` bytes
    /// never written since allocation (poison).
    private static func leakyBuffer(written: [UInt8], unwritten: Int) throws -> ByteBuffer {
        var buffer = try ByteBufferAllocator.allocShim(SystemAllocator.shared).buffer(capacity: written.count + unwritten)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: written.count + unwritten) { writable in
            _ = writable.initializeMemory(as: UInt8.self, from: written)
            return written.count + unwritten
        }
        return buffer
    }

    private static func withPoison<R>(_ body: () throws -> R) throws -> R {
        try ProcessSettingsLock.exclusive {
            PoisonMode.setEnabled(true)
            defer { PoisonMode.setEnabled(false) }
            return try body()
        }
    }

    @Test("an envelope's buffer is checked: its unwritten bytes are reported and, with closeChannel, never sent")
    func envelopesAreChecked() throws {
        try Self.withPoison {
            let findings = NIOLockedValueBox<[OutboundExposure]>([])
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(
                ExposureCheckHandler(action: .closeChannel) { found in findings.withLockedValue { $0.append(found) } })
            let head = Array("datagram".utf8)
            let envelope = AddressedEnvelope(
                remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 9), data: try Self.leakyBuffer(written: head, unwritten: 200))
            let write = channel.writeAndFlush(envelope)
            #expect(throws: ExposureCheckError.self) { try write.wait() }
            #expect(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) == nil, "the exposed datagram was sent")
            let found = findings.withLockedValue { $0 }
            #expect(found.count == 1)
            #expect(found.first?.exposures.isEmpty == false, "no run reported in the envelope's unwritten bytes")
            _ = try? channel.finish()
        }
    }

    @Test("a clean envelope and writes of other types pass through untouched")
    func otherWritesPassThrough() throws {
        struct Telemetry: Equatable { var sequence: Int }
        try Self.withPoison {
            let findings = NIOLockedValueBox<[OutboundExposure]>([])
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(
                ExposureCheckHandler(action: .closeChannel) { found in findings.withLockedValue { $0.append(found) } })
            var clean = ByteBufferAllocator().buffer(capacity: 16)
            clean.writeString("all written")
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
            try channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: clean)).wait()
            try channel.writeAndFlush(Telemetry(sequence: 7)).wait()
            #expect(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self)?.data == clean)
            #expect(try channel.readOutbound(as: Telemetry.self) == Telemetry(sequence: 7))
            #expect(findings.withLockedValue { $0 }.isEmpty)
            #expect(try channel.finish().isClean)
        }
    }
}
#endif

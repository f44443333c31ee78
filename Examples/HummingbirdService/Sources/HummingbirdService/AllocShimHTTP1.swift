// How a Hummingbird 2 application gets AllocShim's ByteBufferAllocator: Hummingbird builds its
// own ServerBootstrap, but every accepted connection passes through its ServerChildChannel's
// `setup`, where the allocator is set on the channel before the HTTP/1 pipeline is built.
import AllocShimNIO
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel, with the connection's allocator set first: every read
/// buffer of the connection then comes from AllocShim.
struct AllocShimChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let allocator: ByteBufferAllocator

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        channel.setOption(ChannelOptions.allocator, value: allocator).flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with every connection's buffers from `allocator`.
    static func http1(allocator: ByteBufferAllocator) -> HTTPServerBuilder {
        .init { responder in
            AllocShimChildChannel(base: HTTP1Channel(responder: responder), allocator: allocator)
        }
    }
}

#if Hummingbird
// AllocShimHummingbird: Hummingbird 2 on AllocShim. Built only with the package trait
// `Hummingbird` (which enables `NIO`); without it this module is empty and Hummingbird is not
// built. Hummingbird makes its own ServerBootstrap, so the allocator cannot be set there:
// every accepted connection passes through its child channel's `setup`, which is where the
// allocator is set, before the wrapped channel builds its pipeline.
import HummingbirdCore
import Logging
import NIOCore

/// A Hummingbird child channel whose connection buffers come from `allocator`: it sets the
/// connection's `ByteBufferAllocator` and then lets `base` set the connection up exactly as it
/// would have (its configuration is `base`'s own, untouched).
///
/// Every read buffer of the connection, and every buffer a handler makes with
/// `channel.allocator`, then comes from AllocShim. Wrap any `ServerChildChannel`:
/// `HTTP1Channel` (what ``HummingbirdCore/HTTPServerBuilder/http1(configuration:allocator:)``
/// does) or HummingbirdHTTP2's `HTTP2UpgradeChannel` (with
/// ``HummingbirdCore/HTTPServerBuilder/allocShim(allocator:childChannel:)``).
public struct AllocShimChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    /// The channel that builds the pipeline and handles the connection.
    public let base: Base
    /// The allocator every connection gets before `base` sets it up.
    public let allocator: ByteBufferAllocator

    /// Wraps `base` so that its connections use `allocator`.
    public init(base: Base, allocator: ByteBufferAllocator) {
        self.base = base
        self.allocator = allocator
    }

    /// Sets the connection's allocator, then `base`'s pipeline.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        channel.setOption(ChannelOptions.allocator, value: allocator).flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    /// `base`'s handling, unchanged.
    public func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
#endif

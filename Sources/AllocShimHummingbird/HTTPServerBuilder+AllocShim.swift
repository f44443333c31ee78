#if Hummingbird
// `Application(server:)` takes an HTTPServerBuilder; these build Hummingbird's own child
// channels with the caller's configuration and only add the allocator.
import HummingbirdCore
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 as `HTTPServerBuilder.http1(configuration:)` builds it — the same
    /// `HTTP1Channel` with `configuration` passed through whole (idle timeout, decoder limits,
    /// additional channel handlers) — with every connection's buffers from `allocator`.
    ///
    /// ```swift
    /// let app = Application(
    ///     router: router,
    ///     server: .http1(configuration: .init(idleTimeout: .seconds(30)),
    ///                    allocator: try .allocShimDefault()))
    /// ```
    public static func http1(
        configuration: HTTP1Channel.Configuration = .init(),
        allocator: ByteBufferAllocator
    ) -> HTTPServerBuilder {
        allocShim(allocator: allocator) { responder in
            HTTP1Channel(responder: responder, configuration: configuration)
        }
    }

    /// Any Hummingbird child channel, built by `childChannel` exactly as its own builder would,
    /// with every connection's buffers from `allocator`. For HTTP/2 (HummingbirdHTTP2):
    ///
    /// ```swift
    /// server: .allocShim(allocator: allocator) { responder in
    ///     try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: .init(), responder: responder)
    /// }
    /// ```
    ///
    /// NIO's HTTP/2 stream channels take their parent connection's allocator, so the streams'
    /// buffers come from `allocator` too.
    public static func allocShim<ChildChannel: ServerChildChannel>(
        allocator: ByteBufferAllocator,
        childChannel: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) throws -> ChildChannel
    ) -> HTTPServerBuilder {
        .init { responder in
            AllocShimChildChannel(base: try childChannel(responder), allocator: allocator)
        }
    }
}
#endif

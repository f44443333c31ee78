#if Hummingbird
import AllocShim
import Hummingbird
import NIOCore

/// A Hummingbird request context that carries the request's ``RequestBuffers``, so that
/// ``TenantBufferMiddleware`` can route a request to its tenant's arena and handlers make
/// buffers with `using: context.bufferSource` (AllocShim buffers) or
/// `context.byteBufferAllocator` (NIO buffers).
///
/// Add one stored property to your own context:
///
/// ```swift
/// struct AppContext: AllocShimRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var requestBuffers: RequestBuffers
///     init(source: ApplicationRequestContextSource) {
///         coreContext = .init(source: source)
///         requestBuffers = .init(connectionAllocator: source.channel.allocator)
///     }
/// }
/// ```
///
/// or use ``BasicAllocShimRequestContext``.
public protocol AllocShimRequestContext: RequestContext {
    /// Where this request's buffers come from (set by ``TenantBufferMiddleware``).
    var requestBuffers: RequestBuffers { get set }
}

extension AllocShimRequestContext {
    /// The request's AllocShim buffer source: its tenant's, or `nil` (the process default).
    public var bufferSource: BufferSource? { requestBuffers.bufferSource }

    /// The request's NIO allocator: its tenant's, or the connection's.
    public var byteBufferAllocator: ByteBufferAllocator { requestBuffers.byteBufferAllocator }
}

/// The smallest ``AllocShimRequestContext``: Hummingbird's `BasicRequestContext` plus the
/// request's buffers.
public struct BasicAllocShimRequestContext: AllocShimRequestContext {
    /// Hummingbird's per-request storage (logger, parameters, endpoint path).
    public var coreContext: CoreRequestContextStorage
    /// Where this request's buffers come from.
    public var requestBuffers: RequestBuffers

    /// A context for a request on `source.channel`: its buffers start as the connection's.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestBuffers = .init(connectionAllocator: source.channel.allocator)
    }
}
#endif

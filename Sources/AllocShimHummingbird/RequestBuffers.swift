#if Hummingbird
import AllocShim
import NIOCore

/// Where one request's buffers come from: the connection's allocator and the process default
/// buffer source until ``TenantBufferMiddleware`` routes the request to a tenant, then that
/// tenant's arena.
public struct RequestBuffers: Sendable {
    /// The tenant the request was routed to; `nil` before ``TenantBufferMiddleware`` ran (or
    /// when it lets requests without a tenant through).
    public private(set) var tenant: String?
    /// The source for AllocShim buffers (`using: bufferSource`): the tenant's, or `nil`, which
    /// every AllocShim initializer takes to mean the process default (`ALLOCSHIM_BACKEND`).
    public private(set) var bufferSource: BufferSource?
    /// The allocator for NIO `ByteBuffer`s (a response body, say): the tenant's, or the
    /// connection's own (AllocShim's when the server was built with
    /// `HTTPServerBuilder.http1(configuration:allocator:)`).
    public private(set) var byteBufferAllocator: ByteBufferAllocator

    /// A request's buffers before any tenant is known: the connection's allocator and the
    /// process default buffer source.
    public init(connectionAllocator: ByteBufferAllocator) {
        self.tenant = nil
        self.bufferSource = nil
        self.byteBufferAllocator = connectionAllocator
    }

    /// Routes the request to `tenant`'s buffers.
    mutating func route(to tenant: String, bufferSource: BufferSource, byteBufferAllocator: ByteBufferAllocator) {
        self.tenant = tenant
        self.bufferSource = bufferSource
        self.byteBufferAllocator = byteBufferAllocator
    }
}
#endif

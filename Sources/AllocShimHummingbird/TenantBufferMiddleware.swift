#if Hummingbird
import AllocShim
import AllocShimNIO
import Hummingbird
import NIOCore

/// Routes each request to its tenant's jemalloc arena: reads the tenant key from a
/// ``TenantHeader``, checks it, and sets the context's ``RequestBuffers`` to the tenant's
/// buffer source and NIO allocator from `arenas`. Handlers after it make buffers with
/// `using: context.bufferSource` or `context.byteBufferAllocator`, and they land in that
/// tenant's arena.
///
/// A missing header is refused (400) unless `requireTenant` is false, in which case the
/// request keeps the connection's buffers. A malformed or not-allowed key is refused (400),
/// and arenas that cannot be made answer 503: always a ``TenantRoutingError``, never a crash.
///
/// The connection's own read buffers (the request head and body as they arrive) come from the
/// connection's allocator: the tenant is known only once the head is parsed.
public struct TenantBufferMiddleware<Context: AllocShimRequestContext>: RouterMiddleware {
    /// The registry the tenants' arenas come from.
    public let arenas: TenantArenas
    /// The header naming the tenant, and which keys it accepts.
    public let header: TenantHeader
    /// Whether a request without the header is refused (true) or served on the connection's
    /// buffers (false).
    public let requireTenant: Bool

    /// Routes requests to tenants of `arenas` named by `header`.
    public init(arenas: TenantArenas, header: TenantHeader = .standard, requireTenant: Bool = true) {
        self.arenas = arenas
        self.header = header
        self.requireTenant = requireTenant
    }

    /// Sets the request's buffers to its tenant's, then calls `next`.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        // Several values (repeated headers) are refused rather than one picked: a proxy and
        // the origin might pick differently.
        let values = request.headers[values: header.name]
        switch values.count {
        case 0:
            guard !requireTenant else { throw TenantRoutingError.missingTenant(header: header.name.canonicalName) }
            return try await next(request, context)
        case 1:
            let tenant = try header.tenant(from: values[0])
            try route(&context, to: tenant)
            return try await next(request, context)
        default:
            throw TenantRoutingError.repeatedHeader(header: header.name.canonicalName, count: values.count)
        }
    }

    private func route(_ context: inout Context, to tenant: String) throws(TenantRoutingError) {
        let source: BufferSource
        let allocator: ByteBufferAllocator
        do { source = try arenas.source(for: tenant) } catch {
            throw .unavailable(tenant: tenant, reason: error.description)
        }
        do { allocator = try arenas.byteBufferAllocator(for: tenant) } catch {
            throw .unavailable(tenant: tenant, reason: error.description)
        }
        context.requestBuffers.route(to: tenant, bufferSource: source, byteBufferAllocator: allocator)
    }
}
#endif

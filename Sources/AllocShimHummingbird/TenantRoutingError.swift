#if Hummingbird
import AllocShim
import HTTPTypes
import Hummingbird

/// Why ``TenantBufferMiddleware`` could not route a request to a tenant. Each case answers
/// the request itself (Hummingbird's `HTTPResponseError`): one plain-text line naming the bad
/// value and what is allowed, with status 400 for what the client sent and 503 when the
/// server cannot make tenant arenas.
public enum TenantRoutingError: Error, Equatable, Sendable, CustomStringConvertible, HTTPResponseError {
    /// The request has no tenant header, and the middleware requires one.
    case missingTenant(header: String)
    /// The header's value is not a well-formed tenant key (shown quoted, at most 80 characters).
    case invalidTenant(String, header: String, rule: String)
    /// The header appears more than once (`count` times).
    case repeatedHeader(header: String, count: Int)
    /// The key is well formed but not one of the allowed tenants.
    case unknownTenant(String, header: String)
    /// The tenant's arena or NIO allocator could not be had (jemalloc missing or refusing).
    case unavailable(tenant: String, reason: String)

    /// 400 Bad Request for what the client sent; 503 Service Unavailable when arenas fail.
    public var status: HTTPResponse.Status {
        switch self {
        case .missingTenant, .invalidTenant, .repeatedHeader, .unknownTenant: return .badRequest
        case .unavailable: return .serviceUnavailable
        }
    }

    /// One line: the bad value and what is allowed.
    public var description: String {
        switch self {
        case .missingTenant(let header):
            return "missing tenant: the request has no \(header) header"
        case .invalidTenant(let quoted, let header, let rule):
            return "invalid tenant \(quoted) in \(header): a tenant key is \(rule)"
        case .repeatedHeader(let header, let count):
            return "the \(header) header appears \(count) times: a request names one tenant, once"
        case .unknownTenant(let tenant, let header):
            return "unknown tenant '\(tenant)' in \(header): it is not one of the allowed tenants"
        case .unavailable(let tenant, let reason):
            return "tenant '\(tenant)' cannot be served: \(reason)"
        }
    }

    /// The status with the description as a plain-text body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: description + "\n")))
    }
}
#endif

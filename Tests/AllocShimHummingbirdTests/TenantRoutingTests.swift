#if Hummingbird
import AllocShim
import AllocShimHummingbird
import AllocShimNIO
import Hummingbird
import HummingbirdCore
import NIOCore
import Testing

/// TenantBufferMiddleware: each request's buffers land in its own tenant's arena, and a bad
/// tenant header is answered 400 with the bad value named, never a crash.
@Suite("Hummingbird tenant buffers")
struct TenantRoutingTests {
    static let bufferBytes = 64 << 10

    /// `/buffers` makes one AllocShim buffer and one NIO buffer with the request's buffers and
    /// keeps both until it answers; `/whoami` names the tenant.
    static func router(arenas: TenantArenas, header: TenantHeader = .standard, requireTenant: Bool = true)
        -> Router<BasicAllocShimRequestContext>
    {
        let router = Router(context: BasicAllocShimRequestContext.self)
        router.add(middleware: TenantBufferMiddleware(arenas: arenas, header: header, requireTenant: requireTenant))
        router.get("buffers") { _, context -> String in
            let shared = try SharedBytes.alloc(bufferBytes, using: context.bufferSource)
            var nio = context.byteBufferAllocator.buffer(capacity: bufferBytes)
            nio.writeRepeatingByte(1, count: bufferBytes)
            return "\(context.requestBuffers.tenant ?? "none") \(shared.count + nio.readableBytes)\n"
        }
        return router
    }

    static func get(_ port: Int, _ path: String, headers: [String] = []) async throws -> String {
        let lines = ["GET \(path) HTTP/1.1", "Host: x", "Connection: close"] + headers
        return try await LiveServer.exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    static func allocations(of tenant: String, in arenas: TenantArenas) -> Int {
        arenas.snapshot().first { $0.tenant == tenant }?.statistics.allocations ?? 0
    }

    @Test("two tenants' buffers land in their own arenas")
    func buffersLandInTheTenantsArena() async throws {
        guard JemallocControl.isAvailable else { return }
        let arenas = try TenantArenas(maximumTenants: 4)
        // Both arenas exist before any request, so each request can only add to its own.
        _ = try arenas.source(for: "alpha")
        _ = try arenas.source(for: "beta")
        try await LiveServer.with(router: Self.router(arenas: arenas), server: .http1(allocator: try .allocShimDefault())) {
            port in
            let alphaBefore = Self.allocations(of: "alpha", in: arenas)
            let betaBefore = Self.allocations(of: "beta", in: arenas)
            for _ in 0..<3 {
                let answer = try await Self.get(port, "/buffers", headers: ["AllocShim-Tenant: alpha"])
                #expect(LiveServer.body(of: answer) == "alpha \(2 * Self.bufferBytes)\n")
            }
            let alphaAfterAlpha = Self.allocations(of: "alpha", in: arenas)
            #expect(alphaAfterAlpha - alphaBefore >= 6, "3 requests × 2 buffers in alpha's arena")
            #expect(Self.allocations(of: "beta", in: arenas) == betaBefore, "alpha's requests reached beta's arena")

            let answer = try await Self.get(port, "/buffers", headers: ["AllocShim-Tenant: beta"])
            #expect(LiveServer.body(of: answer) == "beta \(2 * Self.bufferBytes)\n")
            #expect(Self.allocations(of: "beta", in: arenas) - betaBefore >= 2)
            #expect(Self.allocations(of: "alpha", in: arenas) == alphaAfterAlpha, "beta's request reached alpha's arena")
        }
    }

    @Test(
        "a bad tenant header is answered 400 naming the value",
        arguments: [
            ("", "missing tenant"),
            ("AllocShim-Tenant: ../etc", "invalid tenant '../etc'"),
            ("AllocShim-Tenant: \(String(repeating: "x", count: 65))", "1 to 64 characters"),
            ("AllocShim-Tenant: a b", "invalid tenant 'a b'"),
            ("AllocShim-Tenant: gamma", "unknown tenant 'gamma'"),
            ("AllocShim-Tenant: alpha\r\nAllocShim-Tenant: beta", "appears 2 times"),
        ])
    func badTenantIsRefused(header: String, message: String) async throws {
        guard JemallocControl.isAvailable else { return }
        let arenas = try TenantArenas(maximumTenants: 4)
        let allowed = try TenantHeader(allowedTenants: ["alpha", "beta"])
        try await LiveServer.with(
            router: Self.router(arenas: arenas, header: allowed), server: .http1(allocator: try .allocShimDefault())
        ) { port in
            let answer = try await Self.get(port, "/buffers", headers: header.isEmpty ? [] : [header])
            #expect(LiveServer.status(of: answer) == 400)
            #expect(LiveServer.body(of: answer).contains(message), "\(answer)")
            // The server is still there, and refused tenants made no arena.
            let good = try await Self.get(port, "/buffers", headers: ["AllocShim-Tenant: alpha"])
            #expect(LiveServer.status(of: good) == 200)
            #expect(Set(arenas.tenants) == ["alpha"])
        }
    }

    @Test("without requireTenant, a request with no header keeps the connection's buffers")
    func optionalTenant() async throws {
        guard JemallocControl.isAvailable else { return }
        let arenas = try TenantArenas(maximumTenants: 4)
        try await LiveServer.with(
            router: Self.router(arenas: arenas, requireTenant: false), server: .http1(allocator: try .allocShimDefault())
        ) { port in
            let answer = try await Self.get(port, "/buffers")
            #expect(LiveServer.body(of: answer) == "none \(2 * Self.bufferBytes)\n")
            #expect(arenas.tenantCount == 0)
        }
    }

    @Test("a tenant header that cannot be made is refused with the bad value", arguments: [0, 65])
    func badMaximumLength(length: Int) {
        #expect(throws: TenantHeaderError.invalidMaximumLength(length, allowed: 1...64)) {
            try TenantHeader(maximumLength: length)
        }
        #expect(throws: TenantHeaderError.self) { try TenantHeader(allowedTenants: ["ok", "not ok"]) }
    }
}
#endif

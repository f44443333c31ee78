#if Hummingbird
import AllocShim
import AllocShimHummingbird
import AllocShimNIO
import Hummingbird
import HummingbirdCore
import NIOCore
import Testing

/// `HTTPServerBuilder.http1(configuration:allocator:)` must keep every setting of the caller's
/// `HTTP1Channel.Configuration` and only add the allocator.
@Suite("Hummingbird channel wiring")
struct ChannelConfigurationTests {
    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("hello") { _, _ in "hello\n" }
        return router
    }

    @Test("a header over the caller's maxHeaderFieldSize is refused; one under it is served")
    func decoderLimitsApply() async throws {
        var configuration = HTTP1Channel.Configuration()
        configuration.httpDecoder = .init(maxHeaderFieldSize: 256, maxHeaderListSize: 1024, maxHeaderFieldCount: 20)
        let server = HTTPServerBuilder.http1(configuration: configuration, allocator: try .allocShimDefault())
        try await LiveServer.with(router: Self.router(), server: server) { port in
            let small = String(repeating: "a", count: 100)
            let large = String(repeating: "a", count: 1000)  // under Hummingbird's default 80 KiB
            let served = try await LiveServer.exchange(
                port: port, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: \(small)\r\nConnection: close\r\n\r\n")
            #expect(LiveServer.status(of: served) == 200)
            let refused = try await LiveServer.exchange(
                port: port, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: \(large)\r\nConnection: close\r\n\r\n")
            #expect(LiveServer.status(of: refused) != 200, "the 256-byte header limit was dropped: \(refused.prefix(40))")
        }
    }

    @Test("the caller's idle timeout closes a silent connection")
    func idleTimeoutApplies() async throws {
        let server = HTTPServerBuilder.http1(
            configuration: .init(idleTimeout: .milliseconds(200)), allocator: try .allocShimDefault())
        try await LiveServer.with(router: Self.router(), server: server) { port in
            let clock = ContinuousClock()
            let start = clock.now
            // Sends nothing: only the idle timeout can close the connection (without it, the
            // exchange times out after 10 s and throws).
            let received = try await LiveServer.exchange(port: port, "", seconds: 10)
            #expect(received.isEmpty)
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test("every connection's read buffers come from the given allocator")
    func connectionsUseTheAllocator() async throws {
        // An arena of its own: no other test's allocations can move its counter.
        let backend = try JemallocArena()
        let server = HTTPServerBuilder.http1(allocator: try .allocShim(backend))
        try await LiveServer.with(router: Self.router(), server: server) { port in
            let before = backend.statistics().allocations
            for _ in 0..<5 {
                let answer = try await LiveServer.exchange(port: port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(LiveServer.body(of: answer) == "hello\n")
            }
            #expect(backend.statistics().allocations - before >= 5)
        }
    }
}
#endif

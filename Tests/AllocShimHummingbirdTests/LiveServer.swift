#if Hummingbird
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A Hummingbird application served on a loopback port for the length of `body`, and a raw
/// HTTP/1.1 client: the tests go through the real builder, pipeline and error mapping, the
/// way a service would.
enum LiveServer {
    struct Timeout: Error, CustomStringConvertible {
        let seconds: Int
        var description: String { "no answer within \(seconds) s" }
    }

    static func with<Context: RequestContext>(
        router: Router<Context>,
        server: HTTPServerBuilder,
        _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "AllocShimHummingbirdTests")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            defer { group.cancelAll() }
            try await body(port)
        }
    }

    /// Sends `request` as is and returns everything the server sends until it closes the
    /// connection (send `Connection: close`), or throws ``Timeout`` after `seconds`.
    static func exchange(port: Int, _ request: String, seconds: Int = 10) async throws -> String {
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                return try await client.executeThenClose { inbound, outbound in
                    if !request.isEmpty { try await outbound.write(ByteBuffer(string: request)) }
                    var received = ""
                    do {
                        for try await chunk in inbound { received += String(buffer: chunk) }
                    } catch {
                        // A reset after a refused request: what arrived before it is the answer.
                    }
                    return received
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw Timeout(seconds: seconds)
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// The status line's code of a raw HTTP response (0 when there is none).
    static func status(of response: String) -> Int {
        guard response.hasPrefix("HTTP/1.1 ") else { return 0 }
        return Int(response.dropFirst(9).prefix(3)) ?? 0
    }

    /// The body of a raw HTTP response (after the blank line).
    static func body(of response: String) -> String {
        guard let range = response.firstRange(of: "\r\n\r\n") else { return "" }
        return String(response[range.upperBound...])
    }
}
#endif

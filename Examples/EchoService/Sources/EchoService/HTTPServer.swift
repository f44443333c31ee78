// The HTTP server as a swift-service-lifecycle Service: binds with NIO's async bootstrap,
// serves until graceful shutdown, then stops accepting, lets requests in flight finish
// (bounded by SHUTDOWN_GRACE) and closes idle keep-alive connections.
import AllocShimNIO
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Sent down each connection's pipeline when the service shuts down: `EchoHandler` closes
/// the connection now if it is idle, or after answering the request in progress.
struct ShutdownRequested: Sendable {}

struct HTTPServer: Service {
    let host: String
    let port: Int
    let allocator: ByteBufferAllocator
    let context: ServiceContext
    /// How long requests in flight may take to finish once shutdown begins.
    let shutdownGrace: TimeAmount
    let logger: Logger

    func run() async throws {
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let server: NIOAsyncChannel<any Channel, Never>
        do {
            server = try await ServerBootstrap(group: .singletonMultiThreadedEventLoopGroup)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .allocShimAllocator(allocator)
                .bind(host: host, port: port) { [context] channel in
                    // Runs on the channel's event loop: the handler is built there and never leaves it.
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(EchoHandler(context: context))
                        connections.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                        channel.closeFuture.whenComplete { _ in
                            _ = connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
                        }
                        return channel
                    }
                }
        } catch {
            throw ServerError(message: "cannot listen on \(host):\(port): \(error)")
        }
        logger.info("listening", metadata: ["address": "\(server.channel.localAddress.map { "\($0)" } ?? "?")"])

        // Each connection is served by its pipeline (EchoHandler); the accept loop only ends
        // when the listening socket is closed, which graceful shutdown does.
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { inbound in
                for try await _ in inbound {}
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }

        let open = connections.withLockedValue { Array($0.values) }
        logger.info("shutting down", metadata: ["open connections": "\(open.count)"])
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        }
        // Requests in flight finish within the grace period; anything left then is closed.
        let deadline = NIODeadline.now() + shutdownGrace
        while !connections.withLockedValue({ $0.isEmpty }), NIODeadline.now() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for connection in connections.withLockedValue({ Array($0.values) }) {
            try? await connection.close()
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

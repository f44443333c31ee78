// EchoService request handling: one EchoHandler per connection, behind NIO's HTTP/1.1 server
// pipeline. It bounds request bodies (MAX_BODY → 413, answered as soon as the size is known),
// copies /echo bodies into AllocShim buffers — from the tenant's jemalloc arena when the request
// names one with `X-Tenant` — and serves /metrics and /healthz. Start-up is in main.swift.
import AllocShim
import AllocShimNIO
import NIOCore
import NIOHTTP1
import Prometheus

/// What every connection shares: where buffers come from and what /metrics emits.
struct ServiceContext: Sendable {
    let defaultSource: BufferSource
    let tenants: TenantArenas?  // nil when jemalloc is not linked
    let registry: PrometheusCollectorRegistry
    let maximumBodyBytes: Int
}

/// One HTTP/1.1 connection: collects a request body (bounded), then answers
///   POST /echo     the body in ASCII upper case, copied through an AllocShim buffer (from the
///                  tenant's arena when `X-Tenant` is set and jemalloc is linked)
///   GET  /metrics  Prometheus text
///   GET  /healthz  "ok"
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Longest accepted `X-Tenant` value; each distinct name holds a jemalloc arena.
    static let maximumTenantNameBytes = 128
    /// How long a rejected (413) request may keep sending before the connection is closed.
    static let rejectedRequestGrace: TimeAmount = .seconds(5)

    private let context: ServiceContext
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Set once a request was answered 413 before its end: the rest of it is discarded, and the
    /// connection is closed at its end (or after the grace period), once the answer is written.
    private var rejection: EventLoopFuture<Void>?
    /// Set when the service shuts down: the request in progress is answered with
    /// `Connection: close`, and no further request is read.
    private var shuttingDown = false

    init(context: ServiceContext) { self.context = context }

    /// Graceful shutdown (`ShutdownRequested`, from HTTPServer): an idle connection is closed
    /// now; one with a request in progress is closed once that request is answered.
    func userInboundEventTriggered(context channelContext: ChannelHandlerContext, event: Any) {
        guard event is ShutdownRequested else {
            channelContext.fireUserInboundEventTriggered(event)
            return
        }
        shuttingDown = true
        if head == nil { channelContext.close(promise: nil) }
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            rejection = nil
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > context.maximumBodyBytes {
                reject(channelContext, head)  // before the body is sent: `Expect: 100-continue` clients then never send it
            } else if head.headers.first(name: "Expect")?.lowercased() == "100-continue" {
                channelContext.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body(var chunk):
            guard rejection == nil, let head else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > context.maximumBodyBytes {
                body = nil
                reject(channelContext, head)  // chunked or under-declared bodies: as soon as the limit is passed
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            if let rejection {
                rejection.whenComplete { [channel = channelContext.channel] _ in channel.close(promise: nil) }
                return
            }
            route(channelContext, head)
        }
    }

    /// Answers 413 now, before the request's end, with `Connection: close`. The connection is
    /// closed once the rest of the request has arrived (closing earlier could reset it before
    /// the client has read the answer), or after `rejectedRequestGrace` at the latest.
    private func reject(_ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let written = respond(
            channelContext, head, status: .payloadTooLarge,
            text: "request body too large: the limit is \(context.maximumBodyBytes) bytes (MAX_BODY)\n", closeWhenWritten: false)
        rejection = written
        let channel = channelContext.channel
        channel.eventLoop.scheduleTask(in: Self.rejectedRequestGrace) { channel.close(promise: nil) }
    }

    private func route(_ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead) {
        switch (head.method, head.uri) {
        case (.GET, "/healthz"):
            respond(channelContext, head, status: .ok, text: "ok\n")
        case (.GET, "/metrics"):
            var text: [UInt8] = []
            context.registry.emit(into: &text)
            var buffer = channelContext.channel.allocator.buffer(capacity: text.count)
            buffer.writeBytes(text)
            respond(channelContext, head, status: .ok, body: buffer, contentType: "text/plain; version=0.0.4")
        case (.POST, "/echo"):
            echo(channelContext, head)
        case (_, "/echo"), (_, "/metrics"), (_, "/healthz"):
            respond(channelContext, head, status: .methodNotAllowed, text: "method \(head.method) not allowed on \(head.uri)\n")
        default:
            respond(channelContext, head, status: .notFound, text: "no route \(head.uri); routes: POST /echo, GET /metrics, GET /healthz\n")
        }
    }

    private func echo(_ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let request = body ?? ByteBuffer()
        body = nil
        do {
            var source = context.defaultSource
            var allocator = channelContext.channel.allocator
            var served = "shared"
            // A tenant's bytes come from its own arena only when jemalloc is linked; without it
            // the header is ignored and the request takes the shared path like any other.
            if let tenant = head.headers.first(name: "X-Tenant"), !tenant.isEmpty, let tenants = context.tenants {
                guard tenant.utf8.count <= Self.maximumTenantNameBytes else {
                    respond(channelContext, head, status: .badRequest, text: "X-Tenant is longer than \(Self.maximumTenantNameBytes) bytes\n")
                    return
                }
                source = try tenants.source(for: tenant)
                allocator = try tenants.byteBufferAllocator(for: tenant)
                served = "tenant"
            }
            // Copy the request into an AllocShim buffer (a copy is always the default), transform it there.
            let transformed = try request.withUnsafeReadableBytes { try SharedBytes.from($0, using: source) }
            transformed.withUnsafeMutableBytes { bytes in
                for index in bytes.indices where bytes[index] >= 0x61 && bytes[index] <= 0x7A { bytes[index] -= 0x20 }
            }
            var response = allocator.buffer(capacity: transformed.count)
            _ = transformed.withUnsafeBytes { response.writeBytes($0) }
            respond(channelContext, head, status: .ok, body: response, contentType: "application/octet-stream", extraHeaders: [("X-Buffer-Source", served)])
        } catch {
            respond(channelContext, head, status: .serviceUnavailable, text: "allocation failed: \(error)\n")
        }
    }

    /// Writes a complete response. Unless `closeWhenWritten` is false, a response that does not
    /// keep the connection alive closes it once written.
    @discardableResult
    private func respond(
        _ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, text: String,
        closeWhenWritten: Bool = true
    ) -> EventLoopFuture<Void> {
        var buffer = channelContext.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        return respond(
            channelContext, head, status: status, body: buffer, contentType: "text/plain; charset=utf-8",
            keepAlive: closeWhenWritten ? nil : false, closeWhenWritten: closeWhenWritten)
    }

    @discardableResult
    private func respond(
        _ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, body: ByteBuffer,
        contentType: String, extraHeaders: [(String, String)] = [], keepAlive: Bool? = nil, closeWhenWritten: Bool = true
    ) -> EventLoopFuture<Void> {
        let keepAlive = (keepAlive ?? head.isKeepAlive) && !shuttingDown
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(contentsOf: extraHeaders)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        channelContext.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        channelContext.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = channelContext.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive && closeWhenWritten { done.whenComplete { [channel = channelContext.channel] _ in channel.close(promise: nil) } }
        return done
    }
}

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
///                  tenant's arena when `X-Tenant` is set)
///   GET  /metrics  Prometheus text
///   GET  /healthz  "ok"
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let context: ServiceContext
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(context: ServiceContext) { self.context = context }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > context.maximumBodyBytes {
                tooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                respond(channelContext, head, status: .payloadTooLarge, text: "request body over \(context.maximumBodyBytes) bytes (MAX_BODY)\n", close: true)
                return
            }
            route(channelContext, head)
        }
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
            let tenant = head.headers.first(name: "X-Tenant")
            let source: BufferSource
            var allocator = channelContext.channel.allocator
            if let tenant, !tenant.isEmpty {
                guard let tenants = context.tenants else {
                    respond(channelContext, head, status: .badRequest, text: "X-Tenant needs jemalloc (tenant arenas are unavailable in this build)\n")
                    return
                }
                source = try tenants.source(for: tenant)
                allocator = try tenants.byteBufferAllocator(for: tenant)
            } else {
                source = context.defaultSource
            }
            // Copy the request into an AllocShim buffer (a copy is always the default), transform it there.
            var transformed = try request.withUnsafeReadableBytes { try SharedBytes.from($0, using: source) }
            transformed.withUnsafeMutableBytes { bytes in
                for index in bytes.indices where bytes[index] >= 0x61 && bytes[index] <= 0x7A { bytes[index] -= 0x20 }
            }
            var response = allocator.buffer(capacity: transformed.count)
            transformed.withUnsafeBytes { response.writeBytes($0) }
            respond(channelContext, head, status: .ok, body: response, contentType: "application/octet-stream")
        } catch {
            respond(channelContext, head, status: .serviceUnavailable, text: "allocation failed: \(error)\n")
        }
    }

    private func respond(_ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, text: String, close: Bool = false) {
        var buffer = channelContext.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        respond(channelContext, head, status: status, body: buffer, contentType: "text/plain; charset=utf-8", close: close)
    }

    private func respond(
        _ channelContext: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, body: ByteBuffer,
        contentType: String, close: Bool = false
    ) {
        let keepAlive = head.isKeepAlive && !close
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        channelContext.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        channelContext.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = channelContext.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { [channel = channelContext.channel] _ in channel.close(promise: nil) } }
    }
}

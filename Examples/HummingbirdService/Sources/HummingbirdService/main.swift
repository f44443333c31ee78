// HummingbirdService: a Hummingbird 2 application on AllocShim (AllocShimHummingbird).
//   POST /echo     the body in ASCII upper case
//   GET  /stats    allocation counters: the backend's, or the tenant's arena's
//   GET  /healthz  "ok"
// A request with an `AllocShim-Tenant: <key>` header is served from that tenant's jemalloc
// arena (its echo buffer, its /stats); without one, from the connection's allocator. A bad key
// is answered 400.
//
// PORT (default 8080) and ALLOCSHIM_BACKEND choose where it listens and which allocator serves
// the connections; MAX_BODY bounds request bodies (default 1 MiB), MAX_TENANTS the live tenant
// arenas (default 16), MAX_HEADER a header field (default 16 KiB) and IDLE_TIMEOUT_MS an idle
// connection (default 30000): the last two are Hummingbird's own HTTP/1 settings, passed
// through. Hummingbird's Application runs under a ServiceGroup: SIGINT/SIGTERM shut it down.
import AllocShim
import AllocShimHummingbird
import AllocShimNIO
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("HummingbirdService: \(message)\n".utf8))
    exit(2)
}

func integer(_ name: String, default value: Int, allowed: ClosedRange<Int>) -> Int {
    guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return value }
    guard let parsed = Int(text), allowed.contains(parsed) else {
        fail("\(name)='\(text)' is invalid: expected an integer in \(allowed.lowerBound)...\(allowed.upperBound)")
    }
    return parsed
}

let port = integer("PORT", default: 8080, allowed: 1...65535)
let maximumBodyBytes = integer("MAX_BODY", default: 1 << 20, allowed: 1...(1 << 30))
let maximumHeaderBytes = integer("MAX_HEADER", default: 16 << 10, allowed: 256...(1 << 20))
let idleTimeoutMilliseconds = integer("IDLE_TIMEOUT_MS", default: 30_000, allowed: 1...3_600_000)
let allocator: any Allocator
let nioAllocator: ByteBufferAllocator
let tenants: TenantArenas
do {
    allocator = try ProcessDefaultAllocator.allocator()
    nioAllocator = try ByteBufferAllocator.allocShim(allocator)
    tenants = try TenantArenas(
        maximumTenants: integer("MAX_TENANTS", default: 16, allowed: 1...TenantArenas.largestMaximumTenants))
} catch {
    fail("\(error)")
}

func statistics(_ figures: AllocatorStatistics) -> String {
    "backend \(figures.backend)\nallocations \(figures.allocations)\ndeallocations \(figures.deallocations)\nlive_bytes \(figures.liveBytes)\n"
}

let router = Router(context: BasicAllocShimRequestContext.self)
// Requests without the header keep the connection's allocator: /healthz needs no tenant.
router.add(middleware: TenantBufferMiddleware(arenas: tenants, requireTenant: false))
router.get("healthz") { _, _ in "ok\n" }
router.get("stats") { _, context in
    statistics(context.bufferSource?.allocator.statistics() ?? allocator.statistics())
}
router.post("echo") { request, context -> Response in
    // One copy: each body chunk (a connection read buffer) is written into one buffer from the
    // request's allocator — the tenant's arena when the request names one — and upper-cased
    // there; that buffer is the response body, written to the socket as is.
    let announced = request.headers[.contentLength].flatMap(Int.init) ?? 0
    var echoed = context.byteBufferAllocator.buffer(capacity: min(max(announced, 0), maximumBodyBytes))
    for try await chunk in request.body {
        guard echoed.readableBytes + chunk.readableBytes <= maximumBodyBytes else {
            throw HTTPError(.contentTooLarge, message: "the body is over MAX_BODY (\(maximumBodyBytes) bytes)")
        }
        echoed.writeImmutableBuffer(chunk)
    }
    echoed.withUnsafeMutableReadableBytes { buffer in
        for index in buffer.indices where buffer[index] >= 0x61 && buffer[index] <= 0x7A { buffer[index] -= 0x20 }
    }
    return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: echoed))
}

var logger = Logger(label: "HummingbirdService")
logger.logLevel = .info
let channelConfiguration = HTTP1Channel.Configuration(
    idleTimeout: .milliseconds(Int64(idleTimeoutMilliseconds)),
    httpDecoderConfiguration: .init(maxHeaderFieldSize: maximumHeaderBytes))
let app = Application(
    router: router,
    server: .http1(configuration: channelConfiguration, allocator: nioAllocator),
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: logger)
logger.info("serving", metadata: ["backend": "\(allocator.name)", "port": "\(port)"])
do {
    try await app.runService()
} catch {
    fail("\(error)")
}

// HummingbirdService: a Hummingbird 2 application on AllocShim.
//   POST /echo     the body in ASCII upper case, copied through an AllocShim buffer
//   GET  /stats    the backend's allocation counters (they move with every connection's reads)
//   GET  /healthz  "ok"
// PORT (default 8080) and ALLOCSHIM_BACKEND choose where it listens and which allocator
// serves; MAX_BODY bounds request bodies (default 1 MiB). Hummingbird's Application runs under
// a ServiceGroup: SIGINT/SIGTERM shut it down gracefully.
import AllocShim
import AllocShimNIO
import Foundation
import Hummingbird
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
let allocator: any Allocator
let source: BufferSource
let nioAllocator: ByteBufferAllocator
do {
    allocator = try ProcessDefaultAllocator.allocator()
    source = try BufferSource.processDefault()
    nioAllocator = try ByteBufferAllocator.allocShim(allocator)
} catch {
    fail("\(error)")
}

let router = Router()
router.get("healthz") { _, _ in "ok\n" }
router.get("stats") { _, _ in
    let figures = allocator.statistics()
    return "backend \(figures.backend)\nallocations \(figures.allocations)\ndeallocations \(figures.deallocations)\nlive_bytes \(figures.liveBytes)\n"
}
router.post("echo") { request, _ -> Response in
    let body = try await request.body.collect(upTo: maximumBodyBytes)
    // A copy into an AllocShim buffer (copying is always the default), transformed there.
    let bytes = try body.withUnsafeReadableBytes { try SharedBytes.from($0, using: source) }
    bytes.withUnsafeMutableBytes { buffer in
        for index in buffer.indices where buffer[index] >= 0x61 && buffer[index] <= 0x7A { buffer[index] -= 0x20 }
    }
    var response = nioAllocator.buffer(capacity: bytes.count)  // the same AllocShim allocator as the connection
    _ = bytes.withUnsafeBytes { response.writeBytes($0) }
    return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: response))
}

var logger = Logger(label: "HummingbirdService")
logger.logLevel = .info
let app = Application(
    router: router,
    server: .http1(allocator: nioAllocator),
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: logger)
logger.info("serving", metadata: ["backend": "\(allocator.name)", "port": "\(port)"])
do {
    try await app.runService()
} catch {
    fail("\(error)")
}

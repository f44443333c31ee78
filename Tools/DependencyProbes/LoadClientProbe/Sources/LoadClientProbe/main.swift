import AsyncHTTPClient
import Foundation
import NIOCore

// LoadClientProbe MODE PORT CONNECTIONS SECONDS BODIES
//   MODE raw: the soak's own client (SoakConnection: one thread per keep-alive socket)
//   MODE ahc: AsyncHTTPClient, one task per connection over a pool of CONNECTIONS keep-alive connections
//   BODIES small: every body 1 KiB; soak: the soak's default body mix (1 KiB … 4 MiB, long tail)
let arguments = CommandLine.arguments
let mode = arguments[1], port = Int(arguments[2])!, connections = Int(arguments[3])!, seconds = Int(arguments[4])!
var configured = SoakWorkload()
configured.connections = connections
configured.burstSeconds = seconds
configured.idleSeconds = 1
configured.durationSeconds = seconds + 1
if arguments[5] == "small" { configured.minimumBodyBytes = 1024; configured.maximumBodyBytes = 1024 }
let workload = configured

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let collector = SoakCollector()
let deadline = collector.start + .seconds(seconds)
let cpuBefore = cpuSeconds()
if mode == "raw" {
    let body = UnsafeMutableRawBufferPointer.allocate(byteCount: workload.maximumBodyBytes, alignment: 16)
    body.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "a"))
    let group = DispatchGroup()
    for index in 0..<connections {
        let connection = SoakConnection(port: port, workload: workload, index: index, collector: collector, body: UnsafeRawBufferPointer(body))
        let thread = Thread { connection.run(until: deadline); group.leave() }
        thread.stackSize = 1 << 20
        group.enter()
        thread.start()
    }
    group.wait()
} else {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: workload.maximumBodyBytes)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<connections {
            group.addTask {
                var random = SplitMix64(state: UInt64(index) &* 7919 &+ 1)
                while ContinuousClock.now < deadline {
                    let second = Int((ContinuousClock.now - collector.start).components.seconds)
                    let size = workload.bodySize(&random)
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo")
                    request.method = .POST
                    request.body = .bytes(body.getSlice(at: 0, length: size)!)
                    let started = ContinuousClock.now
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let received = try await response.body.collect(upTo: workload.maximumBodyBytes)
                        let elapsed = ContinuousClock.now - started
                        let ok = response.status == .ok && received.readableBytes == size
                        let micros = Int(elapsed.components.seconds) * 1_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000_000)
                        collector.record(second: second, latencyMicroseconds: ok ? micros : nil, bytes: size)
                    } catch {
                        collector.record(second: second, latencyMicroseconds: nil, bytes: 0)
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    try await client.shutdown().get()
}
let cpu = cpuSeconds() - cpuBefore
var latencies: [Int] = []
var errors = 0
var bytes = 0
for second in 0...seconds {
    let interval = collector.take(second: second)
    latencies += interval.latenciesMicroseconds
    errors += interval.errors
    bytes += interval.bytes
}
latencies.sort()
let count = latencies.count
let sorted = latencies
let quantile: (Double) -> Double = { q in count == 0 ? 0 : Double(sorted[min(count - 1, Int(Double(count) * q))]) / 1000 }
print(String(format: "%@ %@ c=%d: %.0f req/s, %.1f MiB/s, p50 %.2f ms, p99 %.2f ms, errors %d, client CPU %.1f µs/request (%.2f cores)",
    mode, arguments[5], connections, Double(count) / Double(seconds), Double(bytes) / 1_048_576 / Double(seconds), quantile(0.5), quantile(0.99), errors,
    cpu / Double(max(count, 1)) * 1e6, cpu / Double(seconds)))

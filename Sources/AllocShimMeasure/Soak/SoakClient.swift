import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Latencies and counts of the requests completed in one second of a soak.
struct SoakInterval {
    var latenciesMicroseconds: [Int] = []
    var bytes = 0
    var errors = 0
}

/// Collects per-second request figures from all client threads.
final class SoakCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var intervals: [Int: SoakInterval] = [:]
    private var requests = 0
    let start = ContinuousClock.now

    func record(second: Int, latencyMicroseconds: Int?, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        if let latencyMicroseconds {
            intervals[second, default: SoakInterval()].latenciesMicroseconds.append(latencyMicroseconds)
            intervals[second, default: SoakInterval()].bytes += bytes
            requests += 1
        } else {
            intervals[second, default: SoakInterval()].errors += 1
        }
    }

    var totalRequests: Int { lock.withLock { requests } }

    func take(second: Int) -> SoakInterval {
        lock.withLock { intervals.removeValue(forKey: second) ?? SoakInterval() }
    }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1 over plain sockets, sending `POST /echo`.
/// Bounded: every socket has 30 s send/receive timeouts, and the loop ends at the deadline.
/// Unchecked Sendable: `body` is read-only for the whole run and outlives every connection.
/// Plain sockets rather than AsyncHTTPClient: the client shares the cores with the service it
/// measures, and AsyncHTTPClient spent twice the CPU per request (docs/dependencies.md).
struct SoakConnection: @unchecked Sendable {
    let port: Int
    let workload: SoakWorkload
    let index: Int
    let collector: SoakCollector
    let body: UnsafeRawBufferPointer  // shared, read-only: `maximumBodyBytes` of 'a'

    func run(until deadline: ContinuousClock.Instant) {
        var random = SplitMix64(state: UInt64(index) &* 7919 &+ 1)
        var socket: Int32 = -1
        var response = [UInt8](repeating: 0, count: 256 << 10)
        var request = 0
        defer { if socket >= 0 { close(socket) } }
        while ContinuousClock.now < deadline, collector.totalRequests < workload.maximumRequests {
            let second = Int((ContinuousClock.now - collector.start).components.seconds)
            guard workload.isBurst(atSecond: second) else {
                Thread.sleep(forTimeInterval: 0.1)  // idle: the connection stays open, as a client pool's would
                continue
            }
            if socket < 0 { socket = Self.connect(port: port) }
            guard socket >= 0 else {
                collector.record(second: second, latencyMicroseconds: nil, bytes: 0)
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            let size = workload.bodySize(&random)
            var head = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\n"
            if workload.tenants > 0 { head += "X-Tenant: tenant-\(request % workload.tenants)\r\n" }
            head += "\r\n"
            request += 1
            let started = ContinuousClock.now
            let ok = Self.sendAll(socket, Array(head.utf8)) && Self.sendAll(socket, UnsafeRawBufferPointer(rebasing: body.prefix(size)))
                && Self.readResponse(socket, expectedBody: size, buffer: &response)
            let elapsed = ContinuousClock.now - started
            if ok {
                let micros = Int(elapsed.components.seconds) * 1_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000_000)
                collector.record(second: second, latencyMicroseconds: micros, bytes: size)
            } else {
                collector.record(second: second, latencyMicroseconds: nil, bytes: 0)
                close(socket)
                socket = -1
            }
        }
    }

    static func connect(port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")  // loopback only, by construction
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            close(descriptor)
            return -1
        }
        return descriptor
    }

    static func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { sendAll(socket, $0) }
    }

    static func sendAll(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Reads one response: headers up to CRLFCRLF, then Content-Length bytes. Only 200 with the
    /// whole echoed body counts as success.
    static func readResponse(_ socket: Int32, expectedBody: Int, buffer: inout [UInt8]) -> Bool {
        var header: [UInt8] = []
        var bodyReceived = 0
        var contentLength: Int?
        var status = 0
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if received <= 0 { return false }
            if contentLength == nil {
                header.append(contentsOf: buffer[0..<received])
                guard let end = headerEnd(header) else {
                    if header.count > 64 << 10 { return false }
                    continue
                }
                let text = String(decoding: header[0..<end], as: UTF8.self)
                let lines = text.split(separator: "\r\n")
                status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
                contentLength = 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
                bodyReceived = header.count - (end + 4)
            } else {
                bodyReceived += received
            }
            if let contentLength, bodyReceived >= contentLength {
                return status == 200 && contentLength == expectedBody
            }
        }
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}

import AllocShim
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a service under each process allocator and records memory and latency every second.
package struct SoakRunner: Sendable {
    /// The service executable (built without the Jemalloc trait for preloads to matter).
    package var serviceExecutable: String
    /// Loopback port for the service.
    package var port: Int
    /// The load.
    package var workload: SoakWorkload
    /// Where the service's own log goes.
    package var logDirectory: String

    /// Creates a runner.
    package init(serviceExecutable: String, port: Int, workload: SoakWorkload, logDirectory: String) {
        self.serviceExecutable = serviceExecutable
        self.port = port
        self.workload = workload
        self.logDirectory = logDirectory
    }

    /// The AllocShim buffer backend that follows the process allocator where one exists:
    /// mimalloc and tcmalloc backends then use the preloaded library itself (dlopen finds the
    /// loaded copy); otherwise `system`, i.e. glibc's `__libc_malloc` (see docs/service.md).
    static func bufferBackend(for choice: ProcessAllocatorChoice) -> String {
        switch choice.backend {
        case .mimalloc: "mimalloc"
        case .tcmalloc: "tcmalloc"
        default: "system"
        }
    }

    /// One run: starts the service under `choice`, waits for /healthz, drives the load for the
    /// workload's duration while sampling every second, stops the service.
    package func run(_ choice: ProcessAllocatorChoice, repetition: Int, allowLinkedAllocator: Bool = false, progress: (String) -> Void = { _ in }) throws(SoakError) -> SoakRun {
        guard FileManager.default.isExecutableFile(atPath: serviceExecutable) else {
            throw .serviceMissing(path: serviceExecutable, hint: "build it: cd Examples/EchoService && swift build -c release --disable-default-traits --scratch-path .build-nojemalloc")
        }
        var base = ProcessInfo.processInfo.environment
        base["PORT"] = String(port)
        base["MAX_BODY"] = String(workload.maximumBodyBytes)
        base["ALLOCSHIM_BACKEND"] = Self.bufferBackend(for: choice)
        let launch: ProcessAllocatorLaunch
        do {
            launch = try ProcessAllocatorLaunch.prepare(choice, command: serviceExecutable, baseEnvironment: base, allowLinkedAllocator: allowLinkedAllocator)
        } catch {
            throw .processAllocator(error)
        }
        let logPath = "\(logDirectory)/service-\(choice.label.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "/", with: "_"))-\(repetition).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.environment = launch.environment
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch { throw .serviceDidNotStart(label: choice.label, log: "\(error)") }
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? log?.close()
        }
        guard waitForHealth() else {
            process.terminate()
            process.waitUntilExit()
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw .serviceDidNotStart(label: choice.label, log: text.split(separator: "\n").suffix(2).joined(separator: " | "))
        }

        // The shared request body: the longest body, never written after this.
        let body = UnsafeMutableRawBufferPointer.allocate(byteCount: workload.maximumBodyBytes, alignment: 16)
        defer { body.deallocate() }
        body.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "a"))
        let collector = SoakCollector()
        let deadline = collector.start + .seconds(workload.durationSeconds)
        let group = DispatchGroup()
        for index in 0..<workload.connections {
            let connection = SoakConnection(port: port, workload: workload, index: index, collector: collector, body: UnsafeRawBufferPointer(body))
            let thread = Thread { connection.run(until: deadline); group.leave() }
            thread.stackSize = 1 << 20
            group.enter()
            thread.start()
        }
        var samples: [SoakSample] = []
        let pid = process.processIdentifier
        for second in 0..<workload.durationSeconds {
            let target = collector.start + .seconds(second + 1)
            let now = ContinuousClock.now
            if target > now { Thread.sleep(forTimeInterval: Double((target - now).components.attoseconds) / 1e18 + Double((target - now).components.seconds)) }
            let memory = Self.residentMemory(pid: pid)
            let interval = collector.take(second: second)
            let latency = Statistics(interval.latenciesMicroseconds.map { Double($0) / 1000 })
            samples.append(SoakSample(
                second: second, burst: workload.isBurst(atSecond: second), residentMiB: memory.resident, anonymousMiB: memory.anonymous,
                requests: interval.latenciesMicroseconds.count, mebibytes: Double(interval.bytes) / 1_048_576,
                p50Milliseconds: latency?.median, p99Milliseconds: latency?.quantile(0.99), errors: interval.errors))
            if second % 10 == 9 { progress("\(choice.label) #\(repetition): \(second + 1)/\(workload.durationSeconds) s, RSS \(Int(memory.resident)) MiB") }
        }
        group.wait()
        return SoakRun(
            label: choice.label, repetition: repetition, mallocLibrary: launch.binding.malloclibraries.joined(separator: ", "),
            serviceBufferBackend: Self.bufferBackend(for: choice), samples: samples)
    }

    private func waitForHealth() -> Bool {
        for _ in 0..<300 {
            let socket = SoakConnection.connect(port: port)
            if socket >= 0 {
                defer { close(socket) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                if SoakConnection.sendAll(socket, Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)) {
                    let received = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                    if received > 0, String(decoding: buffer[0..<received], as: UTF8.self).hasPrefix("HTTP/1.1 200") { return true }
                }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// VmRSS and RssAnon of `pid`, in MiB (0 when unreadable).
    static func residentMemory(pid: Int32) -> (resident: Double, anonymous: Double) {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/status") else { return (0, 0) }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        func kibibytes(_ key: String) -> Double {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0
        }
        return (kibibytes("VmRSS:") / 1024, kibibytes("RssAnon:") / 1024)
    }
}

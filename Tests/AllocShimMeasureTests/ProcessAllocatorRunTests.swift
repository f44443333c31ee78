import AllocShim
import AllocShimMeasure
import Foundation
import AllocShimTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs under a sanitizer runtime (ASan, TSan). It defines `malloc`
/// itself, so a preloaded allocator never binds and "which malloc serves this process" has
/// no allocator answer: the tests that ask it are skipped in `make test-asan`/`test-tsan`.
let sanitizerRuntimePresent: Bool = ["__asan_init", "__tsan_init"].contains { (symbol: String) in
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol) != nil  // RTLD_DEFAULT
}

/// `allocshim run`: the child's malloc really is the chosen allocator's, and every way it
/// cannot be is refused in one line. Runs the built `allocshim` as parent and as the probe
/// child (`allocshim run --which-malloc` prints its own malloc's defining object, via dladdr).
@Suite("allocshim run: process allocator selection")
struct ProcessAllocatorRunTests {
    /// Preload backends whose library is installed here.
    static let installedPreloads: [ProcessAllocatorChoice.Backend] = ProcessAllocatorChoice.Backend.allCases.filter {
        $0 != .system && (try? ProcessAllocatorChoice(backend: $0).libraryPath()) != nil
    }

    /// Whether the allocshim under test links jemalloc (trait Jemalloc): then it is its own malloc.
    static var allocshimLinksJemalloc: Bool { AllocShim.ProcessAllocator.current.family == .jemalloc }

    static var allocshimPath: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("allocshim").path), directory.pathComponents.count > 1 {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("allocshim").path
    }

    @Test("the child's malloc is the chosen allocator's (dladdr in the child)", .disabled(if: sanitizerRuntimePresent, "a sanitizer runtime is the process malloc"), arguments: installedPreloads)
    func childMallocIsChosen(_ backend: ProcessAllocatorChoice.Backend) throws {
        // A jemalloc-linked allocshim as child is a mix; the flag accepts it (malloc still
        // binds to the preload, which is what this proves).
        let result = try runAllocShim(["run", "--quiet", "--backend", backend.rawValue, "--allow-linked-allocator", "--", Self.allocshimPath, "run", "--which-malloc"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix(backend.family.rawValue + " ("), "child reported: \(result.stdout)")
    }

    @Test("system: glibc's malloc in the child, or a clear refusal when the child links jemalloc", .disabled(if: sanitizerRuntimePresent, "a sanitizer runtime is the process malloc"))
    func systemBackend() throws {
        let result = try runAllocShim(["run", "--quiet", "--backend", "system", "--", Self.allocshimPath, "run", "--which-malloc"])
        if Self.allocshimLinksJemalloc {
            #expect(result.status == 2)
            #expect(result.stderr.contains("links libjemalloc.so.2 itself"), "\(result.stderr)")
            #expect(result.stderr.contains("--disable-default-traits"))
            #expect(result.stderr.split(separator: "\n").count == 1)
        } else {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("glibc ("), "child reported: \(result.stdout)")
        }
    }

    @Test("a child that links jemalloc is refused for a preload unless the mix is accepted", .disabled(if: sanitizerRuntimePresent, "a sanitizer runtime is the process malloc"))
    func linkedAllocatorRefused() throws {
        guard Self.allocshimLinksJemalloc, let preload = Self.installedPreloads.first(where: { $0 != .jemalloc }) else { return }
        let result = try runAllocShim(["run", "--backend", preload.rawValue, "--", Self.allocshimPath, "run", "--which-malloc"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty, "the child must not have run")
        #expect(result.stderr.contains("links libjemalloc.so.2 itself"))
        #expect(result.stderr.contains("--allow-linked-allocator"))
    }

    @Test("an unknown backend is one line naming it and the valid ones")
    func unknownBackend() throws {
        let result = try runAllocShim(["run", "--backend", "jemaloc", "--", "/bin/true"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("'jemaloc'"))
        for backend in ProcessAllocatorChoice.Backend.allCases { #expect(result.stderr.contains(backend.rawValue)) }
    }

    @Test("a missing library is one line naming the Debian package", arguments: ProcessAllocatorChoice.Backend.allCases.filter { $0 != .system })
    func missingLibrary(_ backend: ProcessAllocatorChoice.Backend) throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-no-libs-\(UUID().uuidString)").path
        do {
            _ = try ProcessAllocatorChoice(backend: backend).libraryPath(searching: [empty])
            Issue.record("\(backend) found in an empty directory")
        } catch {
            guard case .libraryMissing(_, _, let package) = error else { Issue.record("unexpected \(error)"); return }
            #expect(package == backend.debianPackage)
            #expect(error.description.contains("install the Debian package \(backend.debianPackage!)"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("a missing command and a static or non-ELF command are refused, not run unverified")
    func unverifiableCommands() throws {
        let missing = try runAllocShim(["run", "--backend", "system", "--", "/nonexistent/program"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("'/nonexistent/program' not found"))
    }

    @Test("options for another backend are refused with what they belong to")
    func misplacedOptions() {
        #expect(throws: ProcessAllocatorError.optionNotForBackend(option: "--arena-max", backend: "jemalloc", allowedWith: "system")) {
            try ProcessAllocatorChoice(backend: .jemalloc, arenaMax: 2)
        }
        #expect(throws: ProcessAllocatorError.optionNotForBackend(option: "--malloc-conf", backend: "system", allowedWith: "jemalloc")) {
            try ProcessAllocatorChoice(backend: .system, mallocConf: "dirty_decay_ms:0")
        }
        #expect(throws: ProcessAllocatorError.badValue(option: "--arena-max", value: "0", allowed: "1 … 1024")) {
            try ProcessAllocatorChoice(backend: .system, arenaMax: 0)
        }
    }

    @Test("the environment carries the preload and the tuning variables")
    func environment() throws {
        let system = try ProcessAllocatorChoice(backend: .system, arenaMax: 2, trimThreshold: 65536).environment(base: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"])
        #expect(system["MALLOC_ARENA_MAX"] == "2")
        #expect(system["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=0:glibc.malloc.trim_threshold=65536")
        #expect(system["LD_PRELOAD"] == nil)
        if Self.installedPreloads.contains(.jemalloc) {
            let jemalloc = try ProcessAllocatorChoice(backend: .jemalloc, mallocConf: "background_thread:true").environment(base: ["LD_PRELOAD": "/x.so"])
            #expect(jemalloc["MALLOC_CONF"] == "background_thread:true")
            #expect(jemalloc["LD_PRELOAD"]?.hasSuffix("libjemalloc.so.2 /x.so") == true)
        }
    }

    @Test("the exit status of the child is passed on")
    func exitStatus() throws {
        #expect(try runAllocShim(["run", "--quiet", "--backend", "system", "--", "/bin/false"]).status == 1)
        #expect(try runAllocShim(["run", "--quiet", "--backend", "system", "--", "/bin/sh", "-c", "exit 7"]).status == 7)
    }

    @Test("FreeMemoryRelease asks the allocator that serves malloc in the child", .disabled(if: sanitizerRuntimePresent, "a sanitizer runtime is the process malloc"), arguments: installedPreloads)
    func releaseUnderEachAllocator(_ backend: ProcessAllocatorChoice.Backend) throws {
        let result = try runAllocShim(["run", "--quiet", "--backend", backend.rawValue, "--allow-linked-allocator", "--", Self.allocshimPath, "soak", "--release-probe"])
        #expect(result.status == 0, "\(result.stderr)")
        let cost = try JSONDecoder().decode(ReleaseCost.self, from: Data(result.stdout.utf8))
        #expect(cost.allocator == backend.family.rawValue)
        #expect(cost.medianMicroseconds > 0)
    }
}

@Suite("FreeMemoryRelease in this process")
struct FreeMemoryReleaseTests {
    @Test("one release asks this process's allocator and reports its cost", .disabled(if: sanitizerRuntimePresent, "a sanitizer runtime is the process malloc"))
    func releaseNow() {
        let outcome = FreeMemoryRelease.releaseNow()
        let family = AllocShim.ProcessAllocator.current.family
        #expect(family == .glibc || family == .jemalloc, "the test process runs on glibc or linked jemalloc")
        #expect(outcome.allocator == family)
        #expect(outcome.durationNanoseconds > 0)
        #expect(outcome.residentBytesBefore > 0)
    }

    @Test("the periodic task releases until cancelled, then returns")
    func periodic() async throws {
        let count = Counter()
        let task = Task { try await FreeMemoryRelease.runPeriodically(every: .milliseconds(10)) { _ in count.increment() } }
        // Wait for two releases, however busy the shared test thread pool is: with 2 cores it
        // has 2 threads, and synchronous tests that wait for child processes can hold both for a
        // minute under TSan. A wall-clock deadline failed then (both tasks were starved past it);
        // bounding the loop by its own wake-ups does not, since starvation delays the releasing
        // task and this loop alike. Bounded: at least 6000 × 10 ms.
        var waits = 0
        while count.value < 2, waits < 6000 {
            waits += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        try await task.value  // returns normally on cancellation
        #expect(count.value >= 2)
    }

    @Test("a non-positive interval is a typed error naming it")
    func badInterval() async {
        await #expect(throws: FreeMemoryReleaseError.nonPositiveInterval(.zero)) {
            try await FreeMemoryRelease.runPeriodically(every: .zero)
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}

@Suite("Soak workload")
struct SoakWorkloadTests {
    @Test("bursts and idle periods alternate, and every run ends idle")
    func schedule() throws {
        var workload = SoakWorkload()
        workload.durationSeconds = 60
        workload.burstSeconds = 15
        workload.idleSeconds = 10
        try workload.validate()
        #expect(workload.isBurst(atSecond: 0) && workload.isBurst(atSecond: 14))
        #expect(!workload.isBurst(atSecond: 15) && !workload.isBurst(atSecond: 24))
        #expect(workload.isBurst(atSecond: 25))
        #expect((50..<60).allSatisfy { !workload.isBurst(atSecond: $0) })
    }

    @Test("out-of-range values are typed errors naming the option")
    func validation() {
        var workload = SoakWorkload()
        workload.connections = 0
        #expect(throws: SoakError.badValue(name: "--connections", value: "0", allowed: "1 … 512")) { try workload.validate() }
        workload = SoakWorkload()
        workload.durationSeconds = 10
        #expect(throws: SoakError.self) { try workload.validate() }
    }
}

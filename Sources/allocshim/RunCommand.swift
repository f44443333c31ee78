import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `allocshim run --backend NAME [--] COMMAND [ARGS...]`: runs a program with the chosen allocator
/// as its process allocator (LD_PRELOAD and tuning variables), after the dynamic linker confirmed
/// that the program's `malloc` binds to it, and checks the running child's mappings again.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program with the chosen process allocator (preloaded and verified).",
        discussion: """
            Backends: \(ProcessAllocatorChoice.Backend.allCases.map(\.rawValue).joined(separator: ", ")). \
            Before starting COMMAND, the dynamic linker's binding trace must show its malloc in the chosen \
            library; a program that links an allocator itself (e.g. built with AllocShim's Jemalloc trait) is \
            refused with an explanation. Exits with COMMAND's status (128+N if killed by signal N).
            """
    )

    @Option(help: "Process allocator: system, jemalloc, mimalloc, tcmalloc, scudo.")
    var backend: String = "system"

    @Option(help: "system only: MALLOC_ARENA_MAX (e.g. 2).")
    var arenaMax: Int?

    @Option(help: "system only: glibc.malloc.trim_threshold in bytes.")
    var trimThreshold: Int?

    @Option(help: "jemalloc only: MALLOC_CONF, e.g. dirty_decay_ms:1000,background_thread:true.")
    var mallocConf: String?

    @Flag(help: "Run even if COMMAND links an allocator itself (the chosen one then serves malloc, the linked one its own calls).")
    var allowLinkedAllocator = false

    @Flag(help: "Print nothing but COMMAND's own output.")
    var quiet = false

    @Flag(help: .hidden)
    var whichMalloc = false

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.")
    var command: [String] = []

    func run() throws {
        if whichMalloc {
            // The probe the tests run as COMMAND: this process's malloc, as dladdr reports it.
            print(AllocShim.ProcessAllocator.current)
            return
        }
        var command = self.command
        if command.first == "--" { command.removeFirst() }
        guard let program = command.first else { throw fail("no COMMAND given; usage: allocshim run --backend NAME -- COMMAND [ARGS...]") }
        let launch: ProcessAllocatorLaunch
        do {
            let choice = try ProcessAllocatorChoice(
                backend: ProcessAllocatorChoice.backend(named: backend), arenaMax: arenaMax,
                trimThreshold: trimThreshold, mallocConf: mallocConf)
            launch = try ProcessAllocatorLaunch.prepare(choice, command: program, allowLinkedAllocator: allowLinkedAllocator)
        } catch {
            throw fail(error.description)
        }
        if !quiet {
            FileHandleOutput.standardError("allocshim run: \(launch.choice.label): malloc of \(launch.executable) binds to \(launch.binding.malloclibraries.joined(separator: ", ")) (dynamic linker trace)\n")
            if let note = launch.acceptedMixNote { FileHandleOutput.standardError("allocshim run: \(note)\n") }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = Array(command.dropFirst())
        process.environment = launch.environment
        do { try process.run() } catch { throw fail("cannot start \(program): \(error)") }
        RunCommandSignals.forward(to: process.processIdentifier)

        // Second, independent check on the running child: the chosen library is mapped (and
        // for `system`, no other allocator is), once ld.so has mapped libc.
        if let mapped = ProcessAllocatorLaunch.mappedAllocators(pid: process.processIdentifier, executable: launch.executable) {
            let expected = launch.choice.backend.family
            let others = mapped.filter { $0 != .glibc && $0 != expected }
            let ok = (expected == .glibc || mapped.contains(expected)) && (others.isEmpty || allowLinkedAllocator)
            if !ok {
                process.terminate()
                process.waitUntilExit()
                throw fail("the running \(program) maps \(mapped.map(\.rawValue).joined(separator: ", ")), not \(expected.rawValue) alone; stopped it rather than measure the wrong allocator")
            }
        }
        process.waitUntilExit()
        switch process.terminationReason {
        case .exit: throw ExitCode(process.terminationStatus)
        case .uncaughtSignal: throw ExitCode(128 + process.terminationStatus)
        @unknown default: throw ExitCode(1)
        }
    }
}

/// SIGINT and SIGTERM sent to `allocshim run` go on to the child, so it can stop cleanly.
enum RunCommandSignals {
    nonisolated(unsafe) static var child: pid_t = 0

    static func forward(to pid: pid_t) {
        child = pid
        let handler: @convention(c) (Int32) -> Void = { signal in
            if RunCommandSignals.child > 0 { kill(RunCommandSignals.child, signal) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}

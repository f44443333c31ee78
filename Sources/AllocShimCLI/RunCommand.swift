import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// `allocshim run --backend NAME [--] COMMAND [ARGS...]`: runs a program with the chosen allocator
/// as its process allocator (LD_PRELOAD and tuning variables), after the dynamic linker confirmed
/// that the program's `malloc` binds to it; then follows what actually runs (every exec of the
/// command and of its descendants must map the chosen allocator; ``ProcessTreeWatch``), forwards
/// SIGHUP, SIGINT, SIGTERM and SIGQUIT to it, and leaves nothing it started running.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program with the chosen process allocator (preloaded and verified).",
        discussion: """
            Process allocators: \(BackendVocabulary.processAllocatorHelp). \
            Before starting COMMAND, the dynamic linker's binding trace must show its malloc in the chosen \
            library; a program that links an allocator itself (e.g. built with AllocShim's Jemalloc trait) is \
            refused with an explanation. While COMMAND runs, every program it or its descendants exec must \
            map the chosen allocator; a check that fails or cannot be made stops it (exit status 1). Programs \
            are seen by polling /proc every 1-50 ms, so a descendant that starts and exits between two polls \
            is not checked. \
            SIGHUP, SIGINT, SIGTERM and SIGQUIT go on to COMMAND; nothing it started outlives run. \
            Exits with COMMAND's status (128+N if killed by signal N).
            """
    )

    @Option(
        parsing: .unconditional, help: "The process allocator: \(BackendVocabulary.processAllocatorHelp). Default: system.",
        completion: .list(BackendVocabulary.processAllocatorNames), transform: BackendVocabulary.processAllocator)
    var backend: ProcessAllocatorChoice.Backend = .system

    @Option(help: "system only: MALLOC_ARENA_MAX (e.g. 2).")
    var arenaMax: Int?

    @Option(help: "system only: glibc.malloc.trim_threshold in bytes.")
    var trimThreshold: Int?

    @Option(help: "jemalloc only: MALLOC_CONF, key:value[,key:value]..., e.g. dirty_decay_ms:1000,background_thread:true.")
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
        // Passthrough capture takes `--help` as the command's first word; before a `--` it can
        // only be a request for this command's help (`run -- --help` still runs `--help`).
        if let first = self.command.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
        var command = self.command
        // Options after the first word are COMMAND's; `run --help` (no COMMAND yet) is ours.
        if command.first == "--help" || command.first == "-h" { throw CleanExit.helpRequest(self) }
        if command.first == "--" { command.removeFirst() }
        guard let program = command.first else {
            throw ValidationError("no COMMAND given; usage: allocshim run --backend NAME -- COMMAND [ARGS...]")
        }
        let launch: ProcessAllocatorLaunch
        do {
            let choice = try ProcessAllocatorChoice(
                backend: backend, arenaMax: arenaMax,
                trimThreshold: trimThreshold, mallocConf: mallocConf)
            launch = try ProcessAllocatorLaunch.prepare(choice, command: program, allowLinkedAllocator: allowLinkedAllocator)
        } catch {
            // Bad input is the usage-error status; a check that failed or could not be made is a failure.
            throw error.isBadInput ? ValidationError(error.description) : error
        }
        if !quiet {
            let libraries = launch.binding.malloclibraries.map(EnvironmentVariable.displayed).joined(separator: ", ")
            let executable = EnvironmentVariable.displayed(launch.executable)
            StandardError.write(
                "allocshim run: \(launch.choice.displayedLabel): malloc of \(executable) binds to \(libraries) (dynamic linker trace)\n")
            if let note = launch.acceptedMixNote { StandardError.write("allocshim run: \(StandardError.oneLine(note))\n") }
        }
        // From here on a failure is not bad input but a check that failed or could not be made:
        // the error propagates (one line, exit status 1) after the command was stopped.
        let watch = ProcessTreeWatch(launch: launch, allowLinkedAllocator: allowLinkedAllocator)
        switch try watch.run(arguments: Array(command.dropFirst())) {
        case .exited(let status): throw ExitCode(status)
        case .signalled(let signal): throw ExitCode(128 + signal)
        }
    }
}

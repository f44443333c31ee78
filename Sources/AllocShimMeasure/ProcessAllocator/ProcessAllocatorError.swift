import AllocShim

/// Why a program cannot be run, or was not verifiably run, under the chosen process allocator.
/// Each description is one line naming the bad value and what is allowed.
package enum ProcessAllocatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `--backend` named no known allocator.
    case unknownBackend(String)
    /// The library to preload is not installed.
    case libraryMissing(backend: String, searched: String, package: String)
    /// An option was given with a backend it does not apply to.
    case optionNotForBackend(option: String, backend: String, allowedWith: String)
    /// An option's value is out of range.
    case badValue(option: String, value: String, allowed: String)
    /// The command could not be found or started.
    case commandNotFound(String)
    /// The dynamic linker could not tell where the command's `malloc` binds (e.g. a static executable).
    case cannotVerify(command: String, reason: String)
    /// The command links an allocator itself, so the choice would give a mix (or nothing).
    case linkedAllocator(command: String, linked: [String], chosen: String, explanation: String)
    /// The command's `malloc` binds somewhere other than the chosen allocator.
    case wrongAllocator(command: String, expected: String, found: [String])
    /// `--malloc-conf` is not in jemalloc's `key:value[,key:value]...` grammar.
    case malformedMallocConf(value: String, problem: String)
    /// The command could not be started (fork or exec failed).
    case cannotStart(command: String, reason: String)
    /// A running image of the command or of a descendant maps the wrong allocator (it was stopped).
    case wrongAllocatorRunning(program: String, expected: String, found: String)

    /// The grammar ``malformedMallocConf(value:problem:)`` names.
    package static let mallocConfGrammar =
        "jemalloc's key:value[,key:value]... (keys [a-z0-9_]+, values of printable ASCII without ',', "
        + "at most 1024 characters; see MALLOC_CONF in man jemalloc)"

    /// Whether the error is about what the user asked for (a name, a value, a command, a
    /// backend that is not installed or a mix refused without `--allow-linked-allocator`): the
    /// CLI's usage-error status 2. The others are checks that failed or could not be made, or a
    /// start that failed: a measurement failure, status 1.
    package var isBadInput: Bool {
        switch self {
        case .unknownBackend, .libraryMissing, .optionNotForBackend, .badValue, .commandNotFound, .linkedAllocator, .malformedMallocConf:
            true
        case .cannotVerify, .wrongAllocator, .cannotStart, .wrongAllocatorRunning:
            false
        }
    }

    /// One line.
    package var description: String {
        switch self {
        case .unknownBackend(let name):
            return "unknown process allocator '\(name)'; valid are \(ProcessAllocatorChoice.Backend.allCases.map(\.rawValue).joined(separator: ", "))"
        case .libraryMissing(let backend, let searched, let package):
            return "\(backend) is not installed: \(searched) not found; install the Debian package \(package)"
        case .optionNotForBackend(let option, let backend, let allowedWith):
            return "\(option) does not apply to \(backend); it is allowed only with --backend \(allowedWith)"
        case .badValue(let option, let value, let allowed):
            return "\(option) \(value) is not allowed; expected \(allowed)"
        case .commandNotFound(let command):
            return "command '\(command)' not found (not an executable path and not on PATH)"
        case .cannotVerify(let command, let reason):
            return "cannot verify the allocator of '\(command)': \(reason)"
        case .linkedAllocator(let command, let linked, let chosen, let explanation):
            return "'\(command)' links \(linked.joined(separator: ", ")) itself; with --backend \(chosen) \(explanation)"
        case .wrongAllocator(let command, let expected, let found):
            return "'\(command)': malloc binds to \(found.joined(separator: ", ")), not \(expected); refusing to measure the wrong allocator"
        case .malformedMallocConf(let value, let problem):
            return "--malloc-conf '\(EnvironmentVariable.displayed(value))' is not allowed: \(problem); expected \(Self.mallocConfGrammar)"
        case .cannotStart(let command, let reason):
            return "cannot start '\(EnvironmentVariable.displayed(command))': \(reason)"
        case .wrongAllocatorRunning(let program, let expected, let found):
            return "the running \(program) maps \(found), not \(expected) alone; stopped it rather than measure the wrong allocator"
        }
    }
}

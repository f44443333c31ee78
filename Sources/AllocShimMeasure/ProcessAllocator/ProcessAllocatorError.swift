/// Why a program cannot be run, or was not verifiably run, under the chosen process allocator.
/// Each description is one line naming the bad value and what is allowed.
public enum ProcessAllocatorError: Error, Sendable, Hashable, CustomStringConvertible {
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

    /// One line.
    public var description: String {
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
        }
    }
}

import AllocShim
import Foundation

/// A checked plan to run a command under a process allocator: the executable found, the
/// environment built, and the dynamic linker's word that the command's `malloc` is the chosen one.
package struct ProcessAllocatorLaunch: Sendable {
    /// The allocator and its tuning.
    package let choice: ProcessAllocatorChoice
    /// The executable's absolute path.
    package let executable: String
    /// The full environment for the child.
    package let environment: [String: String]
    /// Where `malloc` binds in the command under ``environment`` (verified to be the choice).
    package let binding: MallocBinding
    /// Set when the command links an allocator itself and the caller accepted the mix.
    package let acceptedMixNote: String?

    /// Finds `command`, builds the environment and verifies the binding.
    ///
    /// - Parameter allowLinkedAllocator: run even when the command links an allocator itself
    ///   (then the chosen allocator serves `malloc`, the linked one only its own non-standard
    ///   calls, e.g. jemalloc's `mallocx` from AllocShim's jemalloc backends).
    /// - Throws: ``ProcessAllocatorError`` — a missing library, an unknown command, a command
    ///   linking its own allocator, or `malloc` binding anywhere but the chosen allocator.
    package static func prepare(
        _ choice: ProcessAllocatorChoice, command: String,
        baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        allowLinkedAllocator: Bool = false
    ) throws(ProcessAllocatorError) -> ProcessAllocatorLaunch {
        let executable = try findExecutable(command, path: baseEnvironment["PATH"] ?? "/usr/bin:/bin")
        let environment = try choice.environment(base: baseEnvironment)
        let binding = try MallocBinding.resolve(executable: executable, environment: environment)
        let expected = choice.backend.family
        let foreignLinked = binding.linkedAllocatorLibraries.filter {
            AllocShim.ProcessAllocator.Family(libraryPath: $0) != expected || choice.backend == .system
        }
        var note: String?
        if !foreignLinked.isEmpty {
            let explanation: String
            if choice.backend == .system || binding.families.first != expected {
                explanation = "that library serves malloc for the whole process and preloading cannot remove it; build it without its allocator (for AllocShim: swift build --disable-default-traits, i.e. without the Jemalloc trait)"
                throw .linkedAllocator(command: command, linked: foreignLinked, chosen: choice.backend.rawValue, explanation: explanation)
            }
            explanation = "the preloaded \(choice.backend.rawValue) serves malloc/free while \(foreignLinked.joined(separator: ", ")) still serves its own calls (jemalloc: mallocx, mallctl, AllocShim's jemalloc backends): measurements would show a mix; build it without its allocator (swift build --disable-default-traits) or pass --allow-linked-allocator"
            if !allowLinkedAllocator {
                throw .linkedAllocator(command: command, linked: foreignLinked, chosen: choice.backend.rawValue, explanation: explanation)
            }
            note = "note: '\(command)' links \(foreignLinked.joined(separator: ", ")): \(choice.backend.rawValue) serves malloc, the linked allocator its own calls (accepted with --allow-linked-allocator)"
        }
        guard binding.families.allSatisfy({ $0 == expected }) else {
            throw .wrongAllocator(command: command, expected: expected.rawValue, found: binding.malloclibraries)
        }
        return ProcessAllocatorLaunch(choice: choice, executable: executable, environment: environment, binding: binding, acceptedMixNote: note)
    }

    /// `command` itself when it contains a slash, else the first executable match on `path`.
    static func findExecutable(_ command: String, path: String) throws(ProcessAllocatorError) -> String {
        if command.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: command) else { throw .commandNotFound(command) }
            return URL(fileURLWithPath: command).standardizedFileURL.path
        }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .commandNotFound(command)
    }
}

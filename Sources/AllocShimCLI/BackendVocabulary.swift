import AllocShim
import AllocShimMeasure
import ArgumentParser

/// The one list of backend names every subcommand speaks, and where each applies.
///
/// A name means the same allocator everywhere, but it can be used in two places: as an
/// in-process backend (where AllocShim's own buffers live: `bench`, `residue`, `threads`,
/// `fragmentation`, `report`, `ALLOCSHIM_BACKEND`) and as the process allocator (what serves
/// `malloc` for a whole program: `run --backend`, `soak --config`). Most names work in both;
/// `jemalloc-arena` (a dedicated arena) exists only in-process and `scudo` (LLVM's hardened
/// allocator, preloaded) only as the process allocator. A name used in the wrong place is
/// refused with where it does apply, instead of "unknown".
enum BackendVocabulary {
    /// Every name, in-process ones first.
    static let allNames: [String] = {
        var names = BackendName.allCases.map(\.rawValue)
        for name in ProcessAllocatorChoice.Backend.allCases.map(\.rawValue) where !names.contains(name) { names.append(name) }
        return names
    }()

    static let inProcessNames = BackendName.allCases.map(\.rawValue)
    static let processAllocatorNames = ProcessAllocatorChoice.Backend.allCases.map(\.rawValue)

    /// For help texts, e.g. "system, jemalloc, mimalloc, tcmalloc; jemalloc-arena in-process only".
    static var inProcessHelp: String {
        "\(inProcessNames.joined(separator: ", ")) (\(onlyElsewhere(inProcessNames, "process allocators only: allocshim run, soak")))"
    }

    static var processAllocatorHelp: String {
        "\(processAllocatorNames.joined(separator: ", ")) (\(onlyElsewhere(processAllocatorNames, "in-process only: bench, residue, threads, report")))"
    }

    /// An in-process backend; a process-allocator-only name says where it applies.
    @Sendable
    static func inProcess(_ text: String) throws -> BackendName {
        if let backend = BackendName(rawValue: text) { return backend }
        if processAllocatorNames.contains(text) {
            throw ValidationError(
                "allowed: \(inProcessNames.joined(separator: ", ")); \(text) is a process allocator only (allocshim run --backend \(text), soak --config \(text))"
            )
        }
        throw ValidationError("allowed: \(inProcessNames.joined(separator: ", "))")
    }

    /// A process allocator; an in-process-only name says where it applies.
    @Sendable
    static func processAllocator(_ text: String) throws -> ProcessAllocatorChoice.Backend {
        if let backend = ProcessAllocatorChoice.Backend(rawValue: text) { return backend }
        throw ValidationError(processAllocatorRefusal(text))
    }

    /// Why `text` is not a process allocator, naming the ones that are.
    static func processAllocatorRefusal(_ text: String) -> String {
        "allowed: \(processAllocatorNames.joined(separator: ", "))" + (inProcessOnlyNote(text).map { "; \($0)" } ?? "")
    }

    /// For an in-process-only name: where it applies and what to use as the process allocator.
    static func inProcessOnlyNote(_ text: String) -> String? {
        guard inProcessNames.contains(text), !processAllocatorNames.contains(text) else { return nil }
        return "\(text) is an in-process backend only (bench, residue, threads, report): AllocShim's own dedicated arena, "
            + "not a malloc for a whole process; as the process allocator, use jemalloc"
    }

    private static func onlyElsewhere(_ names: [String], _ note: String) -> String {
        let others = allNames.filter { !names.contains($0) }
        return others.isEmpty ? "" : "\(others.joined(separator: ", ")): \(note)"
    }
}

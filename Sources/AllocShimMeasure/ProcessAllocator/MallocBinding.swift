import AllocShim
import Foundation

/// Where a program's `malloc` binds under a given environment, as the dynamic linker itself
/// resolves it, without running the program.
///
/// Runs the program in the dynamic linker's trace mode with immediate binding and binding
/// debug output (`LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes LD_BIND_NOW=yes LD_DEBUG=bindings`, what
/// `ldd -r` does): glibc's ld.so then loads the preloads and dependencies, performs every
/// relocation and logs "binding file A to B: normal symbol `malloc'", and exits before any of the
/// program's code (or its libraries' constructors) runs.
package struct MallocBinding: Sendable, Hashable {
    /// The objects `malloc` references bind to (normally one), in first-seen order.
    package let malloclibraries: [String]
    /// Allocator libraries among the program's own dependencies (DT_NEEDED, transitively),
    /// preloads excluded: e.g. `libjemalloc.so.2` for a build with the `Jemalloc` trait.
    package let linkedAllocatorLibraries: [String]

    /// The families of ``malloclibraries``.
    package var families: [AllocShim.ProcessAllocator.Family] {
        malloclibraries.map(AllocShim.ProcessAllocator.Family.init(libraryPath:))
    }

    /// Asks the dynamic linker where `executable`'s `malloc` binds under `environment`.
    package static func resolve(executable: String, environment: [String: String]) throws(ProcessAllocatorError) -> MallocBinding {
        var traced = environment
        traced["LD_TRACE_LOADED_OBJECTS"] = "1"
        traced["LD_WARN"] = "yes"
        traced["LD_BIND_NOW"] = "yes"
        traced["LD_DEBUG"] = "bindings"
        traced.removeValue(forKey: "LD_DEBUG_OUTPUT")
        // ld.so's trace goes to stdout, its binding log to stderr.
        let output: ChildProcess.Output
        do {
            output = try ChildProcess.run(executable, [], environment: .exactly(traced))
        } catch {
            throw .commandNotFound(executable)
        }
        var libraries: [String] = []
        for line in output.stderr.split(separator: "\n") where line.hasSuffix("`malloc' [GLIBC_2.2.5]") || line.contains("symbol `malloc'") {
            // "binding file /bin/ls [0] to /usr/lib/.../libmimalloc.so.2 [0]: normal symbol `malloc' ..."
            guard let to = line.range(of: " to "), let bracket = line.range(of: " [", range: to.upperBound..<line.endIndex) else { continue }
            let library = String(line[to.upperBound..<bracket.lowerBound])
            if !libraries.contains(library) { libraries.append(library) }
        }
        guard !libraries.isEmpty else {
            let reason = output.stdout.contains("not a dynamic executable")
                ? "it is not a dynamic executable (static programs bring their own malloc; preloading cannot change it)"
                : "the dynamic linker reported no binding of malloc (status \(output.status): \(output.stdout.split(separator: "\n").first ?? ""))"
            throw .cannotVerify(command: executable, reason: reason)
        }
        // Dependencies appear as "name => path (address)"; preloads as "\tpath (address)".
        var linked: [String] = []
        for line in output.stdout.split(separator: "\n") {
            guard let arrow = line.range(of: " => ") else { continue }
            let name = line[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
            let family = AllocShim.ProcessAllocator.Family(libraryPath: name)
            if family != .glibc, family != .unknown { linked.append(name) }
        }
        return MallocBinding(malloclibraries: libraries, linkedAllocatorLibraries: linked)
    }
}

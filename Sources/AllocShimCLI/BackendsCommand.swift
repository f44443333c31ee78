import AllocShim
import ArgumentParser
import Foundation

/// `allocshim backends [--json]`: every backend, available or not, and why.
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List every backend, whether this process can use it, and why not."
    )

    @OptionGroup var environment: EnvironmentCheck

    @Flag(help: "Print a JSON array of {name, available, reason, version}.")
    var json = false

    func run() throws {
        let backends = BackendRegistry.availability()
        if json {
            try printJSON(backends)
            return
        }
        let defaultName = (try? ProcessDefaultAllocator.allocator())?.name
        let nameWidth = BackendName.allCases.map(\.rawValue.count).max() ?? 0
        print("backend".padding(nameWidth) + "  available  version / reason")
        for backend in backends {
            let marker = backend.name == defaultName ? " (default)" : ""
            let detail = backend.available ? (backend.version ?? "") : (backend.reason ?? "")
            print(backend.name.padding(nameWidth) + "  " + (backend.available ? "yes" : "no ").padding(9) + "  " + detail + marker)
        }
    }
}

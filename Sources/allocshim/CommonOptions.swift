import AllocShim
import ArgumentParser
import Foundation

/// `--backend NAME` (repeatable): which backends a command covers. Unknown names and
/// explicitly requested but unavailable backends are errors; none given means every
/// available backend.
struct BackendOptions: ParsableArguments {
    @Option(name: .customLong("backend"), help: "A backend (\(BackendName.validNames)); repeatable. Default: every available one.")
    var names: [String] = []

    func resolve() throws -> [BackendName] {
        guard !names.isEmpty else { return BackendRegistry.availableBackends }
        var backends: [BackendName] = []
        for name in names {
            do {
                let backend = try BackendName(parsing: name, source: "--backend")
                _ = try BackendRegistry.allocator(backend)
                if !backends.contains(backend) { backends.append(backend) }
            } catch {
                throw fail(error.description)
            }
        }
        return backends
    }
}

/// Prints a value as pretty, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Progress on standard error, so standard output stays machine-readable.
func progressLine(_ text: String) {
    FileHandleOutput.standardError("  … \(text)\n")
}

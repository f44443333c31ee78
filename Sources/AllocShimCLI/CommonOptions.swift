import AllocShim
import AllocShimMeasure
import ArgumentParser
import Foundation

/// Checks the ALLOCSHIM_* variables while the arguments are validated, so a bad value fails
/// at once, on the same path and with the same exit status as a bad option. Every command
/// includes it (`@OptionGroup var environment: EnvironmentCheck`).
struct EnvironmentCheck: ParsableArguments {
    func validate() throws {
        do {
            _ = try BufferSource.processDefault()  // checks ALLOCSHIM_BACKEND, _ZERO_FILL, _POOL_SIZE
        } catch {
            throw ValidationError(error.description)
        }
        do { _ = try PoisonMode.isEnabled() } catch { throw ValidationError(error.description) }  // ALLOCSHIM_POISON
    }
}

/// `--backend NAME` (repeatable): which backends a command covers. Unknown names and
/// explicitly requested but unavailable backends are errors; none given means every
/// available backend.
struct BackendOptions: ParsableArguments {
    @Option(
        name: .customLong("backend"), parsing: .unconditionalSingleValue,
        help: "An in-process backend: \(BackendVocabulary.inProcessHelp); repeatable. Default: every available one.",
        completion: .list(BackendVocabulary.inProcessNames), transform: ArgumentValue.backend)
    var names: [BackendName] = []

    func validate() throws {
        for backend in names {
            guard let availability = BackendRegistry.availability().first(where: { $0.name == backend.rawValue }), !availability.available else { continue }
            // The availability reason already says what is missing and how to install it.
            throw ValidationError("--backend: \(availability.reason ?? "backend '\(backend)' is unavailable; to use it, \(backend.remedy)")")
        }
    }

    /// The backends asked for, each once, or every available one.
    var backends: [BackendName] {
        guard !names.isEmpty else { return BackendRegistry.availableBackends }
        var unique: [BackendName] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        return unique
    }
}

/// `--quiet`: no progress on standard error.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "No progress on standard error (progress is one updating line on a terminal, plain lines otherwise).")
    var quiet = false

    /// The progress style the measurement layer's runs take: one updating line on a terminal,
    /// plain lines otherwise, nothing with `--quiet`.
    var style: ProgressReporter.Style { quiet ? .silent : .forStandardError }
}

/// Prints a value as pretty, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    print(try JSONWriter.text(value), terminator: "")
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

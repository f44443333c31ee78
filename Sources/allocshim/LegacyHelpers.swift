import AllocShim
import ArgumentParser

// The helpers commands used before errors took one path (AllocShimCommand.main) and progress
// one type (ProgressReporter). Kept so commands written against them still build; each says
// what to use instead. They keep the one-line promise: `fail` prints one line and exits 2.

/// Prints `allocshim: error: <message>` as one line and returns exit status 2 to throw.
@available(*, deprecated, message: "throw ValidationError from validate() or a value transform for bad input; let measurement errors propagate (exit 1)")
func fail(_ message: String) -> ExitCode {
    StandardError.write("allocshim: error: \(StandardError.oneLine(message))\n")
    return ExitCode(AllocShimCommand.usageErrorStatus)
}

/// Checks the ALLOCSHIM_* variables; a bad value is one line and exit status 2.
@available(*, deprecated, message: "add `@OptionGroup var environment: EnvironmentCheck` to the command")
func validateEnvironment() throws {
    do {
        try EnvironmentCheck().validate()
    } catch let error as ValidationError {
        StandardError.write("allocshim: error: \(StandardError.oneLine(error.message))\n")
        throw ExitCode(AllocShimCommand.usageErrorStatus)
    }
}

/// One plain progress line on standard error.
@available(*, deprecated, message: "use ProgressOptions.reporter(...) and pass `progress.step`")
func progressLine(_ text: String) {
    StandardError.write("  … \(text)\n")
}

@available(*, deprecated, message: "use StandardError.write")
enum FileHandleOutput {
    static func standardError(_ text: String) { StandardError.write(text) }
}

extension BackendOptions {
    /// The backends asked for; validation already rejected unknown and unavailable names.
    @available(*, deprecated, renamed: "backends")
    func resolve() -> [BackendName] { backends }
}

// The `allocshim` command line: argument parsing and output only. The work happens in the
// AllocShim library (and, for measurements, in the measurement target).
import AllocShim
import ArgumentParser

@main
struct AllocShimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocshim",
        abstract: "C allocators behind one Swift interface: list, measure and compare them.",
        discussion: """
            The process default backend comes from ALLOCSHIM_BACKEND (\(BackendName.validNames); unset: system). \
            run and soak choose the process allocator instead: \(BackendVocabulary.processAllocatorNames.joined(separator: ", ")).
            Bad arguments and environment values are one-line errors on standard error, exit status 2; \
            a measurement that fails exits with status 1.
            """,
        version: AllocShimVersion.current,
        // One per line, so adding a command merges cleanly.
        subcommands: [
            BackendsCommand.self,
            RunCommand.self,
            SoakCommand.self,
            ConfigCommand.self,
            BenchCommand.self,
            ResidueCommand.self,
            FragmentationCommand.self,
            ThreadsCommand.self,
            OutputSpanCommand.self,
            PoolSizeCommand.self,
            ReportCommand.self,
            LeaksCommand.self,
            AuditCommand.self,
        ]
    )

    /// Exit status of every bad argument or environment value.
    static let usageErrorStatus: Int32 = 2
    /// Exit status of a measurement or output step that failed.
    static let failureStatus: Int32 = 1

    /// ArgumentParser's `main()`, with errors on one path: every parse and validation error
    /// (bad option values, `validate()` throwing `ValidationError`, bad ALLOCSHIM_* values)
    /// is one line and exit status 2, instead of a message plus usage and status 64.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // --help and --version arrive as errors that exit cleanly; ArgumentParser prints them.
            if exitCode(for: error) == .success { exit(withError: error) }
            StandardError.failAndExit(message(for: error), status: usageErrorStatus)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            exit(withError: code)
        } catch let error as ValidationError {
            // Bad input noticed only in run() is still bad input.
            StandardError.failAndExit(error.message, status: usageErrorStatus)
        } catch where exitCode(for: error) == .success {
            // `allocshim help <command>` and a bare `allocshim` print help from run().
            exit(withError: error)
        } catch {
            StandardError.failAndExit(FailureMessage.text(for: error), status: failureStatus)
        }
    }
}

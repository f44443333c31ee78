// The `allocshim` command line: argument parsing and output only. The work happens in the
// AllocShim library (and, for measurements, in the measurement target).
import AllocShim
import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct AllocShimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocshim",
        abstract: "C allocators behind one Swift interface: list, measure and compare them.",
        discussion: """
            The process default backend comes from ALLOCSHIM_BACKEND (\(BackendName.validNames); unset: system).
            """,
        subcommands: [BackendsCommand.self, RunCommand.self, SoakCommand.self, ConfigCommand.self, BenchCommand.self, ResidueCommand.self, FragmentationCommand.self, ThreadsCommand.self, ReportCommand.self]
    )
}

/// Prints `message` on standard error as one line and exits with status 2.
func fail(_ message: String) -> ExitCode {
    FileHandleOutput.standardError("allocshim: error: \(message)\n")
    return ExitCode(2)
}

/// Checks the ALLOCSHIM_* variables before any command runs, so a typo fails loudly and at once.
func validateEnvironment() throws {
    do {
        _ = try BufferSource.processDefault()  // checks ALLOCSHIM_BACKEND, _ZERO_FILL, _POOL_SIZE
    } catch {
        throw fail(error.description)
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}

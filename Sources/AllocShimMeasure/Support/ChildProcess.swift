import Foundation

/// The measurement layer's one way to run a program to completion and collect its output:
/// probes, child benchmarks, the dynamic linker's trace, the release-cost probe. (The soak's
/// service, which runs alongside the load, and `allocshim run`'s fork/exec, which must forward
/// signals, are the two long-lived children with launchers of their own.) Foundation's `Process`,
/// not swift-subprocess: its API is async-only, and blocking these synchronous callers on it
/// deadlocks the cooperative pool (docs/dependencies.md has the probe and the figures).
enum ChildProcess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The child's environment.
    enum Environment {
        /// This process's environment with these variables added or replaced.
        case inherited(adding: [String: String])
        /// Exactly these variables (the dynamic linker's trace and preloads must not inherit
        /// an LD_PRELOAD or tuning variable from this process).
        case exactly([String: String])
    }

    /// Runs `executable` with `arguments`, adding `environment` to this process's, and returns
    /// its status and output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        try run(executable, arguments, environment: .inherited(adding: environment ?? [:]))
    }

    /// Runs `executable` with `arguments` in `environment`; standard input is /dev/null.
    static func run(_ executable: String, _ arguments: [String], environment: Environment) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        switch environment {
        case .inherited(let adding) where !adding.isEmpty:
            process.environment = ProcessInfo.processInfo.environment.merging(adding) { $1 }
        case .inherited: break
        case .exactly(let variables): process.environment = variables
        }
        let out = Pipe()
        // stderr goes to a file, so a chatty child cannot block on a full second pipe.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("allocshim-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = out
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorHandle.close()
        let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// This executable, for re-running it as a child with another environment.
    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

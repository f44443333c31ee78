import Foundation
import Subprocess

// What ChildProcess.run does: run to completion, exact environment, stdout and stderr captured,
// stdin /dev/null. And the timing of 200 short runs against Foundation.Process.
let iterations = 200
var clock = ContinuousClock()
let subprocessTime = try await clock.measure {
    for _ in 0..<iterations {
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", "echo out; echo err >&2"],
            environment: .custom(["PATH": "/usr/bin:/bin"]),
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        precondition(result.terminationStatus.isSuccess && result.standardOutput == "out\n" && result.standardError == "err\n")
    }
}
let foundationTime = try clock.measure {
    for _ in 0..<iterations {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo out; echo err >&2"]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        precondition(String(decoding: data, as: UTF8.self) == "out\n")
    }
}
print("subprocess: \(subprocessTime / iterations) per run; Foundation.Process: \(foundationTime / iterations) per run")

// The soak service's launcher: a long-lived child, then SIGTERM, with its pid readable meanwhile.
let status = try await Subprocess.run(.path("/bin/sleep"), arguments: ["30"], input: .none, output: .discarded, error: .discarded) { execution in
    print("sleep pid \(execution.processIdentifier.value): /proc status readable:", FileManager.default.fileExists(atPath: "/proc/\(execution.processIdentifier.value)/status"))
    try execution.send(signal: .terminate)
}
print("terminated:", status.terminationStatus)

// Shared by the test targets: the core's tests and the measurement layer's both run the CLI.
import Foundation

/// Runs the `allocshim` executable built beside the test bundle, returning status and output.
public func runAllocShim(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // On Linux the runner is .build/<config>/AllocShimPackageTests.xctest; on Darwin it is inside a bundle.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("allocshim").path),
        directory.pathComponents.count > 1
    {
        directory = directory.deletingLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent("allocshim")
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.merge(environment) { $1 }
    process.environment = merged
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

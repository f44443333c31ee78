import AllocShim
import Foundation

/// Where and with what a report was measured.
package struct MachineInfo: Codable, Sendable {
    /// When the measurement ran, ISO 8601.
    package var date: String
    /// `PRETTY_NAME` from /etc/os-release, or "unknown".
    package var operatingSystem: String
    /// Kernel release and machine from `uname`, e.g. "6.1.0-18-amd64 x86_64".
    package var kernel: String
    /// Active processor count.
    package var cores: Int
    /// Physical memory in GiB, to one decimal.
    package var memoryGiB: Double
    /// The first line of `swift --version`, or why it is unknown.
    package var swift: String
    /// `node --version`; `nil` without Node on the `PATH`.
    package var node: String?
    /// Backend name → version as the allocator reports it.
    package var allocatorVersions: [String: String]

    /// This machine now. Runs `swift --version` and `node --version` as child processes and
    /// loads every available backend to ask its version.
    package static func current() -> MachineInfo {
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let prettyName = osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }.map {
            String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var versions: [String: String] = [:]
        for availability in BackendRegistry.availability() where availability.available {
            versions[availability.name] = availability.version ?? "unknown"
        }
        let swiftVersion = (try? ChildProcess.run("/usr/bin/env", ["swift", "--version"]))
            .flatMap { $0.status == 0 ? ($0.stdout + $0.stderr).split(separator: "\n").first.map(String.init) : nil }
        let formatter = ISO8601DateFormatter()
        return MachineInfo(
            date: formatter.string(from: Date()), operatingSystem: prettyName ?? "unknown", kernel: "\(release) \(machine)",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10,
            swift: swiftVersion ?? "unknown (swift not on PATH at run time)", node: NodeBench.version(), allocatorVersions: versions)
    }
}

import AllocShim
import Foundation

/// Where and with what a report was measured.
public struct MachineInfo: Codable, Sendable {
    public var date: String
    public var operatingSystem: String
    public var kernel: String
    public var cores: Int
    public var memoryGiB: Double
    public var swift: String
    public var node: String?
    /// Backend name → version as the allocator reports it.
    public var allocatorVersions: [String: String]

    public static func current() -> MachineInfo {
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

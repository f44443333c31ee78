#if Audit
import Foundation

/// A path given to the audit that cannot be audited.
public struct AuditInputError: Error, CustomStringConvertible, Equatable {
    /// The path as given.
    public var path: String
    /// What is wrong and what is allowed.
    public var problem: String

    /// One line naming the path and the rule it broke.
    public var description: String { "'\(path)': \(problem)" }
}

/// The result of auditing a set of files.
public struct AuditReport: Sendable {
    /// Every site found, ordered by file, line, column.
    public var findings: [Finding]
    /// How many Swift files were parsed.
    public var fileCount: Int

    /// How many findings have `verdict`.
    public func count(_ verdict: Verdict) -> Int { findings.filter { $0.verdict == verdict }.count }

    /// Unjustified findings per rule, in rule order.
    public var unjustifiedByRule: [(Rule, Int)] {
        Rule.allCases.compactMap { rule in
            let n = findings.filter { $0.verdict == .unjustified && $0.rule == rule }.count
            return n > 0 ? (rule, n) : nil
        }
    }
}

/// Finds the Swift files under the given paths and audits them.
public enum Auditor {
    /// Directories never entered: build output and hidden directories.
    static func isSkipped(directory name: String) -> Bool {
        name.hasPrefix(".") || name == "Packages" || name.hasPrefix(".build")
    }

    /// The `.swift` files named by `paths` (files as given, directories searched recursively),
    /// sorted. Throws for a path that does not exist or a file that is not Swift source.
    public static func swiftFiles(in paths: [String]) throws(AuditInputError) -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw AuditInputError(path: path, problem: "no such file or directory (pass Swift files or directories)")
            }
            if !isDirectory.boolValue {
                guard path.hasSuffix(".swift") else {
                    throw AuditInputError(path: path, problem: "not a .swift file (pass Swift files or directories)")
                }
                files.append(path)
                continue
            }
            var found: [String] = []
            collect(directory: path, into: &found, manager: manager)
            files.append(contentsOf: found.sorted())
        }
        var seen: Set<String> = []
        return files.filter { seen.insert($0).inserted }
    }

    private static func collect(directory: String, into files: inout [String], manager: FileManager) {
        guard let entries = try? manager.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries.sorted() {
            let path = directory.hasSuffix("/") ? directory + entry : directory + "/" + entry
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if !isSkipped(directory: entry) { collect(directory: path, into: &files, manager: manager) }
            } else if entry.hasSuffix(".swift") {
                files.append(path)
            }
        }
    }

    /// Audits `files`. Throws for a file that cannot be read as UTF-8.
    public static func audit(files: [String]) throws(AuditInputError) -> AuditReport {
        let analyzer = SourceAnalyzer()
        var findings: [Finding] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw AuditInputError(path: file, problem: "cannot be read")
            }
            guard let source = String(data: data, encoding: .utf8) else {
                throw AuditInputError(path: file, problem: "is not UTF-8 text")
            }
            findings.append(contentsOf: analyzer.analyze(source: source, file: file))
        }
        return AuditReport(findings: findings, fileCount: files.count)
    }
}
#endif

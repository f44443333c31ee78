#if Audit
import Foundation

/// A path given to the audit that cannot be audited.
package struct AuditInputError: Error, CustomStringConvertible, Equatable {
    /// The path as given.
    package var path: String
    /// What is wrong and what is allowed.
    package var problem: String

    /// One line naming the path (escaped: it may hold any byte but `/` and NUL) and the rule it broke.
    package var description: String { "'\(displayed(path))': \(problem)" }
}

/// What the audit will read: the Swift files found, and what it found but will not read.
package struct AuditInputs: Sendable {
    /// The `.swift` files to parse, in order.
    package var files: [String]
    /// A `notAnalysed` finding for each entry a directory walk met but did not follow or read:
    /// a symbolic link to a directory, a `.swift` name that is not a regular file.
    package var skipped: [Finding]

    /// Creates inputs.
    package init(files: [String], skipped: [Finding] = []) {
        self.files = files
        self.skipped = skipped
    }
}

/// The result of auditing a set of files.
package struct AuditReport: Sendable {
    /// Every site found, ordered by file, line, column.
    package var findings: [Finding]
    /// How many Swift files were parsed.
    package var fileCount: Int
    /// How many calls of the safe-by-construction initializers (output-span, copying) were seen:
    /// not sites, never findings.
    package var safeByConstruction: Int

    /// Creates a report.
    package init(findings: [Finding], fileCount: Int, safeByConstruction: Int = 0) {
        self.findings = findings
        self.fileCount = fileCount
        self.safeByConstruction = safeByConstruction
    }

    /// How many findings have `verdict`.
    package func count(_ verdict: Verdict) -> Int { findings.filter { $0.verdict == verdict }.count }

    /// Unjustified findings per rule, in rule order.
    package var unjustifiedByRule: [(Rule, Int)] {
        Rule.allCases.compactMap { rule in
            let n = findings.filter { $0.verdict == .unjustified && $0.rule == rule }.count
            return n > 0 ? (rule, n) : nil
        }
    }
}

/// Finds the Swift files under the given paths and audits them.
package enum Auditor {
    /// Directories never entered: build output and hidden directories.
    static func isSkipped(directory name: String) -> Bool {
        name.hasPrefix(".") || name == "Packages" || name.hasPrefix(".build")
    }

    /// The `.swift` files named by `paths` (files as given, directories searched recursively),
    /// sorted. Throws for a path that does not exist or a file that is not Swift source.
    package static func swiftFiles(in paths: [String]) throws(AuditInputError) -> [String] {
        try inputs(in: paths).files
    }

    /// The files under `paths` and the entries a walk skipped. A path given is followed even when
    /// it is a symbolic link (the caller chose it); inside a directory, a symbolic link to a
    /// directory is never entered — a pull request can add `self -> .` (a file reported 41 times
    /// through self/self/…) or `root -> /` — and is reported instead, since SwiftPM would compile
    /// what it holds; a link to a regular `.swift` file is read like the file. Only regular
    /// files are read: a FIFO or device named `x.swift` would block or never end.
    package static func inputs(in paths: [String]) throws(AuditInputError) -> AuditInputs {
        var files: [String] = []
        var skipped: [Finding] = []
        for path in paths {
            switch FileKind(path, followingLinks: true) {
            case .missing:
                throw AuditInputError(path: path, problem: "no such file or directory (pass Swift files or directories)")
            case .directory:
                let found = walk(directory: path)
                files.append(contentsOf: found.files.sorted())
                skipped.append(contentsOf: found.skipped.sorted { $0.file < $1.file })
            case .regular:
                guard path.hasSuffix(".swift") else {
                    throw AuditInputError(path: path, problem: "not a .swift file (pass Swift files or directories)")
                }
                files.append(path)
            case .other(let kind):
                throw AuditInputError(path: path, problem: "not a regular file or a directory (\(kind)); pass Swift files or directories")
            case .symbolicLink:
                preconditionFailure("a followed stat never reports a link")
            }
        }
        var seen: Set<String> = []
        return AuditInputs(files: files.filter { seen.insert($0).inserted }, skipped: skipped)
    }

    /// Every `.swift` file below `root`, without following directory links, iteratively (a deep
    /// tree cannot exhaust the stack).
    private static func walk(directory root: String) -> (files: [String], skipped: [Finding]) {
        var files: [String] = []
        var skipped: [Finding] = []
        var pending = [root]
        let manager = FileManager.default
        while let directory = pending.popLast() {
            guard let entries = try? manager.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries.sorted() {
                let path = directory.hasSuffix("/") ? directory + entry : directory + "/" + entry
                let isSwift = entry.hasSuffix(".swift")
                switch FileKind(path, followingLinks: false) {
                case .directory:
                    if !isSkipped(directory: entry) { pending.append(path) }
                case .regular:
                    if isSwift { files.append(path) }
                case .symbolicLink:
                    switch FileKind(path, followingLinks: true) {
                    case .directory:
                        if !isSkipped(directory: entry) {
                            let why = "a symbolic link to a directory, not followed (it may loop or leave the tree); "
                                + "audit its target by naming it"
                            skipped.append(notAnalysed(path, line: 1, why))
                        }
                    case .regular:
                        if isSwift { files.append(path) }
                    case .missing:
                        if isSwift { skipped.append(notAnalysed(path, line: 1, "a symbolic link to nothing")) }
                    case .other(let kind):
                        if isSwift { skipped.append(notAnalysed(path, line: 1, "not a regular file (\(kind))")) }
                    case .symbolicLink:
                        break
                    }
                case .other(let kind):
                    if isSwift { skipped.append(notAnalysed(path, line: 1, "not a regular file (\(kind))")) }
                case .missing:
                    break  // removed while we walked
                }
            }
        }
        return (files, skipped)
    }

    /// Audits `files`. Throws for a file that cannot be read as UTF-8.
    package static func audit(files: [String]) throws(AuditInputError) -> AuditReport {
        try audit(AuditInputs(files: files))
    }

    /// Audits `inputs.files` within `limits`; `inputs.skipped` join the findings. Findings are
    /// ordered by file (as found), then line and column. Throws for a file that cannot be read as UTF-8.
    package static func audit(_ inputs: AuditInputs, limits: AuditLimits = AuditLimits()) throws(AuditInputError) -> AuditReport {
        let analyzer = SourceAnalyzer(limits: limits)
        var findings: [Finding] = inputs.skipped
        var safeByConstruction = 0
        for file in inputs.files {
            let size = FileKind.size(file)
            if size > limits.maximumFileBytes {
                findings.append(notAnalysed(file, line: 1, "\(size) bytes, larger than \(limits.maximumFileBytes)"))
                continue
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw AuditInputError(path: file, problem: "cannot be read")
            }
            guard let source = String(data: data, encoding: .utf8) else {
                throw AuditInputError(path: file, problem: "is not UTF-8 text")
            }
            let analysis = analyzer.analyzeFile(source: source, file: file)
            findings.append(contentsOf: analysis.findings)
            safeByConstruction += analysis.safeByConstruction.count
        }
        // Stable: a file's own findings keep their source order.
        let order = Dictionary(
            (inputs.skipped.map(\.file) + inputs.files).enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let sorted = findings.enumerated().sorted {
            let (a, b) = (order[$0.element.file] ?? 0, order[$1.element.file] ?? 0)
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        return AuditReport(findings: sorted, fileCount: inputs.files.count, safeByConstruction: safeByConstruction)
    }
}

/// What `stat`/`lstat` says a path is.
private enum FileKind: Equatable {
    case missing, directory, regular, symbolicLink
    /// A FIFO, socket or device: never read.
    case other(String)

    init(_ path: String, followingLinks: Bool) {
        var status = stat()
        guard (followingLinks ? stat(path, &status) : lstat(path, &status)) == 0 else {
            self = .missing
            return
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: self = .directory
        case S_IFREG: self = .regular
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .other("a FIFO")
        case S_IFSOCK: self = .other("a socket")
        case S_IFCHR: self = .other("a character device")
        case S_IFBLK: self = .other("a block device")
        default: self = .other("an unknown file type")
        }
    }

    /// The size of a regular file in bytes (0 when it cannot be read: reading it then fails).
    static func size(_ path: String) -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return Int(status.st_size)
    }
}
#endif

// `allocshim audit`: the uninitialized-allocation analyzer's command line (docs/audit.md).
#if Audit
import AllocShimAudit
import ArgumentParser
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find uninitialized allocations in Swift sources and make each one justify itself.",
        discussion: """
            Every site is justified (a `// allocshim: uninitialized — <reason>` marker), fully-overwritten \
            (a complete overwrite the analyzer can see), or unjustified. Exit status: 0, 1 when --fail-on \
            finds sites, 2 on bad input. Rules and marker syntax: docs/audit.md.
            """
    )

    @Argument(help: "Swift files or directories (searched recursively; hidden and .build directories skipped).")
    var paths: [String] = []

    @Flag(help: "Print the findings as JSON on standard output instead of text.")
    var json = false

    @Option(help: "Also write a SARIF 2.1.0 log to this file ('-': standard output, instead of text).")
    var sarif: String?

    @Option(name: .customLong("fail-on"), help: "Exit with status 1 when sites remain: 'unjustified', or 'any' (every uninitialized site, even justified).")
    var failOn: String?

    @Flag(help: "Print the safe replacement for each unjustified site (files are never rewritten).")
    var suggest = false

    @Flag(name: .customLong("unjustified-only"), help: "List only unjustified sites in the text output.")
    var unjustifiedOnly = false

    /// What `--fail-on` accepts.
    enum FailOn: String, CaseIterable {
        case unjustified, any
    }

    /// Checks the arguments; the messages are argument-parser `ValidationError`s.
    func check() throws(ValidationError) -> (inputs: AuditInputs, failOn: FailOn?) {
        guard !paths.isEmpty else { throw ValidationError("audit needs at least one Swift file or directory") }
        var failOn: FailOn?
        if let value = self.failOn {
            guard let parsed = FailOn(rawValue: value) else {
                let allowed = FailOn.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--fail-on '\(displayed(value))' is not one of: \(allowed)")
            }
            failOn = parsed
        }
        if sarif == "-", json { throw ValidationError("--json and --sarif - both write standard output: choose one") }
        if let sarif, sarif.isEmpty { throw ValidationError("--sarif needs a file name ('-' for standard output)") }
        do {
            return (try Auditor.inputs(in: paths), failOn)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let inputs: AuditInputs
        let failOn: FailOn?
        do {
            (inputs, failOn) = try check()
        } catch {
            throw Self.badInput(error.message)
        }
        let report: AuditReport
        do { report = try Auditor.audit(inputs) } catch { throw Self.badInput(error.description) }

        if let sarif {
            let text = ReportFormat.sarif(report)
            if sarif == "-" {
                print(text, terminator: "")
            } else {
                do { try text.write(toFile: sarif, atomically: true, encoding: .utf8) } catch {
                    throw Self.badInput("cannot write the SARIF log to '\(displayed(sarif))': \(displayed(error.localizedDescription))")
                }
            }
        }
        if json {
            print(ReportFormat.json(report), terminator: "")
        } else if sarif != "-" {
            print(ReportFormat.text(report, unjustifiedOnly: unjustifiedOnly), terminator: "")
        }
        if suggest {
            let suggestions = ReportFormat.suggestions(report)
            if json || sarif == "-" { Self.standardError(suggestions) } else { print(suggestions, terminator: "") }
        }
        switch failOn {
        case .unjustified? where report.count(.unjustified) > 0: throw ExitCode(1)
        case .any? where !report.findings.isEmpty: throw ExitCode(1)
        default: break
        }
    }

    /// One line on standard error, exit status 2: the convention for bad input. Values quoted in
    /// `message` are already escaped (`displayed`).
    static func badInput(_ message: String) -> ExitCode {
        standardError("allocshim audit: error: \(message)\n")
        return ExitCode(2)
    }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
#else
import ArgumentParser

/// `allocshim audit` in a build without the `Audit` trait (the analyzer needs swift-syntax,
/// which only that trait builds): one line saying how to get it, exit status 2.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find uninitialized allocations in Swift sources (needs a build with the Audit trait)."
    )

    @Argument(parsing: .allUnrecognized, help: "Swift files or directories.")
    var arguments: [String] = []

    func run() throws {
        throw ValidationError(
            "this allocshim was built without the Audit trait; build it with `swift build --traits Jemalloc,Audit` (make test-audit does)")
    }
}
#endif

#if Audit
/// The audit's output formats: text for people, JSON for scripts, SARIF 2.1.0 for CI systems
/// and editors (GitHub code scanning, VS Code's SARIF viewer).
package enum ReportFormat {
    /// One line per finding (`file:line:col: verdict: API(size) [AS00x rule] reason`) and a summary.
    package static func text(_ report: AuditReport, unjustifiedOnly: Bool = false) -> String {
        var lines: [String] = []
        for finding in report.findings where !unjustifiedOnly || finding.verdict == .unjustified {
            let size = finding.sizeExpression.map { "(\($0))" } ?? ""
            var line = "\(finding.file):\(finding.line):\(finding.column): \(finding.verdict.rawValue): \(finding.api)\(size)"
            switch finding.verdict {
            case .justified: line += " — \(finding.justification ?? "")"
            case .fullyOverwritten: line += " — \(finding.reason)"
            case .unjustified: line += " [\(finding.rule.id) \(finding.rule.name)] \(finding.reason)"
            }
            // File names and source text may hold newlines or escape sequences: one finding, one line.
            lines.append(displayed(line))
        }
        lines.append(summary(report))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `N files, M sites: a justified, b fully-overwritten, c unjustified (AS001: …)`, and
    /// `; s safe by construction (output-span and copying initializers)` when there are any.
    package static func summary(_ report: AuditReport) -> String {
        let byRule = report.unjustifiedByRule.map { "\($0.0.id) \($0.0.name): \($0.1)" }.joined(separator: ", ")
        let safe = report.safeByConstruction > 0
            ? "; \(report.safeByConstruction) safe by construction (output-span and copying initializers)" : ""
        return "\(report.fileCount) files, \(report.findings.count) uninitialized allocation sites: "
            + "\(report.count(.justified)) justified, \(report.count(.fullyOverwritten)) fully-overwritten, "
            + "\(report.count(.unjustified)) unjustified" + (byRule.isEmpty ? "" : " (\(byRule))") + safe
    }

    /// `--suggest`: for each unjustified site, the safe replacement. Nothing is rewritten.
    package static func suggestions(_ report: AuditReport) -> String {
        report.findings.filter { $0.verdict == .unjustified }.map {
            displayed("\($0.file):\($0.line):\($0.column): suggest: \($0.suggestion ?? "")")
        }.joined(separator: "\n") + (report.count(.unjustified) > 0 ? "\n" : "")
    }

    /// The findings as a JSON document (`files`, `summary`, `findings`).
    package static func json(_ report: AuditReport) -> String {
        let findings = report.findings.map { finding -> JSONValue in
            .object([
                ("file", .string(finding.file)), ("line", .int(finding.line)), ("column", .int(finding.column)),
                ("api", .string(finding.api)), ("size", finding.sizeExpression.json),
                ("verdict", .string(finding.verdict.rawValue)), ("rule", .string(finding.rule.id)),
                ("ruleName", .string(finding.rule.name)), ("reason", .string(finding.reason)),
                ("justification", finding.justification.json), ("suggestion", finding.suggestion.json),
                ("fix", finding.fix.map { fix in
                    JSONValue.object([
                        ("startLine", .int(fix.startLine)), ("startColumnUTF16", .int(fix.startColumn)),
                        ("endLine", .int(fix.endLine)), ("endColumnUTF16", .int(fix.endColumn)),
                        ("replacement", .string(fix.replacement)),
                    ])
                } ?? .null),
            ])
        }
        let summary: JSONValue = .object(
            [("files", .int(report.fileCount)), ("sites", .int(report.findings.count))]
                + Verdict.allCases.map { ($0.rawValue, JSONValue.int(report.count($0))) }
                + [("safeByConstruction", .int(report.safeByConstruction))]
                + [("unjustifiedByRule", .object(report.unjustifiedByRule.map { ($0.0.id, JSONValue.int($0.1)) }))])
        return JSONValue.object([("version", .int(1)), ("summary", summary), ("findings", .array(findings))]).rendered() + "\n"
    }

    /// A SARIF 2.1.0 log. Unjustified sites are `warning` results; justified ones carry an
    /// in-source suppression with the marker's reason; fully-overwritten ones are `pass` results.
    package static func sarif(_ report: AuditReport, toolVersion: String = "1.0.0") -> String {
        let rules = Rule.allCases.map { rule -> JSONValue in
            .object([
                ("id", .string(rule.id)), ("name", .string(rule.name)),
                ("shortDescription", .object([("text", .string(rule.summary))])),
                ("helpUri", .string(rule.helpURI)),
                ("defaultConfiguration", .object([("level", .string("warning"))])),
            ])
        }
        let results = report.findings.map { finding -> JSONValue in
            var members: [(String, JSONValue)] = [
                ("ruleId", .string(finding.rule.id)),
                ("ruleIndex", .int(Rule.allCases.firstIndex(of: finding.rule)!)),
            ]
            let size = finding.sizeExpression.map { "(\($0))" } ?? ""
            switch finding.verdict {
            case .unjustified:
                members.append(("kind", .string("fail")))
                members.append(("level", .string("warning")))
                members.append(("message", .object([("text", .string("\(finding.api)\(size): \(finding.reason)"))])))
            case .fullyOverwritten:
                members.append(("kind", .string("pass")))
                members.append(("level", .string("none")))
                members.append(("message", .object([("text", .string("\(finding.api)\(size): \(finding.reason)"))])))
            case .justified:
                members.append(("kind", .string("fail")))
                members.append(("level", .string("warning")))
                members.append(("message", .object([("text", .string("\(finding.api)\(size): justified in source"))])))
                members.append((
                    "suppressions",
                    .array([.object([("kind", .string("inSource")), ("justification", .string(finding.justification ?? ""))])])
                ))
            }
            members.append((
                "locations",
                .array([
                    .object([
                        ("physicalLocation", .object([
                            ("artifactLocation", .object([("uri", .string(uri(finding.file)))])),
                            ("region", .object([("startLine", .int(finding.line)), ("startColumn", .int(finding.utf16Column))])),
                        ]))
                    ])
                ])
            ))
            if let fix = finding.fix {
                members.append(("fixes", .array([sarifFix(fix, file: finding.file)])))
            }
            members.append((
                "properties",
                .object([("verdict", .string(finding.verdict.rawValue)), ("api", .string(finding.api)), ("size", finding.sizeExpression.json)])
            ))
            return .object(members)
        }
        let run: JSONValue = .object([
            ("tool", .object([
                ("driver", .object([
                    ("name", .string("allocshim-audit")),
                    ("version", .string(toolVersion)),
                    ("informationUri", .string("https://github.com/allocshim/allocshim/blob/main/docs/audit.md")),
                    ("rules", .array(rules)),
                ]))
            ])),
            ("results", .array(results)),
            // SARIF 2.1.0 §3.14.17: columns count UTF-16 code units, as `startColumn` does.
            ("columnKind", .string("utf16CodeUnits")),
            ("properties", .object([("safeByConstruction", .int(report.safeByConstruction))])),
        ])
        return JSONValue.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([run])),
        ]).rendered() + "\n"
    }

    /// A SARIF `fix` (§3.55): one artifact change (§3.56) in the result's file, one replacement
    /// (§3.57) of the call's region (§3.30; columns in the run's `columnKind`, the end exclusive).
    private static func sarifFix(_ fix: SuggestedFix, file: String) -> JSONValue {
        .object([
            ("description", .object([("text", .string(fix.description))])),
            ("artifactChanges", .array([
                .object([
                    ("artifactLocation", .object([("uri", .string(uri(file)))])),
                    ("replacements", .array([
                        .object([
                            ("deletedRegion", .object([
                                ("startLine", .int(fix.startLine)), ("startColumn", .int(fix.startColumn)),
                                ("endLine", .int(fix.endLine)), ("endColumn", .int(fix.endColumn)),
                            ])),
                            ("insertedContent", .object([("text", .string(fix.replacement))])),
                        ])
                    ])),
                ])
            ])),
        ])
    }

    /// A path as an RFC 3986 URI reference. Relative paths stay relative (SARIF resolves them
    /// against the checkout): every byte outside the unreserved set, the sub-delimiters, `:`, `@`
    /// and `/` is percent-encoded from its UTF-8 (`#`, `?`, `%`, spaces, newlines, non-ASCII), a
    /// first segment holding `:` gets `./` so that it is not read as a scheme (`http:evil.swift`),
    /// and repeated slashes are collapsed so that `//host` is not read as an authority. Absolute
    /// paths become `file://` URIs.
    static func uri(_ path: String) -> String {
        var p = path
        while p.contains("//") { p = p.replacingAll("//", with: "/") }
        while p.hasPrefix("./") { p.removeFirst(2) }
        let isAbsolute = p.hasPrefix("/")
        var encoded = ""
        for byte in p.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, uriLiteral.contains(Character(scalar)) {
                encoded.unicodeScalars.append(scalar)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        if isAbsolute { return "file://" + encoded }
        if encoded.split(separator: "/", omittingEmptySubsequences: false).first?.contains(":") == true { return "./" + encoded }
        return encoded
    }

    /// `pchar` of RFC 3986 §3.3 without `%` (always encoded), plus `/`.
    private static let uriLiteral = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")
}
#endif

#if Audit
import Foundation
import AllocShimAudit
import Testing

/// One snippet of the safe-by-construction corpus: how many safe forms it calls, and the
/// verdicts of the sites it still has (look-alikes and sites nested in a safe form's closure).
struct SafeFormSnippet: CustomTestStringConvertible, Sendable {
    var name: String
    var source: String
    var safeForms: [String]
    var siteVerdicts: [Verdict] = []

    var testDescription: String { name }
}

let safeFormSnippets: [SafeFormSnippet] = [
    SafeFormSnippet(name: "OwnedBytes(capacity:) with a trailing closure", source: """
        func f(payload: RawSpan) throws -> OwnedBytes {
            try OwnedBytes(capacity: payload.byteCount) { output in output.append(contentsOf: payload) }
        }
        """, safeForms: ["OwnedBytes(capacity:initializingWith:)"]),
    SafeFormSnippet(name: "OwnedBytes(unpooledCapacity:) with initializingWith:", source: """
        func f(n: Int) throws -> OwnedBytes {
            try OwnedBytes(unpooledCapacity: n, using: .malloc, initializingWith: { output in output.append(UInt8(1)) })
        }
        """, safeForms: ["OwnedBytes(unpooledCapacity:initializingWith:)"]),
    SafeFormSnippet(name: "SharedBytes(capacity:) and SharedBytes.init(unpooledCapacity:)", source: """
        func f(estimatedSize: Int, header: [UInt8]) throws {
            let a = try SharedBytes(capacity: estimatedSize) { output in output.append(contentsOf: header.span.bytes) }
            let b = try AllocShim.SharedBytes.init(unpooledCapacity: estimatedSize) { _ in }
            send(a, b)
        }
        """, safeForms: ["SharedBytes(capacity:initializingWith:)", "SharedBytes(unpooledCapacity:initializingWith:)"]),
    SafeFormSnippet(name: "span-copy forms", source: """
        func f(span: RawSpan) throws {
            let a = try OwnedBytes(copying: span)
            let b = try SharedBytes.from(span)
            let c = try AllocShim.SharedBytes.from(span, using: .jemalloc)
            send(a, b, c)
        }
        """, safeForms: ["OwnedBytes(copying:)", "SharedBytes.from(_:)", "SharedBytes.from(_:)"]),
    // Look-alikes: the same labels on other types, or without the closure, are neither safe forms
    // nor sites.
    SafeFormSnippet(name: "another type's capacity: initializer with a closure", source: """
        func f(n: Int) {
            let ring = RingBuffer(capacity: n) { output in output.append(0) }
            let pool = Pool.init(unpooledCapacity: n) { _ in }
            let list = Buffers.OwnedBytes(capacity: n) { _ in }
            use(ring, pool, list)
        }
        """, safeForms: []),
    SafeFormSnippet(name: "OwnedBytes(capacity:) without a closure is not the output-span form", source: """
        func f(n: Int) throws { let b = try OwnedBytes(capacity: n); use(b) }
        """, safeForms: []),
    SafeFormSnippet(name: "from(_:) on another type or an instance", source: """
        func f(span: RawSpan, bytes: SharedBytes) throws { use(try Frame.from(span), try bytes.from(span), try SharedBytes.from(label: span)) }
        """, safeForms: []),
    // Look-alikes that must still be flagged.
    SafeFormSnippet(name: "allocUnsafe inside an output-span closure is still a site", source: """
        func f(n: Int) throws -> OwnedBytes {
            try OwnedBytes(capacity: n) { output in
                let scratch = try! SharedBytes.allocUnsafe(n)
                send(scratch)
            }
        }
        """, safeForms: ["OwnedBytes(capacity:initializingWith:)"], siteVerdicts: [.unjustified]),
    SafeFormSnippet(name: "the uninitialized forms are still sites", source: """
        func f(n: Int) throws {
            let b = try SharedBytes.allocUnsafe(n)
            let c = try OwnedBytes(uninitializedCount: n)
            send(b, c)
        }
        """, safeForms: [], siteVerdicts: [.unjustified, .unjustified]),
]

@Suite("Audit: safe-by-construction forms, suggestions and fixes")
struct SafeFormTests {
    @Test(arguments: safeFormSnippets)
    func safeFormsAreCountedNotFound(_ snippet: SafeFormSnippet) {
        let analysis = SourceAnalyzer().analyzeFile(source: snippet.source, file: "s.swift")
        #expect(analysis.safeByConstruction == snippet.safeForms)
        #expect(analysis.findings.map(\.verdict) == snippet.siteVerdicts, "\(analysis.findings.map { "\($0.api) \($0.reason)" })")
    }

    @Test func reportCountsSafeFormsInEveryFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("safeforms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.swift").path
        try safeFormSnippets[3].source.write(toFile: file, atomically: true, encoding: .utf8)
        let report = try Auditor.audit(files: [file])
        #expect(report.findings.isEmpty)
        #expect(report.safeByConstruction == 3)
        #expect(ReportFormat.summary(report).hasSuffix("; 3 safe by construction (output-span and copying initializers)"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ReportFormat.json(report).utf8)) as? [String: Any])
        #expect((json["summary"] as? [String: Any])?["safeByConstruction"] as? Int == 3)
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(ReportFormat.sarif(report).utf8)) as? [String: Any])
        let run = try #require((sarif["runs"] as? [[String: Any]])?.first)
        #expect((run["properties"] as? [String: Any])?["safeByConstruction"] as? Int == 3)
        #expect((run["results"] as? [Any])?.isEmpty == true)
    }

    @Test func boundAllocUnsafeSuggestsTheOutputSpanStatement() throws {
        let source = """
            func f(n: Int) throws -> SharedBytes {
                let b = try SharedBytes.allocUnsafe(n)
                b.withUnsafeMutableBytes { raw in for i in 0..<n / 2 { raw[i] = 1 } }
                return b
            }
            """
        let finding = try #require(SourceAnalyzer().analyze(source: source, file: "s.swift").first)
        #expect(finding.verdict == .unjustified)
        let suggestion = try #require(finding.suggestion)
        #expect(suggestion.hasPrefix("`let b = try SharedBytes(capacity: n) { output in /* append the bytes the writes below produce */ }`"), "\(suggestion)")
        #expect(suggestion.contains("`SharedBytes.alloc(n)`"))
    }

    @Test(arguments: [
        ("let b = try OwnedBytes(uninitializedUnpooledCount: n, using: source)",
         "`let b = try OwnedBytes(unpooledCapacity: n, using: source) { output in"),
        ("var b: SharedBytes = try SharedBytes.allocUnsafeSlow(n)",
         "`var b: SharedBytes = try SharedBytes(unpooledCapacity: n) { output in"),
    ])
    func outputSpanFormKeepsTheArgumentsAndTheDeclaration(_ statement: String, _ expected: String) throws {
        let source = "func f(n: Int, source: BufferSource) throws {\n    \(statement)\n    send(b)\n}\n"
        let finding = try #require(SourceAnalyzer().analyze(source: source, file: "s.swift").first)
        #expect(finding.suggestion?.hasPrefix(expected) == true, "\(finding.suggestion ?? "nil")")
    }

    @Test func unboundAllocUnsafeNamesBothForms() throws {
        let source = "func f(n: Int) throws -> SharedBytes { return try SharedBytes.allocUnsafe(n) }\n"
        let finding = try #require(SourceAnalyzer().analyze(source: source, file: "s.swift").first)
        let suggestion = try #require(finding.suggestion)
        #expect(suggestion.hasPrefix("the output-span form `SharedBytes(capacity: n) { output in /* append the bytes */ }`"), "\(suggestion)")
        #expect(suggestion.contains("the zeroed form `SharedBytes.alloc(n)`"))
    }

    @Test func assignmentInsideAnotherDeclarationsClosureIsNotSpelledAsThatDeclaration() throws {
        let source = "func f(n: Int) { let x = { () throws -> SharedBytes in var b: SharedBytes; b = try SharedBytes.allocUnsafe(n); return b }; use(x) }\n"
        let finding = try #require(SourceAnalyzer().analyze(source: source, file: "s.swift").first)
        #expect(finding.suggestion?.hasPrefix("the output-span form `SharedBytes(capacity: n)") == true, "\(finding.suggestion ?? "nil")")
    }

    @Test func fixReplacesTheCallWithTheZeroedForm() throws {
        let source = """
            func f(n: Int) throws -> OwnedBytes {
                let b = try OwnedBytes(uninitializedCount: n,
                                       using: .jemalloc)
                return b
            }
            """
        let finding = try #require(SourceAnalyzer().analyze(source: source, file: "s.swift").first)
        let fix = try #require(finding.fix)
        #expect(fix.replacement == "OwnedBytes(zeroedCount: n, using: .jemalloc)")
        #expect((fix.startLine, fix.startColumn, fix.endLine, fix.endColumn) == (2, 17, 3, 45))
        #expect(applied(fix, to: source).contains("let b = try OwnedBytes(zeroedCount: n, using: .jemalloc)\n    return b"))
    }

    @Test func noFixWhereTheZeroedFormIsNotKnownToExist() {
        let sources = [
            // Another type's allocUnsafe: its `alloc` may not exist.
            "func f(pool: Pool) throws { let b = try pool.allocUnsafe(64); send(b) }",
            // Not AllocShim's uninitialized buffer forms.
            "func f() { let p = malloc(64); send(p) }",
            // A justified site needs no fix; a fully-overwritten one neither.
            "func f() throws { let b = try SharedBytes.allocUnsafe(64) // allocshim: uninitialized — filled by read(2)\n send(b) }",
            "func f() throws { let b = try SharedBytes.allocUnsafe(64); b.fill(0); send(b) }",
        ]
        for source in sources {
            let findings = SourceAnalyzer().analyze(source: source, file: "s.swift")
            #expect(findings.count == 1 && findings.allSatisfy { $0.fix == nil }, "\(source)")
        }
    }

    /// SARIF 2.1.0 §3.55–3.57: `fixes` → `fix` { description, artifactChanges → { artifactLocation,
    /// replacements → { deletedRegion, insertedContent } } }, and the region's columns in the run's
    /// `columnKind` (UTF-16): an emoji before the call moves the UTF-8 column, not the UTF-16 one's meaning.
    @Test func sarifFixIsWellFormedAndCountsUTF16Columns() throws {
        let source = "func f(n: Int) throws { let s = \"😀\"; let b = try SharedBytes.allocUnsafe(n); send(s, b) }\n"
        let findings = SourceAnalyzer().analyze(source: source, file: "dir/e moji.swift")
        let finding = try #require(findings.first)
        // `SharedBytes.allocUnsafe(n)` starts after 52 UTF-8 bytes / 50 UTF-16 units of the line.
        #expect(finding.column == 53 && finding.utf16Column == 51)
        let sarif = ReportFormat.sarif(AuditReport(findings: findings, fileCount: 1))
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        #expect(run["columnKind"] as? String == "utf16CodeUnits")
        let result = try #require((run["results"] as? [[String: Any]])?.first)
        let fixes = try #require(result["fixes"] as? [[String: Any]])
        #expect(fixes.count == 1)
        let fix = try #require(fixes.first)
        #expect(((fix["description"] as? [String: Any])?["text"] as? String)?.isEmpty == false)
        let changes = try #require(fix["artifactChanges"] as? [[String: Any]])
        #expect(changes.count == 1)
        let location = try #require(changes.first?["artifactLocation"] as? [String: Any])
        #expect(location["uri"] as? String == "dir/e%20moji.swift")
        let replacements = try #require(changes.first?["replacements"] as? [[String: Any]])
        let region = try #require(replacements.first?["deletedRegion"] as? [String: Any])
        let inserted = try #require(replacements.first?["insertedContent"] as? [String: Any])
        #expect(inserted["text"] as? String == "SharedBytes.alloc(n)")
        let call = "SharedBytes.allocUnsafe(n)"
        #expect(region["startLine"] as? Int == 1 && region["endLine"] as? Int == 1)
        #expect(region["startColumn"] as? Int == 51)
        #expect(region["endColumn"] as? Int == 51 + call.utf16.count)
        // The region, read in UTF-16 code units of the line, is exactly the call.
        let line = Array(source.utf16)
        let start = (region["startColumn"] as! Int) - 1, end = (region["endColumn"] as! Int) - 1
        #expect(String(decoding: line[start..<end], as: UTF16.self) == call)
        // The region must match the result's own location.
        let physical = (result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
        #expect((physical?["region"] as? [String: Any])?["startColumn"] as? Int == 51)
    }

    /// The source with `fix` applied (UTF-16 columns, end exclusive).
    private func applied(_ fix: SuggestedFix, to source: String) -> String {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).utf16) }
        let head = Array(lines[fix.startLine - 1][..<(fix.startColumn - 1)])
        let tail = Array(lines[fix.endLine - 1][(fix.endColumn - 1)...])
        lines.replaceSubrange((fix.startLine - 1)...(fix.endLine - 1), with: [head + Array(fix.replacement.utf16) + tail])
        return lines.map { String(decoding: $0, as: UTF16.self) }.joined(separator: "\n")
    }
}
#endif

#if Audit
import AllocShimAudit
import Foundation
import Testing

/// What a pull request can put in front of `allocshim audit` (issue 21, item 4): symbolic-link
/// cycles, nesting that makes swift-syntax's parser take exponential time or overflow the stack,
/// file names that are not URI-safe or break a line. Each must give a finding or an error, never a
/// hang, a crash or a wrong location.
@Suite("Audit hostile inputs")
struct HostileInputTests {
    /// A fresh directory, removed by the caller.
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static let site = "func f() -> UnsafeMutableRawPointer? { let p = malloc(8); return p }\n"

    // MARK: Directory walks

    @Test func aSymbolicLinkCycleIsNotFollowed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.site.write(toFile: directory + "/a.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/self", withDestinationPath: ".")
        // Followed, `self -> .` listed a.swift 41 times (self/self/…/a.swift until ELOOP).
        #expect(try Auditor.swiftFiles(in: [directory]) == [directory + "/a.swift"])
    }

    @Test func aSymbolicLinkToADirectoryIsReportedNotWalked() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: false)
        try Self.site.write(toFile: directory + "/real/a.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "real")
        try FileManager.default.createSymbolicLink(atPath: directory + "/loop", withDestinationPath: ".")
        let inputs = try Auditor.inputs(in: [directory])
        #expect(inputs.files == [directory + "/real/a.swift"])
        #expect(inputs.skipped.map(\.file) == [directory + "/link", directory + "/loop"])
        for finding in inputs.skipped {
            #expect(finding.verdict == .unjustified && finding.rule == .notAnalysed)
            #expect(finding.reason.contains("symbolic link to a directory"))
        }
    }

    @Test func aSwiftFileLinkIsFollowedToItsRegularFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/src", withIntermediateDirectories: false)
        try Self.site.write(toFile: directory + "/outside.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/src/linked.swift", withDestinationPath: "../outside.swift")
        // A linked source is compiled by SwiftPM, so it is audited (under the link's name).
        let inputs = try Auditor.inputs(in: [directory + "/src"])
        #expect(inputs.files == [directory + "/src/linked.swift"])
        let report = try Auditor.audit(inputs)
        #expect(report.findings.map(\.file) == [directory + "/src/linked.swift"])
    }

    @Test func aSwiftNamedFIFOIsReportedNotRead() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(mkfifo(directory + "/pipe.swift", 0o600) == 0)
        // Read, a FIFO blocks the audit for ever.
        let inputs = try Auditor.inputs(in: [directory])
        #expect(inputs.files.isEmpty)
        #expect(inputs.skipped.map(\.reason) == ["not analysed: not a regular file (a FIFO)"])
        #expect(throws: AuditInputError.self) { try Auditor.inputs(in: [directory + "/pipe.swift"]) }
    }

    // MARK: Nesting and time

    @Test func deepArrayNestingIsReportedNotParsed() {
        // swift-syntax 603's lookahead for InlineArray sugar (`[3 of Int]`) tries each `[` twice:
        // 20 levels took 10.8 s, 300 never ended, 3,000 overflowed the stack.
        for depth in [30, 300, 3_000] {
            let source = "let x = " + String(repeating: "[", count: depth) + "a" + String(repeating: "]", count: depth) + "\n"
            let findings = SourceAnalyzer().analyze(source: source, file: "nested.swift")
            #expect(findings.count == 1)
            #expect(findings.first?.verdict == .unjustified)
            #expect(findings.first?.reason.hasPrefix("not analysed: nested deeper than") == true, "\(findings)")
        }
    }

    @Test func deepParenthesesAndBracesAreReportedNotParsed() {
        for (open, close) in [("(", ")"), ("{", "}"), ("\"\\(", ")\"")] {
            let source = "let x = " + String(repeating: open, count: 5_000) + "1" + String(repeating: close, count: 5_000) + "\n"
            let findings = SourceAnalyzer().analyze(source: source, file: "nested.swift")
            #expect(findings.map(\.line) == [1])
            #expect(findings.first?.reason.hasPrefix("not analysed: nested deeper than") == true, "\(open): \(findings)")
        }
    }

    @Test func unbracketedChainsAreReportedNotParsed() {
        // The parser recurses once per link of these chains, brackets or not.
        let chains = [
            "let x = " + String(repeating: "try ", count: 20_000) + "y\n",
            "func f() {\n if a {}" + String(repeating: " else if a {}", count: 20_000) + "\n}\n",
            "let x: " + String(repeating: "() ->\n", count: 20_000) + "() = y\n",
            "let x = " + String(repeating: "A<", count: 20_000) + "B" + String(repeating: ">", count: 20_000) + "()\n",
        ]
        for source in chains {
            let findings = SourceAnalyzer().analyze(source: source, file: "chain.swift")
            #expect(findings.count == 1)
            #expect(findings.first?.reason.hasPrefix("not analysed: nested deeper than 64 levels of") == true, "\(findings)")
        }
    }

    @Test func longButFlatCodeIsAnalysed() {
        // Many statements, guards, requirements and comparisons in one scope are not a chain.
        var source = "protocol P {\n" + String(repeating: "func g() -> Int\n", count: 200) + "}\n"
        source += "func f(a: Int, b: Int) throws -> UnsafeMutableRawPointer? {\n"
        source += String(repeating: "try check()\nguard a<b else { return nil }\nif a<b {} else if b<a {} else {}\n", count: 200)
        source += "let p = malloc(8); return p\n}\n"
        let findings = SourceAnalyzer().analyze(source: source, file: "flat.swift")
        #expect(findings.map(\.api) == ["malloc"], "\(findings)")
    }

    @Test func aSiteThirtyClosuresDeepIsStillFound() {
        // A debug build of swift-syntax stops parsing at nesting level 20 by default, silently
        // dropping what is deeper: an allocation could hide there.
        let depth = 30
        let source = "func f() {\n" + String(repeating: "run {\n", count: depth) + "let p = malloc(8); keep(p)\n"
            + String(repeating: "}\n", count: depth) + "}\n"
        let findings = SourceAnalyzer().analyze(source: source, file: "deep.swift")
        #expect(findings.map(\.api) == ["malloc"], "\(findings)")
        #expect(findings.first?.rule == .escapeBeforeWrite)
    }

    @Test func aLongChainWithoutBracketsIsReportedNotWalked() {
        // `a.b.b.b…` and `x! ! …` nest the syntax tree without a single bracket; the visitors
        // that walk the tree recurse once per level.
        let source = "let x = a" + String(repeating: ".b", count: 3_000) + "\n"
        let findings = SourceAnalyzer().analyze(source: source, file: "chain.swift")
        #expect(findings.count == 1)
        #expect(findings.first?.reason.hasPrefix("not analysed: syntax tree deeper than") == true, "\(findings)")
    }

    @Test func commentsAndStringsDoNotCountAsNesting() {
        let source = #"""
            // ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((
            /* [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ /* nested */ */
            let s = "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
            let r = #"\("(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("#
            let m = """
                \\( [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
                """
            func f() -> UnsafeMutableRawPointer? { let p = malloc(8); return p }
            """#
        let findings = SourceAnalyzer().analyze(source: source, file: "quoted.swift")
        #expect(findings.map(\.api) == ["malloc"], "\(findings)")
    }

    @Test func theTimeLimitGivesAFindingInsteadOfAnAnswer() {
        let analyzer = SourceAnalyzer(limits: AuditLimits(timePerFile: .zero))
        let findings = analyzer.analyze(source: Self.site, file: "slow.swift")
        #expect(findings.count == 1)
        #expect(findings.first?.rule == .notAnalysed)
        #expect(findings.first?.reason == "not analysed: took longer than 0 s")
    }

    @Test func aFileOverTheSizeLimitIsReportedNotRead() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try String(repeating: "// padding\n", count: 200).write(toFile: directory + "/big.swift", atomically: true, encoding: .utf8)
        let report = try Auditor.audit(Auditor.inputs(in: [directory]), limits: AuditLimits(maximumFileBytes: 1_000))
        #expect(report.findings.map(\.reason) == ["not analysed: 2200 bytes, larger than 1000"])
    }

    // MARK: Output

    @Test func sarifURIsAreRFC3986References() throws {
        let cases: [(String, String)] = [
            ("http:evil.swift", "./http:evil.swift"),
            ("a#frag?q.swift", "a%23frag%3Fq.swift"),
            ("dir with space/ü\n.swift", "dir%20with%20space/%C3%BC%0A.swift"),
            ("50%.swift", "50%25.swift"),
            ("./Sources/x.swift", "Sources/x.swift"),
            ("Sources/a:b.swift", "Sources/a:b.swift"),
            ("//host/x.swift", "file:///host/x.swift"),
            ("/abs/[x].swift", "file:///abs/%5Bx%5D.swift"),
        ]
        let findings = cases.map {
            Finding(
                file: $0.0, line: 1, column: 1, api: "malloc", sizeExpression: "8", verdict: .unjustified,
                rule: .uninitializedAllocation, reason: "r")
        }
        let log = try sarifLog(AuditReport(findings: findings, fileCount: cases.count))
        let uris = try results(log).map { result -> String in
            let locations = try #require(result["locations"] as? [[String: Any]])
            let physical = try #require(locations.first?["physicalLocation"] as? [String: Any])
            let artifact = try #require(physical["artifactLocation"] as? [String: Any])
            return try #require(artifact["uri"] as? String)
        }
        #expect(uris == cases.map(\.1))
    }

    @Test func sarifColumnsCountUTF16CodeUnitsAndSaySo() throws {
        // "😀" is 4 UTF-8 bytes and 2 UTF-16 code units: the malloc starts at UTF-8 column 25,
        // UTF-16 column 23.
        let source = "let s = \"😀\"; let p = malloc(8); keep(p)\n"
        let findings = SourceAnalyzer().analyze(source: source, file: "emoji.swift")
        #expect(findings.map(\.column) == [25])
        let log = try sarifLog(AuditReport(findings: findings, fileCount: 1))
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.first?["columnKind"] as? String == "utf16CodeUnits")
        let region = try #require(
            ((try results(log).first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"]
                as? [String: Any])
        #expect(region["startColumn"] as? Int == 23)
    }

    @Test func inputErrorsAreOneEscapedLine() {
        let path = "no\nsuch\u{1B}[31m\u{202E}.swift"
        do {
            _ = try Auditor.swiftFiles(in: [path])
            Issue.record("a missing path was accepted")
        } catch {
            #expect(!error.description.contains("\n"))
            #expect(!error.description.contains("\u{1B}"))
            #expect(error.description.contains(#"no\nsuch\u{1B}[31m\u{202E}.swift"#), "\(error.description)")
        }
    }

    @Test func textOutputKeepsOneFindingPerLine() {
        let finding = Finding(
            file: "a\nb.swift", line: 1, column: 1, api: "malloc", sizeExpression: "8", verdict: .unjustified,
            rule: .uninitializedAllocation, reason: "r")
        let text = ReportFormat.text(AuditReport(findings: [finding], fileCount: 1))
        #expect(text.split(separator: "\n").count == 2, "\(text)")
        #expect(text.hasPrefix(#"a\nb.swift:1:1: unjustified"#))
    }

    private func sarifLog(_ report: AuditReport) throws -> [String: Any] {
        let text = ReportFormat.sarif(report)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func results(_ log: [String: Any]) throws -> [[String: Any]] {
        let runs = try #require(log["runs"] as? [[String: Any]])
        return try #require(runs.first?["results"] as? [[String: Any]])
    }
}
#endif

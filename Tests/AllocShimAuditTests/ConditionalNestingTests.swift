#if Audit
import AllocShimAudit
import Testing

/// Nested `#if` blocks from a pull request (issue 21, item 4, found by the h-attack probes): the
/// parser's time grows faster than their depth, and the per-file time limit is checked only
/// after the parse, so they must be bounded before it, like brackets.
@Suite("Audit: nested #if blocks")
struct ConditionalNestingTests {
    @Test(
        "deeply nested #if blocks, closed or not, are reported at once, not parsed",
        // Before the fix: 20,000 closed took 80 s, 5,000 unclosed 10 s (the time limit is 30 s).
        arguments: [
            String(repeating: "#if X\n", count: 20_000) + String(repeating: "#endif\n", count: 20_000),
            String(repeating: "#if X\n", count: 5_000),
            "func f() {\n" + String(repeating: "#if X\n", count: 65) + "let p = malloc(8); keep(p)\n"
                + String(repeating: "#endif\n", count: 65) + "}\n",
        ])
    func deepConditionalsAreReported(source: String) {
        let clock = ContinuousClock()
        var findings: [Finding] = []
        let elapsed = clock.measure { findings = SourceAnalyzer().analyze(source: source, file: "if.swift") }
        #expect(findings.count == 1)
        #expect(findings.first?.reason.hasPrefix("not analysed: nested deeper than 64 levels of `#if`") == true, "\(findings)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test("#if blocks within the limit, nested or one after another, are analysed")
    func shallowConditionalsAreAnalysed() {
        var source = String(repeating: "#if X\nlet a = 1\n#elseif Y\nlet a = 2\n#else\nlet a = 3\n#endif\n", count: 1_000)
        source +=
            "func f() {\n" + String(repeating: "#if X\n", count: 60) + "let p = malloc(8); keep(p)\n"
            + String(repeating: "#endif\n", count: 60) + "}\n"
        // Neither `#iffy` (a macro), `#endif` without `#if`, nor text in strings and comments counts.
        source += "let s = \"" + String(repeating: "#if ", count: 100) + "\"\n// " + String(repeating: "#if ", count: 100) + "\n"
        source += String(repeating: "#iffy\n", count: 100) + String(repeating: "#endif\n", count: 100)
        let findings = SourceAnalyzer().analyze(source: source, file: "flat.swift")
        #expect(findings.map(\.api) == ["malloc"], "\(findings)")
    }
}
#endif

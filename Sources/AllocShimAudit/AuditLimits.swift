#if Audit
/// How much one file may ask of the audit. A pull request chooses the files the audit reads,
/// so each bound turns a hang, a crash or an exhausted machine into a finding that names the
/// file ("not analysed: …"), counted as unjustified so that `--fail-on unjustified` fails
/// closed: nothing can hide behind a limit.
package struct AuditLimits: Sendable, Equatable {
    /// Brackets — `(`, `[`, `{`, string interpolations — nested deeper than this are not parsed.
    /// swift-syntax 603's parser recurses once per level, and its lookahead for InlineArray type
    /// sugar (`[3 of Int]`) recurses without any bound and tries each `[` twice, so its time
    /// doubles with every nested `[` (measured in a debug build: 20 levels 10.8 s) and 3,000
    /// levels overflow the stack. The parser is also given this as its `maximumNestingLevel`.
    package var maximumNesting: Int
    /// `[` nested deeper than this (counted among `maximumNesting`) is not parsed: with the doubling
    /// above, 12 levels cost about 2^12 lookahead steps (1.1 s in a debug build on a loaded 2-core
    /// machine, 16 levels 13.6 s; docs/audit.md).
    package var maximumSquareNesting: Int
    /// A syntax tree deeper than this (member chains such as `a.b.b.b…` nest without brackets)
    /// is not analysed: swift-syntax's visitors and ours recurse once per level.
    package var maximumTreeDepth: Int
    /// Larger files are not read.
    package var maximumFileBytes: Int
    /// A file whose analysis runs longer than this stops and gets a finding instead of an answer.
    /// The clock is read before and after parsing and before each site is judged; the limits above
    /// keep the parse itself short.
    package var timePerFile: Duration

    /// Creates limits; the defaults are far above what hand-written Swift needs (this
    /// repository's sources pass them, `make test-audit`).
    package init(
        maximumNesting: Int = 64, maximumSquareNesting: Int = 12, maximumTreeDepth: Int = 1_000,
        maximumFileBytes: Int = 8 << 20, timePerFile: Duration = .seconds(30)
    ) {
        self.maximumNesting = maximumNesting
        self.maximumSquareNesting = maximumSquareNesting
        self.maximumTreeDepth = maximumTreeDepth
        self.maximumFileBytes = maximumFileBytes
        self.timePerFile = timePerFile
    }
}

extension Duration {
    /// `30 s`, `0.5 s`: how a limit is named in a finding.
    var secondsText: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(Double(seconds) + Double(attoseconds) / 1e18) s"
    }
}
#endif

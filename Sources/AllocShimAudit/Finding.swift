#if Audit
/// One uninitialized allocation site and what the audit made of it.
package struct Finding: Sendable, Equatable {
    /// The file as given on the command line (or found under a given directory).
    package var file: String
    /// 1-based line of the allocating call.
    package var line: Int
    /// 1-based column (UTF-8 bytes, as compilers count) of the allocating call.
    package var column: Int
    /// The same column in UTF-16 code units (SARIF's `utf16CodeUnits`, what editors count).
    package var utf16Column: Int
    /// The API, e.g. `UnsafeMutableRawPointer.allocate(byteCount:alignment:)` or `malloc`.
    package var api: String
    /// The requested size as written in the source (`nil` when the API has none, e.g. `moveWriterIndex(to:)`).
    package var sizeExpression: String?
    /// The verdict.
    package var verdict: Verdict
    /// The rule: for unjustified sites the most specific reason; for justified ones the rule
    /// the marker suppresses.
    package var rule: Rule
    /// Why, in one sentence (with the line of the write, branch or escape when there is one).
    package var reason: String
    /// The marker's reason, for justified sites.
    package var justification: String?
    /// The safe replacement `--suggest` prints (unjustified sites only).
    package var suggestion: String?
    /// A compilable, behaviour-keeping replacement of the call (unjustified AllocShim
    /// `allocUnsafe`/`uninitializedCount` forms only), emitted as a SARIF `fix`.
    package var fix: SuggestedFix?

    /// Creates a finding.
    package init(
        file: String, line: Int, column: Int, api: String, sizeExpression: String?, verdict: Verdict, rule: Rule,
        reason: String, justification: String? = nil, suggestion: String? = nil, utf16Column: Int? = nil
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.utf16Column = utf16Column ?? column
        self.api = api
        self.sizeExpression = sizeExpression
        self.verdict = verdict
        self.rule = rule
        self.reason = reason
        self.justification = justification
        self.suggestion = suggestion
    }
}
#endif

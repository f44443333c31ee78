#if Audit
/// A replacement that keeps the code compiling and its behaviour, offered in SARIF as a `fix`
/// (SARIF 2.1.0 §3.55) on an unjustified site: AllocShim's uninitialized forms rewritten to their
/// zeroed forms (`SharedBytes.allocUnsafe(n)` → `SharedBytes.alloc(n)`, same arguments, same
/// result type and errors; the bytes nobody wrote read as zero instead of garbage).
///
/// The output-span form is the better change but not a mechanical one: its count is what the
/// closure appends, so the writes that follow the allocation must move into the closure, and a
/// replacement of the call alone would leave an empty buffer. It is the text suggestion instead.
package struct SuggestedFix: Sendable, Equatable {
    /// What the fix does, one sentence (SARIF `fix.description.text`).
    package var description: String
    /// 1-based line and UTF-16 column (the run's `columnKind`) of the first character replaced.
    package var startLine: Int
    package var startColumn: Int
    /// 1-based line and UTF-16 column just past the last character replaced (SARIF regions end
    /// exclusively, §3.30.7).
    package var endLine: Int
    package var endColumn: Int
    /// The text put in place of the region.
    package var replacement: String

    /// Creates a fix.
    package init(description: String, startLine: Int, startColumn: Int, endLine: Int, endColumn: Int, replacement: String) {
        self.description = description
        self.startLine = startLine
        self.startColumn = startColumn
        self.endLine = endLine
        self.endColumn = endColumn
        self.replacement = replacement
    }
}
#endif

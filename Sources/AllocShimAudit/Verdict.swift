#if Audit
/// What the audit concluded about one uninitialized allocation site.
package enum Verdict: String, Sendable, CaseIterable, Comparable {
    /// A marker comment (`// allocshim: uninitialized — <reason>`) gives the codebase's reason.
    case justified
    /// The analyzer saw a complete overwrite before any other use (rules in docs/audit.md).
    case fullyOverwritten = "fully-overwritten"
    /// Neither: the reviewer's queue.
    case unjustified

    /// Orders verdicts by how much attention they need (justified first, unjustified last).
    package static func < (lhs: Verdict, rhs: Verdict) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
#endif

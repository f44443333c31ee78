#if Audit
/// The audit's rules. Every site carries one: the most specific reason it could not be proven
/// safe (or, for sites that were, `uninitializedAllocation`). IDs are stable: SARIF consumers
/// and suppressions refer to them.
package enum Rule: String, Sendable, CaseIterable {
    case uninitializedAllocation = "AS001"
    case branchBeforeWrite = "AS002"
    case partialLoopWrite = "AS003"
    case throwBeforeWrite = "AS004"
    case sizeMismatch = "AS005"
    case untrustedSize = "AS006"
    case escapeBeforeWrite = "AS007"
    case emptyReason = "AS008"
    case exposedCount = "AS009"
    case reallocTail = "AS010"
    case notAnalysed = "AS011"

    /// The rule's stable ID (`AS001` …).
    package var id: String { rawValue }

    /// A short kebab-case name, used in text output and as SARIF `name`.
    package var name: String {
        switch self {
        case .uninitializedAllocation: return "uninitialized-allocation"
        case .branchBeforeWrite: return "branch-before-write"
        case .partialLoopWrite: return "partial-loop-write"
        case .throwBeforeWrite: return "throw-before-write"
        case .sizeMismatch: return "size-mismatch"
        case .untrustedSize: return "untrusted-size"
        case .escapeBeforeWrite: return "escape-before-write"
        case .emptyReason: return "empty-reason"
        case .exposedCount: return "exposed-count"
        case .reallocTail: return "realloc-tail"
        case .notAnalysed: return "not-analysed"
        }
    }

    /// One sentence: what the rule flags.
    package var summary: String {
        switch self {
        case .uninitializedAllocation:
            return "Uninitialized allocation with no complete overwrite visible in the same scope."
        case .branchBeforeWrite:
            return "A branch or early exit between the allocation and the write: on some path the buffer is used unwritten."
        case .partialLoopWrite:
            return "The buffer is written in a loop that may write fewer bytes than were allocated."
        case .throwBeforeWrite:
            return "A `try` or do/catch between the allocation and the complete write may expose a partly written buffer."
        case .sizeMismatch:
            return "The write covers a length that is not (provably) the allocated size."
        case .untrustedSize:
            return "Uninitialized allocation sized by a parameter or a decoded length (the `estimatedSize` leak)."
        case .escapeBeforeWrite:
            return "The buffer is returned, stored, passed on or read before it is completely written."
        case .emptyReason:
            return "An allocshim marker without a reason (or with only a TODO) justifies nothing."
        case .exposedCount:
            return "The initialized count handed back (initializedCount, the closure's result, moveWriterIndex) is not tied to bytes the code wrote."
        case .reallocTail:
            return "realloc keeps the old bytes and leaves the grown tail uninitialized."
        case .notAnalysed:
            return "A file or link the audit did not analyse (nested too deep, too large, too slow, not a regular file, "
                + "a directory link): nothing in it is proven."
        }
    }

    /// Where the rule is documented.
    package var helpURI: String {
        "https://github.com/allocshim/allocshim/blob/main/docs/audit.md#\(rawValue.lowercased())-\(name)"
    }
}
#endif

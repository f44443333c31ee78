import AllocShim
import CAllocShims
import CAllocShimsBench

/// The chapter's benchmark scenarios, by the names used on the command line and in reports.
package enum BenchScenario: String, CaseIterable, Sendable, Codable {
    case alloc100B = "alloc-100B"
    case allocUnsafe100B = "allocUnsafe-100B"
    case allocUnsafeSlow100B = "allocUnsafeSlow-100B"
    case alloc10KiB = "alloc-10KiB"
    case allocUnsafe10KiB = "allocUnsafe-10KiB"
    case allocUnsafeSlow10KiB = "allocUnsafeSlow-10KiB"
    case alloc1MiB = "alloc-1MiB"
    case allocUnsafe1MiB = "allocUnsafe-1MiB"
    case allocUnsafeSlow1MiB = "allocUnsafeSlow-1MiB"
    case fromString1MiB = "from-string-1MiB"
    case fromBuffer1MiB = "from-buffer-1MiB"

    /// Bytes per buffer.
    package var size: Int {
        switch self {
        case .alloc100B, .allocUnsafe100B, .allocUnsafeSlow100B: return 100
        case .alloc10KiB, .allocUnsafe10KiB, .allocUnsafeSlow10KiB: return 10 * 1024
        default: return 1 << 20
        }
    }

    /// The allocation form the Swift side uses; `nil` for the `from-*` copies.
    package var form: AllocationForm? {
        switch self {
        case .alloc100B, .alloc10KiB, .alloc1MiB: return .alloc
        case .allocUnsafe100B, .allocUnsafe10KiB, .allocUnsafe1MiB: return .allocUnsafe
        case .allocUnsafeSlow100B, .allocUnsafeSlow10KiB, .allocUnsafeSlow1MiB: return .allocUnsafeSlow
        case .fromString1MiB, .fromBuffer1MiB: return nil
        }
    }

    /// The C baseline's operation: zeroed for alloc, uninitialized for the unsafe forms,
    /// allocate-and-copy for the `from-*` scenarios.
    var baselineOperation: CAllocShims_BaselineOperation {
        switch self {
        case .alloc100B, .alloc10KiB, .alloc1MiB: return CAllocShims_BaselineZeroed
        case .fromString1MiB, .fromBuffer1MiB: return CAllocShims_BaselineCopy
        default: return CAllocShims_BaselineUninitialized
        }
    }

    /// Parses a scenario name; the error names every valid one.
    package init(parsing name: String) throws(MeasureError) {
        guard let scenario = BenchScenario(rawValue: name) else {
            throw .invalidArgument("unknown scenario '\(name)'; valid scenarios are: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = scenario
    }
}

/// A bad argument or a failed measurement step, with a message for the user.
package struct MeasureError: Error, CustomStringConvertible, Equatable {
    /// The message shown to the user.
    package let description: String
    /// A bad argument: an unknown name, a value out of range.
    package static func invalidArgument(_ message: String) -> MeasureError { MeasureError(description: message) }
    /// A measurement step that could not complete, such as an allocation failing mid-run.
    package static func failed(_ message: String) -> MeasureError { MeasureError(description: message) }
}

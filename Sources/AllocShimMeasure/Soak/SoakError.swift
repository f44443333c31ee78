/// Why a soak could not run; one line naming the bad value and what is allowed.
package enum SoakError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A workload or command option is out of range.
    case badValue(name: String, value: String, allowed: String)
    /// The service executable is missing.
    case serviceMissing(path: String, hint: String)
    /// The service did not answer /healthz in time (its log's last lines attached).
    case serviceDidNotStart(label: String, log: String)
    /// The process allocator could not be set up or verified.
    case processAllocator(ProcessAllocatorError)
    /// A field of a soak.json read back (`--replot`) is out of range or not allowed text.
    case badReportField(field: String, value: String, allowed: String)
    /// `--release-cost-only` measured nothing (exit status 0 with an empty table would read as success).
    case nothingMeasured

    /// Whether the error is about the user's input (status 2) rather than a run that failed
    /// (status 1); see ``ProcessAllocatorError/isBadInput``.
    package var isBadInput: Bool {
        switch self {
        case .badValue, .serviceMissing, .badReportField: true
        case .serviceDidNotStart, .nothingMeasured: false
        case .processAllocator(let error): error.isBadInput
        }
    }

    /// One line.
    package var description: String {
        switch self {
        case .badValue(let name, let value, let allowed): "\(name) \(value) is not allowed; expected \(allowed)"
        case .serviceMissing(let path, let hint): "service executable \(path) not found; \(hint)"
        case .serviceDidNotStart(let label, let log): "the service under \(label) did not answer /healthz within 30 s: \(log)"
        case .processAllocator(let error): error.description
        case .badReportField(let field, let value, let allowed): "soak.json field \(field) = \(value) is not allowed; expected \(allowed)"
        case .nothingMeasured:
            "no release cost was measured under any configuration (the lines above say why; an allocshim built with "
                + "the Jemalloc trait cannot measure them: build it with --disable-default-traits, as make soak does)"
        }
    }
}

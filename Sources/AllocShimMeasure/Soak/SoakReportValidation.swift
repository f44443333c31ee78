import AllocShim

/// A soak.json read back (`allocshim soak --replot`) is input like any other: every field is
/// checked before anything is drawn, so a file cannot crash the charts (a zero burst or idle
/// length divides by zero in ``SoakWorkload/isBurst(atSecond:)``), hang them (a duration of
/// 10^15 seconds is a loop per second; 1e308 MiB makes the axis infinite) or make them huge.
/// Labels are escaped where they are written (``SoakText``), and control characters are refused here.
extension SoakReport {
    /// Most runs a report may hold: 20 repetitions of 64 configurations.
    package static let maximumRuns = 1280
    /// Largest resident set, anonymous set or per-second echo a sample may state: 16 TiB, in MiB.
    package static let maximumMebibytes = 16_777_216.0
    /// Slowest latency and release call a report may state: one hour, in milliseconds.
    package static let maximumMilliseconds = 3_600_000.0

    /// Checks every field; the error names the field (`runs[2].samples[7].residentMiB`), its
    /// value and what is allowed.
    package func validate() throws(SoakError) {
        try Self.checkText("date", date, maximumLength: 64)
        try Self.checkText("machine", machine, maximumLength: 1024)
        try Self.checkText("command", command, maximumLength: 16384)
        let load = workload
        try Self.check("workload.connections", load.connections, 1...512)
        try Self.check("workload.burstSeconds", load.burstSeconds, 1...3600)
        try Self.check("workload.idleSeconds", load.idleSeconds, 1...3600)
        try Self.check("workload.durationSeconds", load.durationSeconds, (load.burstSeconds + load.idleSeconds)...86_400)
        try Self.check("workload.minimumBodyBytes", load.minimumBodyBytes, 1...(64 << 20))
        try Self.check("workload.maximumBodyBytes", load.maximumBodyBytes, load.minimumBodyBytes...(64 << 20))
        try Self.check("workload.tenants", load.tenants, 0...63)
        try Self.check("workload.maximumRequests", load.maximumRequests, 1...100_000_000)
        try Self.check("runs (count)", runs.count, 0...Self.maximumRuns)
        for (index, run) in runs.enumerated() {
            let field = "runs[\(index)]"
            try Self.checkText("\(field).label", run.label, maximumLength: 256, allowEmpty: false)
            try Self.check("\(field).repetition", run.repetition, 1...20)
            try Self.checkText("\(field).mallocLibrary", run.mallocLibrary, maximumLength: 4096)
            try Self.checkText("\(field).serviceBufferBackend", run.serviceBufferBackend, maximumLength: 64)
            try Self.check("\(field).samples (count)", run.samples.count, 0...load.durationSeconds)
            for (sampleIndex, sample) in run.samples.enumerated() {
                let name = "\(field).samples[\(sampleIndex)]"
                try Self.check("\(name).second", sample.second, 0...(load.durationSeconds - 1))
                try Self.check("\(name).residentMiB", sample.residentMiB, 0...Self.maximumMebibytes)
                try Self.check("\(name).anonymousMiB", sample.anonymousMiB, 0...Self.maximumMebibytes)
                try Self.check("\(name).mebibytes", sample.mebibytes, 0...Self.maximumMebibytes)
                try Self.check("\(name).requests", sample.requests, 0...load.maximumRequests)
                try Self.check("\(name).errors", sample.errors, 0...load.maximumRequests)
                if let value = sample.p50Milliseconds { try Self.check("\(name).p50Milliseconds", value, 0...Self.maximumMilliseconds) }
                if let value = sample.p99Milliseconds { try Self.check("\(name).p99Milliseconds", value, 0...Self.maximumMilliseconds) }
            }
        }
        try Self.check("releaseCosts (count)", releaseCosts.count, 0...Self.maximumRuns)
        let families = AllocShim.ProcessAllocator.Family.allCases.map(\.rawValue)
        for (index, cost) in releaseCosts.enumerated() {
            let field = "releaseCosts[\(index)]"
            try Self.checkText("\(field).label", cost.label, maximumLength: 256)
            if let allocator = cost.allocator, !families.contains(allocator) {
                throw .badReportField(
                    field: "\(field).allocator", value: SoakText.quoted(allocator),
                    allowed: "one of \(families.joined(separator: ", ")) or null")
            }
            let microseconds = 0...(Self.maximumMilliseconds * 1000)
            try Self.check("\(field).medianMicroseconds", cost.medianMicroseconds, microseconds)
            try Self.check("\(field).minimumMicroseconds", cost.minimumMicroseconds, microseconds)
            try Self.check("\(field).maximumMicroseconds", cost.maximumMicroseconds, microseconds)
            try Self.check("\(field).medianReleasedMiB", cost.medianReleasedMiB, -Self.maximumMebibytes...Self.maximumMebibytes)
        }
    }

    private static func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws(SoakError) {
        guard range.contains(value) else {
            throw .badReportField(field: field, value: String(value), allowed: "\(range.lowerBound) … \(range.upperBound)")
        }
    }

    private static func check(_ field: String, _ value: Double, _ range: ClosedRange<Double>) throws(SoakError) {
        // NaN and the infinities are outside every range.
        guard range.contains(value) else {
            throw .badReportField(field: field, value: String(value), allowed: "a number in \(range.lowerBound) … \(range.upperBound)")
        }
    }

    private static func checkText(_ field: String, _ value: String, maximumLength: Int, allowEmpty: Bool = true) throws(SoakError) {
        if !allowEmpty, value.isEmpty { throw .badReportField(field: field, value: "''", allowed: "a non-empty text") }
        let length = value.unicodeScalars.count
        if length > maximumLength {
            throw .badReportField(field: field, value: SoakText.quoted(value), allowed: "at most \(maximumLength) characters")
        }
        if value.unicodeScalars.contains(where: SoakText.isControl) {
            throw .badReportField(
                field: field, value: SoakText.quoted(value), allowed: "text without control characters or bidirectional overrides")
        }
    }
}

/// Text from a soak (labels, allocator names) made safe for the places it is written.
package enum SoakText {
    /// C0 and C1 controls, DEL and the bidirectional overrides (as ``EnvironmentVariable/displayed(_:)``).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `'value'` for an error message: escaped and cut as every environment value is.
    static func quoted(_ value: String) -> String { "'\(EnvironmentVariable.displayed(value))'" }

    /// Controls written as `\u{1B}`, so they can neither break a line nor drive a terminal, nor
    /// make the XML of an SVG invalid.
    package static func withoutControls(_ text: String) -> String {
        text.unicodeScalars.map { isControl($0) ? "\\u{" + String($0.value, radix: 16, uppercase: true) + "}" : String($0) }.joined()
    }

    /// `text` as literal text in a Markdown table cell (CommonMark with GFM tables): controls
    /// written out, and every character that could end the cell (`|`), start markup (links,
    /// images, emphasis, code, HTML, entities, headings) or an escape backslash-escaped. An
    /// underscore inside a word is left alone (it cannot emphasise there: `dirty_decay_ms`).
    package static func markdownCell(_ text: String) -> String {
        let scalars = Array(withoutControls(text).unicodeScalars)
        var result = ""
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "\\", "`", "*", "[", "]", "<", ">", "|", "#", "!", "(", ")", "~", "&", "{", "}", "$", "^":
                result += "\\" + String(scalar)
            case "_":
                let before = index > 0 && isWordScalar(scalars[index - 1])
                let after = index + 1 < scalars.count && isWordScalar(scalars[index + 1])
                result += before && after ? "_" : "\\_"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
    }
}

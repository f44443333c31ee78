import AllocShim
import AllocShimMeasure
import ArgumentParser

/// Parsers for option values. Each one's error says what is allowed; ArgumentParser puts the
/// bad value and the option in front ("The value '-1' is invalid for '--size <size>': ...").
///
/// Options using them are declared with `parsing: .unconditional` (or
/// `.unconditionalSingleValue` for repeatable ones), so a value starting with "-" (`--size -1`)
/// reaches the parser and is rejected for what it is, instead of being read as an option and
/// reported as a missing value.
enum ArgumentValue {
    /// A whole number within `range`, e.g. "allowed: a whole number from 1 to 100000".
    static func integer(in range: ClosedRange<Int>, unit: String = "") -> @Sendable (String) throws -> Int {
        { text in
            guard let value = Int(text), range.contains(value) else {
                throw ValidationError("allowed: a whole number\(unit.isEmpty ? "" : " of \(unit)") from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
    }

    /// An in-process backend name (``BackendVocabulary``: a process-allocator-only name says
    /// where it applies).
    @Sendable
    static func backend(_ text: String) throws -> BackendName { try BackendVocabulary.inProcess(text) }

    /// A benchmark scenario name.
    @Sendable
    static func benchScenario(_ text: String) throws -> BenchScenario { try caseNamed(text) }

    /// A thread benchmark workload name.
    @Sendable
    static func threadWorkload(_ text: String) throws -> ThreadWorkload { try caseNamed(text) }

    /// A thread benchmark block form name.
    @Sendable
    static func blockForm(_ text: String) throws -> BlockForm { try caseNamed(text) }

    /// A residue scenario name.
    @Sendable
    static func residueScenario(_ text: String) throws -> ResidueScenario { try caseNamed(text) }

    /// The case of `Name` spelled `text`; the error lists every spelling allowed.
    private static func caseNamed<Name: RawRepresentable & CaseIterable>(_ text: String) throws -> Name where Name.RawValue == String {
        guard let value = Name(rawValue: text) else {
            throw ValidationError("allowed: \(Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// The ranges of the counts the commands take: wide enough for any real use, narrow enough
/// that a typo (an extra zero or three) is an error instead of an hour-long run.
enum ArgumentRange {
    static let rounds = 1...100_000
    static let iterations = 1...10_000_000
    static let repetitions = 1...1_000
    static let benchProcesses = BenchRunner.processRange
    static let residueSize = 1...ResidueRunner.maximumSize
    static let falsePositiveBuffers = 1...100_000_000

    /// "1 to 100000", for help texts.
    static func text(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound) to \(range.upperBound)" }

    /// A count's help with its range and default, e.g. "Repetitions (1 to 1000; default: 5)."
    /// ArgumentParser shows no default for an option parsed by a transform, so the text says it.
    static func help(_ text: String, _ range: ClosedRange<Int>, default value: Int, note: String = "") -> String {
        "\(text) (\(Self.text(range)); default: \(value)\(note.isEmpty ? "" : "; \(note)"))."
    }
}

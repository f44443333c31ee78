#if Audit
import SwiftSyntax

/// The marker that justifies an uninitialized allocation, in the codebase's own words:
///
///     // allocshim: uninitialized — every byte is overwritten by read(2) before the count is published
///
/// The separator after `uninitialized` may be `—`, `–`, `--`, `-` or `:`. The reason is
/// required; an empty one, or one that is only a TODO, is itself a finding (`AS008`).
package struct Marker: Sendable, Equatable {
    /// 1-based line of the comment.
    package var line: Int
    /// The reason after the separator, trimmed (may be empty).
    package var reason: String

    /// Whether the reason says something: not empty and not just a TODO placeholder.
    package var hasReason: Bool {
        let lowered = reason.lowercased()
        if reason.isEmpty { return false }
        if lowered.hasPrefix("todo") { return false }
        return true
    }

    /// Parses the text of one comment (including its `//` or `/*`); nil when it is not a marker.
    package static func parse(comment: String, line: Int) -> Marker? {
        var text = Substring(comment)
        for opener in ["///", "//", "/**", "/*"] where text.hasPrefix(opener) {
            text = text.dropFirst(opener.count)
            break
        }
        if text.hasSuffix("*/") { text = text.dropLast(2) }
        text = text.drop(while: { $0 == " " || $0 == "\t" })
        guard text.hasPrefix("allocshim:") else { return nil }
        text = text.dropFirst("allocshim:".count).drop(while: { $0 == " " || $0 == "\t" })
        guard text.hasPrefix("uninitialized") else { return nil }
        text = text.dropFirst("uninitialized".count).drop(while: { $0 == " " || $0 == "\t" })
        for separator in ["—", "–", "--", "-", ":"] where text.hasPrefix(separator) {
            text = text.dropFirst(separator.count)
            break
        }
        let reason = text.trimmingWhitespace()
        return Marker(line: line, reason: reason)
    }
}

/// Every marker of one file, and which lines hold nothing but comments, so a marker can be
/// matched to the statement below it.
struct MarkerIndex {
    private var markersByLine: [Int: Marker] = [:]
    private var linesWithCode: Set<Int> = []

    init(tree: SourceFileSyntax, converter: SourceLocationConverter) {
        for token in tree.tokens(viewMode: .sourceAccurate) {
            if token.tokenKind != .endOfFile {
                linesWithCode.insert(token.positionAfterSkippingLeadingTrivia.line(converter))
            }
            var position = token.position
            for piece in token.leadingTrivia {
                record(piece, at: position, converter: converter)
                position += piece.sourceLength
            }
            position = token.endPositionBeforeTrailingTrivia
            for piece in token.trailingTrivia {
                record(piece, at: position, converter: converter)
                position += piece.sourceLength
            }
        }
    }

    private mutating func record(_ piece: TriviaPiece, at position: AbsolutePosition, converter: SourceLocationConverter) {
        let text: String
        switch piece {
        case .lineComment(let t), .blockComment(let t), .docLineComment(let t), .docBlockComment(let t): text = t
        default: return
        }
        let line = position.line(converter)
        if let marker = Marker.parse(comment: text, line: line) { markersByLine[line] = marker }
    }

    /// The marker for a statement spanning `firstLine...siteLine`: on one of those lines
    /// (a trailing comment), or in the block of comment-only lines directly above `firstLine`.
    func marker(statementLine firstLine: Int, siteLine: Int) -> Marker? {
        for line in firstLine...max(firstLine, siteLine) {
            if let marker = markersByLine[line] { return marker }
        }
        var line = firstLine - 1
        while line > 0, !linesWithCode.contains(line) {
            if let marker = markersByLine[line] { return marker }
            line -= 1
            if firstLine - line > 40 { break }
        }
        return nil
    }
}

extension AbsolutePosition {
    func line(_ converter: SourceLocationConverter) -> Int { converter.location(for: self).line }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
#endif

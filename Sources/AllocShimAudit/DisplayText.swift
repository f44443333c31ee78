#if Audit
/// `text` made safe to print on one line of a terminal or a log: control characters,
/// backslashes, line and paragraph separators and the bidirectional controls that reorder what
/// follows are written as Swift escapes (`\n`, `\u{1B}`, `\u{202E}`). A file name comes from
/// the pull request under audit; printed raw it could break a line (and fake a finding or an
/// error), move the cursor or recolour the terminal. The same convention as AllocShim's
/// `EnvironmentKey.displayed`, without its cut: a path is shown whole.
package func displayed(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        // C0 and C1 controls, DEL, LRM/RLM/ALM, line and paragraph separators, bidirectional
        // embeddings, overrides and isolates.
        case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{061C}", "\u{200E}", "\u{200F}", "\u{2028}"..."\u{202E}",
            "\u{2066}"..."\u{2069}":
            out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
#endif

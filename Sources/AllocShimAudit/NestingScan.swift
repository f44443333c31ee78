#if Audit
/// The first place a Swift source nests brackets deeper than the audit's limits, found by a
/// single pass over its bytes, before swift-syntax sees it: the parser's InlineArray lookahead
/// has no depth bound of its own (see `AuditLimits`), so the depth must be known before parsing.
///
/// It counts `(`, `[`, `{` and string interpolations `\(` outside comments and string literals
/// (nested `/* */` comments, `"…"`, `"""…"""`, raw `#"…"#` strings with their own `\#(`). It
/// does not know regex literals: brackets inside one are counted, which can only make it report
/// a file as too deep, never miss one. Unbalanced closing brackets are ignored.
///
/// The parser also recurses without a bracket, once per element of a chain, and those chains are
/// bounded by the same `maximumNesting`: prefix keywords in a row (`try try try …`, `await`,
/// `unsafe`, `consume`, `copy`, `each`), `} else if` chains, function-type arrows
/// (`() -> () -> …`) and generic argument lists opened by `Name<` (whose lookahead is unbounded
/// like the InlineArray one). Each is counted within its bracket level and restarts where the
/// chain visibly ends (an `else` chain at a `}` not followed by `else`; arrows and `<` at `{`, `}`,
/// `;`, `=` or a line break that neither ends nor starts with the chain's token).
///
/// `#if` blocks nest too, bounded by the same `maximumNesting` and counted apart from brackets:
/// the parser's time grows faster than their depth and is not bounded by `timePerFile`, which is
/// checked only after the parse (20,000 nested `#if` took 80 s, 5,000 unclosed ones 10 s). A
/// directive's name is not read as a keyword: `#else` continues no `else if` chain.
struct NestingScan {
    /// Where and why a limit was passed.
    struct Excess: Equatable {
        var line: Int
        var description: String
    }

    private enum FrameKind {
        case file, paren, square, brace
        /// `\(` inside a string: a `)` at this level resumes the string.
        case interpolation(hashes: Int, multiline: Bool)
    }

    /// One bracket level and the unbracketed chains counted in it.
    private struct Frame {
        var kind: FrameKind
        /// `} else` links in the current if-chain.
        var elseChain = 0
        /// The last token at this level closed a `{ }` (an if-chain continues only with `else`).
        var afterBlock = false
        var arrows = 0
        var angles = 0

        init(_ kind: FrameKind) { self.kind = kind }
    }

    private static let prefixKeywords: Set<String> = ["try", "await", "unsafe", "consume", "copy", "each"]

    private enum Mode {
        case code
        case string(hashes: Int, multiline: Bool)
    }

    static func firstExcess(in bytes: [UInt8], limits: AuditLimits) -> Excess? {
        var stack: [Frame] = [Frame(.file)]
        var squares = 0
        /// Open `#if` blocks (`#endif` closes one; unbalanced ones are ignored).
        var conditionals = 0
        var line = 1
        var mode = Mode.code
        var i = 0
        let n = bytes.count
        /// Prefix keywords in a row (`?`/`!` after `try` do not break the row).
        var prefixRun = 0
        /// The previous significant token was `->` / `<` / `,` (a chain continues over a line break).
        var lastToken: UInt8 = 0
        var sawLineBreak = false
        func at(_ index: Int) -> UInt8? { index < n ? bytes[index] : nil }
        func hashes(from index: Int) -> Int {
            var k = 0
            while at(index + k) == UInt8(ascii: "#") { k += 1 }
            return k
        }
        func chain(_ count: Int, _ what: String) -> Excess? {
            count > limits.maximumNesting
                ? Excess(line: line, description: "nested deeper than \(limits.maximumNesting) levels of \(what) (line \(line))") : nil
        }
        /// The end of the directive or macro name after the `#` at `index` (`#if`, `#else`,
        /// `#available`, `#stringify`), counting `#if` and `#endif`.
        func directive(at index: Int) -> (end: Int, excess: Excess?) {
            var end = index + 1
            while let c = at(end),
                c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
                    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            {
                end += 1
            }
            let name = bytes[(index + 1)..<end]
            if name.elementsEqual("if".utf8) {
                conditionals += 1
                return (end, chain(conditionals, "`#if`"))
            }
            if name.elementsEqual("endif".utf8) { conditionals = max(0, conditionals - 1) }
            return (end, nil)
        }
        /// Called before each significant token (`byte` is its first byte, `word` its text when
        /// it is a word): ends the chains this token ends.
        func significant(_ byte: UInt8, word: String?) -> Excess? {
            let top = stack.count - 1
            if stack[top].afterBlock {
                stack[top].afterBlock = false
                if word != "else" { stack[top].elseChain = 0 }
            }
            if sawLineBreak {
                sawLineBreak = false
                let continuesArrow = lastToken == UInt8(ascii: ">") || (byte == UInt8(ascii: "-") && at(i + 1) == UInt8(ascii: ">"))
                if !continuesArrow { stack[top].arrows = 0 }
                if lastToken != UInt8(ascii: "<"), lastToken != UInt8(ascii: ","), byte != UInt8(ascii: ">") { stack[top].angles = 0 }
            }
            if let word, prefixKeywords.contains(word) {
                prefixRun += 1
                if let excess = chain(prefixRun, "prefix keywords in a row (try, await, …)") { return excess }
            } else if !(prefixRun > 0 && (byte == UInt8(ascii: "?") || byte == UInt8(ascii: "!"))) {
                prefixRun = 0
            }
            if word == "else" {
                stack[top].elseChain += 1
                if let excess = chain(stack[top].elseChain, "`else if`") { return excess }
            }
            return nil
        }
        // Chains are counted per level, so the parser's unbracketed recursion is at most about
        // `maximumNesting` chain links times `maximumNesting` levels: the analysis stack covers that.
        func push(_ kind: FrameKind) -> Excess? {
            stack.append(Frame(kind))
            if case .square = kind { squares += 1 }
            // The file level is not a bracket.
            if stack.count - 1 > limits.maximumNesting {
                return Excess(line: line, description: "nested deeper than \(limits.maximumNesting) brackets (line \(line))")
            }
            if squares > limits.maximumSquareNesting {
                return Excess(line: line, description: "nested deeper than \(limits.maximumSquareNesting) square brackets (line \(line))")
            }
            return nil
        }

        while i < n {
            switch mode {
            case .code:
                let c = bytes[i]
                let isWordStart = c >= 0x80 || c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
                let isSpace = c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
                let isComment = c == UInt8(ascii: "/") && (at(i + 1) == UInt8(ascii: "/") || at(i + 1) == UInt8(ascii: "*"))
                if !isSpace, !isComment {
                    var word: String?
                    var end = i
                    if isWordStart {
                        while end < n, bytes[end] >= 0x80 || bytes[end] == UInt8(ascii: "_")
                            || (bytes[end] | 0x20 >= UInt8(ascii: "a") && bytes[end] | 0x20 <= UInt8(ascii: "z"))
                            || (bytes[end] >= UInt8(ascii: "0") && bytes[end] <= UInt8(ascii: "9"))
                        {
                            end += 1
                        }
                        // Only the keywords above matter; other words need not become strings.
                        word = (3...7).contains(end - i) ? String(decoding: bytes[i..<end], as: UTF8.self) : ""
                    }
                    if let excess = significant(c, word: word) { return excess }
                    if word != nil {
                        i = end
                        // `Name<`: a generic argument list (the parser's lookahead recurses per level).
                        if at(i) == UInt8(ascii: "<") {
                            stack[stack.count - 1].angles += 1
                            if let excess = chain(stack[stack.count - 1].angles, "generic `<`") { return excess }
                            i += 1
                            lastToken = UInt8(ascii: "<")
                        } else {
                            lastToken = UInt8(ascii: "a")
                        }
                        continue
                    }
                    lastToken = c
                }
                switch c {
                case UInt8(ascii: "-") where at(i + 1) == UInt8(ascii: ">"):
                    stack[stack.count - 1].arrows += 1
                    if let excess = chain(stack[stack.count - 1].arrows, "function arrows `->`") { return excess }
                    lastToken = UInt8(ascii: ">")
                    i += 2
                case UInt8(ascii: ">"):
                    stack[stack.count - 1].angles = max(0, stack[stack.count - 1].angles - 1)
                    i += 1
                case UInt8(ascii: ";"), UInt8(ascii: "="):
                    stack[stack.count - 1].arrows = 0
                    stack[stack.count - 1].angles = 0
                    i += 1
                case UInt8(ascii: "\n"):
                    line += 1
                    sawLineBreak = true
                    i += 1
                case UInt8(ascii: "/") where at(i + 1) == UInt8(ascii: "/"):
                    while i < n, bytes[i] != UInt8(ascii: "\n") { i += 1 }
                case UInt8(ascii: "/") where at(i + 1) == UInt8(ascii: "*"):
                    // Swift's block comments nest.
                    var depth = 0
                    repeat {
                        if at(i) == UInt8(ascii: "/"), at(i + 1) == UInt8(ascii: "*") {
                            depth += 1
                            i += 2
                        } else if at(i) == UInt8(ascii: "*"), at(i + 1) == UInt8(ascii: "/") {
                            depth -= 1
                            i += 2
                        } else {
                            if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                            i += 1
                        }
                    } while depth > 0 && i < n
                case UInt8(ascii: "("):
                    if let excess = push(.paren) { return excess }
                    i += 1
                case UInt8(ascii: "["):
                    if let excess = push(.square) { return excess }
                    i += 1
                case UInt8(ascii: "{"):
                    stack[stack.count - 1].arrows = 0
                    stack[stack.count - 1].angles = 0
                    if let excess = push(.brace) { return excess }
                    i += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    i += 1
                    guard stack.count > 1, let top = stack.popLast() else { break }
                    switch top.kind {
                    case .square: squares -= 1
                    case .interpolation(let hashes, let multiline): mode = .string(hashes: hashes, multiline: multiline)
                    case .brace:
                        stack[stack.count - 1].afterBlock = true
                        stack[stack.count - 1].arrows = 0
                        stack[stack.count - 1].angles = 0
                    case .paren, .file: break
                    }
                case UInt8(ascii: "#"), UInt8(ascii: "\""):
                    let k = hashes(from: i)
                    guard at(i + k) == UInt8(ascii: "\"") else {
                        guard k == 1 else {
                            i += max(k, 1)
                            break
                        }
                        // A directive's name is no keyword: `#else` continues no `else if` chain
                        // (70 `#if … #else … #endif` blocks in a row were "nested deeper than 64").
                        let (end, excess) = directive(at: i)
                        if let excess { return excess }
                        i = end
                        break
                    }
                    let multiline = at(i + k + 1) == UInt8(ascii: "\"") && at(i + k + 2) == UInt8(ascii: "\"")
                    i += k + (multiline ? 3 : 1)
                    mode = .string(hashes: k, multiline: multiline)
                default:
                    i += 1
                }
            case .string(let k, let multiline):
                let c = bytes[i]
                if c == UInt8(ascii: "\n") {
                    line += 1
                    i += 1
                    // A single-line string cannot continue on the next line: the lexer ends it.
                    if !multiline { mode = .code }
                } else if c == UInt8(ascii: "\\"), hashes(from: i + 1) >= k {
                    let after = i + 1 + k
                    if at(after) == UInt8(ascii: "(") {
                        i = after + 1
                        mode = .code
                        if let excess = push(.interpolation(hashes: k, multiline: multiline)) { return excess }
                    } else {
                        // An escaped character (a line continuation counts its newline).
                        if at(after) == UInt8(ascii: "\n") { line += 1 }
                        i = after + 1
                    }
                } else if c == UInt8(ascii: "\"") {
                    let quotes = multiline ? 3 : 1
                    let closes = (0..<quotes).allSatisfy { at(i + $0) == UInt8(ascii: "\"") } && hashes(from: i + quotes) >= k
                    if closes {
                        i += quotes + k
                        mode = .code
                    } else {
                        i += 1
                    }
                } else {
                    i += 1
                }
            }
        }
        return nil
    }
}
#endif

#if Audit
import SwiftSyntax

/// The variable whose memory must be shown overwritten, and the lengths that count as "all of it".
struct TrackedBuffer {
    var name: String
    var shape: BufferShape
    /// Normalized expressions equal to the allocation's size in elements.
    var elementSizes: Set<String>
    /// Normalized expressions equal to the allocation's size in bytes.
    var byteSizes: Set<String>
    /// Declared by this scope's own `let`/`var` (or a closure parameter) and not inside a
    /// `do` body: a throw out of the scope abandons it, nobody can read it.
    var isScopeLocal: Bool

    init(name: String, shape: BufferShape, size: String?, isScopeLocal: Bool) {
        self.name = name
        self.shape = shape
        self.isScopeLocal = isScopeLocal
        var elements: Set<String> = []
        var bytes: Set<String> = []
        if let size {
            let s = normalize(size)
            elements.insert(s)
            if shape.isRaw {
                bytes.insert(s)
            } else if let type = shape.elementType {
                bytes.insert("\(s)*MemoryLayout<\(type)>.stride")
                bytes.insert("MemoryLayout<\(type)>.stride*\(s)")
                bytes.insert("\(s)*MemoryLayout<\(type)>.size")
                bytes.insert("MemoryLayout<\(type)>.size*\(s)")
            }
        }
        if shape.isBuffer {
            elements.insert("\(name).count")
            if shape.isRaw { bytes.insert("\(name).count") }
        }
        if shape.isRaw { elements.formUnion(bytes); bytes.formUnion(elements) }
        self.elementSizes = elements
        self.byteSizes = bytes
    }
}

/// The result of following a buffer from its allocation.
enum ScanOutcome {
    /// A complete overwrite, on `line`, described by `how`.
    case overwritten(line: Int, how: String)
    /// Not provable: the rule and the reason.
    case problem(Rule, String)
}

/// The length a recognised write covers.
enum WriteLength {
    case whole
    case elements(String)
    case bytes(String)
    /// The shortest of these: a copy that stops at the end of its source
    /// (`source.copyBytes(to:count:)` copies min(count, source.count)).
    case minimum([WriteLength])

    var text: String {
        switch self {
        case .whole: return "the whole buffer"
        case .elements(let n): return "\(n) element(s)"
        case .bytes(let n): return "\(n) byte(s)"
        case .minimum(let lengths): return "the least of " + lengths.map(\.text).joined(separator: " and ")
        }
    }
}

/// Follows a buffer through the statements after its allocation (docs/audit.md, "fully-overwritten").
struct OverwriteScanner {
    let converter: SourceLocationConverter

    func line(_ node: some SyntaxProtocol) -> Int { node.positionAfterSkippingLeadingTrivia.line(converter) }

    func scan(_ items: [CodeBlockItemSyntax], _ tracked: TrackedBuffer) -> ScanOutcome {
        var firstPartial: (line: Int, text: String)?
        for item in items {
            let at = line(item)
            if let deferStatement = item.item.as(StmtSyntax.self)?.as(DeferStmtSyntax.self) {
                if references(deferStatement, tracked.name), !onlyReleases(deferStatement, tracked.name) {
                    return .problem(.escapeBeforeWrite, "the defer at line \(at) uses the buffer on every exit, also before it is written")
                }
                continue
            }
            if !references(item, tracked.name) {
                if containsThrowingTry(item) {
                    return .problem(.throwBeforeWrite, "`try` at line \(at) between the allocation and any complete write")
                }
                if containsExit(item) {
                    return .problem(.branchBeforeWrite, "an early exit (return/throw/break/continue/guard) at line \(at) before any complete write")
                }
                continue
            }
            if isNullCheck(item, tracked.name) { continue }

            if let (length, how) = completeLoopWrite(item, tracked) ?? directWrite(item, tracked) {
                if containsThrowingTry(item), !tracked.isScopeLocal {
                    return .problem(.throwBeforeWrite, "the write at line \(at) can throw, and the buffer outlives this scope partly written")
                }
                if covers(length, tracked) { return .overwritten(line: at, how: how) }
                if firstPartial == nil { firstPartial = (at, "\(how) writes \(length.text)") }
                continue
            }
            if isPartialWrite(item, tracked.name) {
                if firstPartial == nil { firstPartial = (at, "writes part of it (`\(item.trimmedDescription.prefix(60))`)") }
                continue
            }
            let statement = statementKind(of: item)
            if containsWrite(item, tracked) {
                if statement?.is(ForStmtSyntax.self) == true || statement?.is(WhileStmtSyntax.self) == true
                    || statement?.is(RepeatStmtSyntax.self) == true
                {
                    return .problem(.partialLoopWrite, "written in the loop at line \(at), which may write fewer bytes than allocated")
                }
                if statement?.is(IfExprSyntax.self) == true || statement?.is(SwitchExprSyntax.self) == true
                    || statement?.is(GuardStmtSyntax.self) == true
                {
                    return .problem(.branchBeforeWrite, "written only on some paths of the branch at line \(at)")
                }
            }
            if statement?.is(DoStmtSyntax.self) == true {
                return .problem(.throwBeforeWrite, "handed to code inside the do/catch at line \(at): a throw caught there can leave it partly written")
            }
            let text = item.trimmedDescription.split(separator: "\n").first.map { String($0.prefix(70)) } ?? ""
            if let firstPartial {
                return .problem(.sizeMismatch, "the write at line \(firstPartial.line) \(firstPartial.text), not the allocated size, and the buffer is used at line \(at)")
            }
            return .problem(.escapeBeforeWrite, "used at line \(at) before it is completely written: `\(text)`")
        }
        if let firstPartial {
            return .problem(.sizeMismatch, "the write at line \(firstPartial.line) \(firstPartial.text), not the allocated size")
        }
        return .problem(.uninitializedAllocation, "no complete overwrite in the same scope")
    }

    func covers(_ length: WriteLength, _ tracked: TrackedBuffer) -> Bool {
        switch length {
        // Count-less writes (`initialize(repeating:)`, `fill`) exist only on types that know
        // their count, so they cover the whole allocation whatever the analyzer knows of its type.
        case .whole: return true
        case .elements(let n): return tracked.elementSizes.contains(normalize(n))
        case .bytes(let n): return tracked.byteSizes.contains(normalize(n))
        // Covered only when every bound is: a source of unknown count may stop early.
        case .minimum(let lengths): return lengths.allSatisfy { covers($0, tracked) }
        }
    }

    /// `guard let p else { … }`, `if p == nil { … }`: the buffer is only tested, not used.
    private func isNullCheck(_ item: CodeBlockItemSyntax, _ name: String) -> Bool {
        guard let statement = statementKind(of: item) else { return false }
        var conditions: ConditionElementListSyntax?
        var bodies: [Syntax] = []
        if let guardStatement = statement.as(GuardStmtSyntax.self) {
            conditions = guardStatement.conditions
            bodies = [Syntax(guardStatement.body)]
        } else if let ifStatement = statement.as(IfExprSyntax.self) {
            conditions = ifStatement.conditions
            bodies = [Syntax(ifStatement.body)] + (ifStatement.elseBody.map { [Syntax($0)] } ?? [])
        }
        guard let conditions else { return false }
        for body in bodies where references(body, name) { return false }
        return conditions.allSatisfy { element in
            if element.condition.is(OptionalBindingConditionSyntax.self) { return true }
            let text = element.condition.normalizedText
            return !references(element, name) || text.contains("nil")
        }
    }

    /// Releases in a defer (`p.deallocate()`, `free(p)`) expose nothing.
    private func onlyReleases(_ deferStatement: DeferStmtSyntax, _ name: String) -> Bool {
        deferStatement.body.statements.allSatisfy { item in
            guard references(item, name) else { return true }
            let text = item.normalizedText
            return text == "\(name).deallocate()" || text == "free(\(name))" || text.hasSuffix(".deallocate(\(name))")
                || text.hasPrefix("\(name).deinitialize(") || text == "\(name).release()"
        }
    }

    /// A top-level statement that writes the tracked buffer with a length the scanner knows.
    func directWrite(_ item: CodeBlockItemSyntax, _ tracked: TrackedBuffer) -> (WriteLength, String)? {
        guard let expression = workingExpression(of: item) else { return nil }
        guard let call = unwrapped(expression).as(FunctionCallExprSyntax.self) else { return nil }
        return write(call, tracked)
    }

    /// What `call` writes into the tracked buffer, or nil if it is not a write of it.
    func write(_ call: FunctionCallExprSyntax, _ tracked: TrackedBuffer) -> (WriteLength, String)? {
        let arguments = Array(call.arguments)
        let labels = arguments.map { $0.label?.text ?? "_" }
        func argument(_ label: String) -> String? { arguments.first(where: { $0.label?.text == label })?.expression.trimmedDescription }
        let how = "`\(call.calledExpression.trimmedDescription.split(separator: "\n").first ?? "")(…)`"

        if let reference = call.calledExpression.as(DeclReferenceExprSyntax.self), let first = arguments.first,
            names(first.expression, tracked.name)
        {
            switch (reference.baseName.text, arguments.count) {
            case ("memset", 3), ("memcpy", 3), ("memmove", 3): return (.bytes(arguments[2].expression.trimmedDescription), how)
            case ("bzero", 2), ("explicit_bzero", 2), ("arc4random_buf", 2): return (.bytes(arguments[1].expression.trimmedDescription), how)
            default: return nil
            }
        }
        guard let member = call.calledExpression.as(MemberAccessExprSyntax.self) else { return nil }
        let method = member.declName.baseName.text
        // `source.copyBytes(to: p, count: n)`: the buffer is the argument. The copy stops at the end
        // of the source, so it writes min(n, source.count) bytes: a length that depends on the
        // source's count proves nothing unless that count is itself the size.
        if method == "copyBytes", let target = arguments.first(where: { $0.label?.text == "to" }),
            names(target.expression, tracked.name), let base = member.base
        {
            let sourceCount = WriteLength.bytes("\(base.trimmedDescription).count")
            if let count = argument("count") { return (.minimum([.bytes(count), sourceCount]), how) }
            return (sourceCount, how)
        }
        guard let base = member.base, names(base, tracked.name) else { return nil }
        switch (method, labels) {
        case ("initialize", ["repeating", "count"]), ("update", ["repeating", "count"]), ("assign", ["repeating", "count"]),
            ("initialize", ["from", "count"]), ("update", ["from", "count"]), ("assign", ["from", "count"]),
            ("moveInitialize", ["from", "count"]), ("moveUpdate", ["from", "count"]):
            return (.elements(argument("count")!), how)
        case ("initialize", ["repeating"]), ("update", ["repeating"]):
            return (.whole, how)
        case ("initialize", ["to"]):
            return (.elements("1"), how)
        case ("initialize", ["from"]), ("initialize", ["fromContentsOf"]), ("update", ["fromContentsOf"]),
            ("moveInitialize", ["fromContentsOf"]):
            return (.elements("\(arguments[0].expression.trimmedDescription).count"), how)
        case ("initializeMemory", ["as", "repeating", "count"]), ("initializeMemory", ["as", "from", "count"]):
            return (bytes(of: argument("as")!, count: argument("count")!), how)
        case ("initializeMemory", ["as", "repeating"]):
            return (.whole, how)
        case ("initializeMemory", ["as", "fromContentsOf"]):
            return (bytes(of: argument("as")!, count: "\(argument("fromContentsOf")!).count"), how)
        case ("copyMemory", ["from", "byteCount"]):
            return (.bytes(argument("byteCount")!), how)
        case ("copyMemory", ["from"]), ("copyBytes", ["from"]):
            return (.bytes("\(arguments[0].expression.trimmedDescription).count"), how)
        case ("fill", _):
            return (.whole, how)
        case ("withUnsafeMutableBytes", _), ("withUnsafeMutableBufferPointer", _), ("withMemoryRebound", _):
            guard let closure = closureArgument(of: call), let parameter = closureParameterNames(closure, count: 1).first else {
                return nil
            }
            let capacity = arguments.first(where: { $0.label?.text == "capacity" })?.expression
            var inner = TrackedBuffer(
                name: parameter, shape: BufferShape(isBuffer: true, isRaw: method == "withUnsafeMutableBytes"),
                size: capacity?.trimmedDescription, isScopeLocal: tracked.isScopeLocal)
            if capacity == nil {
                // The closure sees the same memory: the outer sizes are its sizes.
                let outer = tracked.elementSizes.union(tracked.byteSizes).filter { !$0.hasPrefix("\(tracked.name).") }
                inner.elementSizes.formUnion(outer)
                inner.byteSizes.formUnion(outer)
            }
            let innerOutcome = scan(Array(closure.statements), inner)
            if case .problem(.sizeMismatch, _) = innerOutcome {
                return (.elements("?part"), "\(how) (only part of it)")
            }
            if case .overwritten(_, let innerHow) = innerOutcome {
                if capacity != nil, !covers(.elements(capacity!.trimmedDescription), tracked)
                    && !covers(.bytes(capacity!.trimmedDescription), tracked)
                {
                    return (.elements(capacity!.trimmedDescription), "\(how) → \(innerHow)")
                }
                return (tracked.shape.isBuffer ? .whole : .elements(tracked.elementSizes.first ?? "?"), "\(how) → \(innerHow)")
            }
            return nil
        default:
            return nil
        }
    }

    private func bytes(of type: String, count: String) -> WriteLength {
        if isByteType(type) { return .bytes(count) }
        let name = type.hasSuffix(".self") ? String(type.dropLast(5)) : type
        return .bytes("\(count)*MemoryLayout<\(name)>.stride")
    }

    /// `for i in 0..<n { p[i] = … }` with nothing in the body that can leave the loop early.
    func completeLoopWrite(_ item: CodeBlockItemSyntax, _ tracked: TrackedBuffer) -> (WriteLength, String)? {
        guard let loop = statementKind(of: item)?.as(ForStmtSyntax.self), loop.whereClause == nil,
            let index = loop.pattern.as(IdentifierPatternSyntax.self)?.identifier.text
        else { return nil }
        let length: WriteLength
        let sequence = loop.sequence
        if let member = sequence.as(MemberAccessExprSyntax.self), member.declName.baseName.text == "indices",
            let base = member.base, names(base, tracked.name)
        {
            length = .whole
        } else if let range = sequence.as(SequenceExprSyntax.self), range.elements.count == 3,
            Array(range.elements)[0].trimmedDescription == "0",
            Array(range.elements)[1].as(BinaryOperatorExprSyntax.self)?.operator.text == "..<"
        {
            length = .elements(Array(range.elements)[2].trimmedDescription)
        } else {
            return nil
        }
        let body = Array(loop.body.statements)
        let visitor = ScopeLocalVisitor(enterClosures: true)
        visitor.walk(loop.body)
        if visitor.sawExit || visitor.sawThrowingTry { return nil }
        var wrote = false
        for statement in body {
            guard references(statement, tracked.name) else { continue }
            guard !wrote, let expression = statementExpression(of: statement) else { return nil }
            if let sequence = expression.as(SequenceExprSyntax.self), isSubscriptWrite(expression, to: tracked.name),
                let subscriptCall = Array(sequence.elements)[0].as(SubscriptCallExprSyntax.self),
                subscriptCall.arguments.count == 1, subscriptCall.arguments.first!.expression.trimmedDescription == index,
                !Array(sequence.elements).dropFirst(2).contains(where: { references($0, tracked.name) })
            {
                wrote = true
                continue
            }
            if let call = expression.as(FunctionCallExprSyntax.self),
                let member = call.calledExpression.as(MemberAccessExprSyntax.self), member.declName.baseName.text == "initialize",
                call.arguments.first?.label?.text == "to", let base = member.base,
                ["\(tracked.name)+\(index)", "\(tracked.name).advanced(by:\(index))", "\(tracked.name).baseAddress!+\(index)"]
                    .contains(base.normalizedText)
            {
                wrote = true
                continue
            }
            return nil
        }
        return wrote ? (length, "the loop `for \(index) in \(sequence.trimmedDescription)`") : nil
    }

    /// `p[i] = x`, `p.storeBytes(…)`, `(p + k).initialize(…)`: a write that covers part of the buffer.
    private func isPartialWrite(_ item: CodeBlockItemSyntax, _ name: String) -> Bool {
        guard let expression = statementExpression(of: item) else { return false }
        if isSubscriptWrite(expression, to: name) { return true }
        guard let call = unwrapped(expression).as(FunctionCallExprSyntax.self),
            let member = call.calledExpression.as(MemberAccessExprSyntax.self)
        else { return false }
        let writing: Set<String> = [
            "storeBytes", "initialize", "initializeMemory", "copyMemory", "update", "copyBytes", "writeInteger", "setInteger", "setBytes",
        ]
        guard writing.contains(member.declName.baseName.text), let base = member.base else { return false }
        // `p.storeBytes(…)`, `(p + 4).copyMemory(…)`: the receiver is the buffer at some offset.
        return names(base, name) || base.normalizedText.hasPrefix("\(name)+") || base.normalizedText.hasPrefix("(\(name)+")
            || base.normalizedText.hasPrefix("\(name).advanced(")
            || base.normalizedText.hasPrefix("\(name).baseAddress!+") || base.normalizedText.hasPrefix("\(name).baseAddress!.advanced(")
    }

    /// Whether a write of any length to the buffer happens somewhere inside `item`.
    private func containsWrite(_ item: CodeBlockItemSyntax, _ tracked: TrackedBuffer) -> Bool {
        final class Finder: SyntaxVisitor {
            let scanner: OverwriteScanner
            let tracked: TrackedBuffer
            var found = false
            init(_ scanner: OverwriteScanner, _ tracked: TrackedBuffer) {
                self.scanner = scanner
                self.tracked = tracked
                super.init(viewMode: .sourceAccurate)
            }
            override func visit(_ node: CodeBlockItemSyntax) -> SyntaxVisitorContinueKind {
                if scanner.directWrite(node, tracked) != nil || scanner.isPartialWrite(node, tracked.name)
                    || scanner.completeLoopWrite(node, tracked) != nil
                {
                    found = true
                }
                return found ? .skipChildren : .visitChildren
            }
        }
        let finder = Finder(self, tracked)
        finder.walk(item)
        return finder.found
    }
}
#endif

#if Audit
import SwiftSyntax

// Small syntax queries the rules share. The parser's output is not operator-folded, so
// `a = b` is a three-element `SequenceExprSyntax`; the helpers read it in that form.

extension SyntaxProtocol {
    /// The source text without surrounding trivia and with all whitespace removed: the form in
    /// which two size expressions are compared.
    var normalizedText: String { normalize(trimmedDescription) }

    /// The nearest ancestor of type `T`.
    func ancestor<T: SyntaxProtocol>(_ type: T.Type) -> T? {
        var node = parent
        while let current = node {
            if let match = current.as(T.self) { return match }
            node = current.parent
        }
        return nil
    }
}

/// Removes whitespace, `try`/`await` keywords and one pair of outer parentheses.
func normalize(_ text: String) -> String {
    var result = text.replacingAll("try ", with: "").replacingAll("await ", with: "")
    result = String(result.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    while result.hasPrefix("("), result.hasSuffix(")"), balancedInner(result) {
        result = String(result.dropFirst().dropLast())
    }
    return result
}

private func balancedInner(_ text: String) -> Bool {
    var depth = 0
    for (index, character) in text.enumerated() {
        if character == "(" { depth += 1 }
        if character == ")" { depth -= 1 }
        if depth == 0, index < text.count - 1 { return false }
    }
    return true
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty, count >= target.count else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) { return index..<self.index(index, offsetBy: target.count) }
            index = self.index(after: index)
        }
        return nil
    }
}

/// Strips `try`, `await`, `!`, `?`, parentheses: the expression that does the work.
func unwrapped(_ expression: ExprSyntax) -> ExprSyntax {
    var current = expression
    while true {
        if let e = current.as(TryExprSyntax.self) { current = e.expression; continue }
        if let e = current.as(AwaitExprSyntax.self) { current = e.expression; continue }
        if let e = current.as(ForceUnwrapExprSyntax.self) { current = e.expression; continue }
        if let e = current.as(OptionalChainingExprSyntax.self) { current = e.expression; continue }
        if let e = current.as(TupleExprSyntax.self), e.elements.count == 1, e.elements.first!.label == nil {
            current = e.elements.first!.expression
            continue
        }
        return current
    }
}

/// The thing a pointer expression points into: `p`, `p!`, `p.baseAddress!`, `(p)`,
/// `UnsafeMutableRawPointer(p)`, `UnsafeMutableRawBufferPointer(p)` all name `p`.
func pointerRoot(_ expression: ExprSyntax) -> ExprSyntax {
    var current = unwrapped(expression)
    while true {
        if let member = current.as(MemberAccessExprSyntax.self), member.declName.baseName.text == "baseAddress",
            let base = member.base
        {
            current = unwrapped(base)
            continue
        }
        if let call = current.as(FunctionCallExprSyntax.self), call.arguments.count == 1,
            call.arguments.first!.label == nil || call.arguments.first!.label?.text == "mutating",
            let callee = call.calledExpression.as(DeclReferenceExprSyntax.self),
            callee.baseName.text.hasPrefix("Unsafe") || callee.baseName.text == "OpaquePointer"
        {
            current = unwrapped(call.arguments.first!.expression)
            continue
        }
        if let inOut = current.as(InOutExprSyntax.self) {
            current = unwrapped(inOut.expression)
            continue
        }
        return current
    }
}

/// Whether `expression` names the tracked variable: `name`, or `self.name` when tracked as a property.
func names(_ expression: ExprSyntax, _ tracked: String) -> Bool {
    let root = pointerRoot(expression)
    if let reference = root.as(DeclReferenceExprSyntax.self) { return reference.baseName.text == tracked }
    if let member = root.as(MemberAccessExprSyntax.self), let base = member.base?.as(DeclReferenceExprSyntax.self),
        base.baseName.text == "self"
    {
        return member.declName.baseName.text == tracked
    }
    return false
}

/// Whether `node` mentions the variable `name` (as a reference, not as a member name or label).
func references(_ node: some SyntaxProtocol, _ name: String) -> Bool {
    for token in node.tokens(viewMode: .sourceAccurate) where token.text == name {
        guard let reference = token.parent?.as(DeclReferenceExprSyntax.self) else { continue }
        if let member = reference.parent?.as(MemberAccessExprSyntax.self), member.declName.id == reference.id {
            if let base = member.base?.as(DeclReferenceExprSyntax.self), base.baseName.text == "self" { return true }
            continue
        }
        return true
    }
    return false
}

/// Visits a subtree, not descending into closures or nested declarations (their `return`s
/// and `throw`s are not this scope's).
final class ScopeLocalVisitor: SyntaxVisitor {
    var sawExit = false
    var sawThrowingTry = false
    let enterClosures: Bool

    init(enterClosures: Bool = false) {
        self.enterClosures = enterClosures
        super.init(viewMode: .sourceAccurate)
    }

    override func visit(_ node: ClosureExprSyntax) -> SyntaxVisitorContinueKind { enterClosures ? .visitChildren : .skipChildren }
    override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: ReturnStmtSyntax) -> SyntaxVisitorContinueKind { sawExit = true; return .visitChildren }
    override func visit(_ node: ThrowStmtSyntax) -> SyntaxVisitorContinueKind { sawExit = true; return .visitChildren }
    override func visit(_ node: BreakStmtSyntax) -> SyntaxVisitorContinueKind { sawExit = true; return .visitChildren }
    override func visit(_ node: ContinueStmtSyntax) -> SyntaxVisitorContinueKind { sawExit = true; return .visitChildren }
    override func visit(_ node: GuardStmtSyntax) -> SyntaxVisitorContinueKind { sawExit = true; return .visitChildren }
    override func visit(_ node: TryExprSyntax) -> SyntaxVisitorContinueKind {
        if node.questionOrExclamationMark == nil { sawThrowingTry = true }
        return .visitChildren
    }
}

func containsExit(_ node: some SyntaxProtocol) -> Bool {
    let visitor = ScopeLocalVisitor()
    visitor.walk(node)
    return visitor.sawExit
}

func containsThrowingTry(_ node: some SyntaxProtocol) -> Bool {
    let visitor = ScopeLocalVisitor()
    visitor.walk(node)
    return visitor.sawThrowingTry
}

/// The parameter names of a closure (`$0`, `$1`, … when it declares none).
func closureParameterNames(_ closure: ClosureExprSyntax, count: Int) -> [String] {
    if let clause = closure.signature?.parameterClause {
        switch clause {
        case .simpleInput(let list): return list.map { $0.name.text }
        case .parameterClause(let params): return params.parameters.map { ($0.secondName ?? $0.firstName).text }
        }
    }
    return (0..<count).map { "$\($0)" }
}

/// The closure a call passes: its trailing closure, or the argument labelled `label`, or its last argument.
func closureArgument(of call: FunctionCallExprSyntax, label: String? = nil) -> ClosureExprSyntax? {
    if let trailing = call.trailingClosure { return trailing }
    if let label, let argument = call.arguments.first(where: { $0.label?.text == label }) {
        return argument.expression.as(ClosureExprSyntax.self)
    }
    return call.arguments.last?.expression.as(ClosureExprSyntax.self)
}

/// The expression of a statement-level item: `e`, `_ = e`, `let x = e`, `x = e`.
func workingExpression(of item: CodeBlockItemSyntax) -> ExprSyntax? {
    switch item.item {
    case .expr(let expression): return assignedValue(expression) ?? expression
    case .stmt(let statement):
        if let expression = statement.as(ExpressionStmtSyntax.self)?.expression {
            return assignedValue(expression) ?? expression
        }
        return nil
    case .decl(let decl):
        if let variable = decl.as(VariableDeclSyntax.self), variable.bindings.count == 1 {
            return variable.bindings.first!.initializer?.value
        }
        return nil
    }
}

/// The expression of an expression statement, assignments left whole (`p[i] = x`).
func statementExpression(of item: CodeBlockItemSyntax) -> ExprSyntax? {
    switch item.item {
    case .expr(let expression): return expression
    case .stmt(let statement): return statement.as(ExpressionStmtSyntax.self)?.expression
    case .decl: return nil
    }
}

/// `b` in `a = b`; nil for anything else.
func assignedValue(_ expression: ExprSyntax) -> ExprSyntax? {
    guard let sequence = expression.as(SequenceExprSyntax.self) else { return nil }
    let elements = Array(sequence.elements)
    // Unfolded: `a = b + c` is five elements; only `a = b` has a single value node.
    guard elements.count == 3, elements[1].is(AssignmentExprSyntax.self) else { return nil }
    return elements[2]
}

/// Whether the expression is `name[...] = value` (a write of part of the buffer).
func isSubscriptWrite(_ expression: ExprSyntax, to name: String) -> Bool {
    guard let sequence = expression.as(SequenceExprSyntax.self) else { return false }
    let elements = Array(sequence.elements)
    guard elements.count >= 3, elements[1].is(AssignmentExprSyntax.self),
        let subscriptCall = elements[0].as(SubscriptCallExprSyntax.self)
    else { return false }
    return names(subscriptCall.calledExpression, name)
}

/// The statement node (`if`, `for`, `do` …) of an item, looking through expression statements.
func statementKind(of item: CodeBlockItemSyntax) -> Syntax? {
    switch item.item {
    case .stmt(let statement):
        if let expression = statement.as(ExpressionStmtSyntax.self)?.expression { return Syntax(expression) }
        return Syntax(statement)
    case .expr(let expression): return Syntax(expression)
    case .decl(let decl): return Syntax(decl)
    }
}
#endif

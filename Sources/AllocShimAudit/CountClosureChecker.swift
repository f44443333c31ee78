#if Audit
import SwiftSyntax

/// The APIs that hand uninitialized memory to a closure and then publish a count of it:
/// `Array(unsafeUninitializedCapacity:)` (`initializedCount`), `String(unsafeUninitializedCapacity:)`
/// and NIO's `writeWithUnsafeMutableBytes` (the closure's result), NIO's `moveWriterIndex`.
/// Safe when every published count is a count of written elements.
struct CountClosureChecker {
    let scanner: OverwriteScanner

    func check(_ site: AllocationSite) -> (Rule, String, Bool) {
        var isArray: Bool
        if case .arrayCount = site.shape { isArray = true } else { isArray = false }
        let label = isArray ? "initializingWith" : (site.api.hasPrefix("String") ? "initializingUTF8With" : nil)
        guard let closure = closureArgument(of: site.call, label: label) else {
            return (.exposedCount, "the initializer is a function, not a closure the analyzer can read", false)
        }
        // `self.init(unsafeUninitializedCapacity:) { … return n }` inside `extension String`:
        // a closure that returns a value is the String form, whatever the callee is called.
        if isArray, closure.descendants(ReturnStmtSyntax.self).contains(where: {
            $0.expression != nil && $0.ancestor(ClosureExprSyntax.self)?.id == closure.id
        }) {
            isArray = false
        }
        let parameters = closureParameterNames(closure, count: isArray ? 2 : 1)
        guard let buffer = parameters.first else { return (.exposedCount, "the closure takes no buffer", false) }

        var published: [(value: ExprSyntax, item: CodeBlockItemSyntax?, node: Syntax)] = []
        if isArray {
            guard parameters.count >= 2 else { return (.exposedCount, "the closure does not name initializedCount", false) }
            let count = parameters[1]
            for sequence in closure.descendants(SequenceExprSyntax.self) {
                let elements = Array(sequence.elements)
                guard elements.count >= 3, elements[0].as(DeclReferenceExprSyntax.self)?.baseName.text == count else { continue }
                let isAssign = elements[1].is(AssignmentExprSyntax.self)
                let isAdd = elements[1].as(BinaryOperatorExprSyntax.self)?.operator.text == "+="
                guard isAssign || isAdd else { continue }
                if isAdd {
                    if elements[2].trimmedDescription == "1", followsElementWrite(sequence, buffer) { continue }
                    return (.exposedCount, "`\(sequence.trimmedDescription)` at line \(scanner.line(sequence)) does not follow a write of that element", false)
                }
                let value = elements.count == 3 ? elements[2] : ExprSyntax(sequence)
                published.append((value, sequence.ancestor(CodeBlockItemSyntax.self), Syntax(sequence)))
            }
            if published.isEmpty {
                return (.uninitializedAllocation, "initializedCount is never set, so no element is exposed", true)
            }
        } else {
            published = returnedValues(of: closure)
            if published.isEmpty { return (.exposedCount, "the closure's result cannot be read", false) }
        }

        var hows: [String] = []
        for (value, item, node) in published {
            if let how = isWrittenCount(value, item: item, buffer: buffer, closure: closure, size: site.size) {
                hows.append(how)
            } else {
                let what = isArray ? "initializedCount = \(value.trimmedDescription)" : "the result \(value.trimmedDescription)"
                return (.exposedCount, "\(what) at line \(scanner.line(node)) is not shown to count written bytes", false)
            }
        }
        return (.uninitializedAllocation, "the published count is \(hows.joined(separator: "; "))", true)
    }

    /// What a closure returns: every `return x` of its own (not of nested closures), or its only
    /// expression.
    private func returnedValues(of closure: ClosureExprSyntax) -> [(value: ExprSyntax, item: CodeBlockItemSyntax?, node: Syntax)] {
        var published: [(value: ExprSyntax, item: CodeBlockItemSyntax?, node: Syntax)] = []
        for statement in closure.descendants(ReturnStmtSyntax.self) where statement.ancestor(ClosureExprSyntax.self)?.id == closure.id {
            if let value = statement.expression {
                published.append((value, statement.ancestor(CodeBlockItemSyntax.self), Syntax(statement)))
            }
        }
        let body = Array(closure.statements)
        if published.isEmpty, body.count == 1, let only = workingExpression(of: body[0]) {
            published.append((only, body[0], Syntax(only)))
        }
        return published
    }

    /// Whether every value `closure` returns counts bytes it wrote into its first parameter
    /// (NIO's `withUnsafeMutableWritableBytes`, whose result a `moveWriterIndex` then commits).
    private func returnsWrittenCount(_ closure: ClosureExprSyntax) -> (proven: Bool, why: String) {
        guard let buffer = closureParameterNames(closure, count: 1).first else { return (false, "the closure takes no buffer") }
        let published = returnedValues(of: closure)
        if published.isEmpty { return (false, "the closure's result cannot be read") }
        var hows: [String] = []
        for (value, item, node) in published {
            guard let how = isWrittenCount(value, item: item, buffer: buffer, closure: closure, size: nil) else {
                let at = scanner.line(node)
                return (false, "the closure's result \(value.trimmedDescription) at line \(at) is not shown to count written bytes")
            }
            hows.append(how)
        }
        return (true, hows.joined(separator: "; "))
    }

    /// Calls whose result is arithmetic on their arguments, not a count some write returned.
    private static let arithmetic: Set<String> = ["min", "max", "abs", "numericCast", "Int", "UInt", "Int32", "UInt32", "Int64", "UInt64"]

    /// A count that only covers written bytes: 0, the result of a call that wrote into the
    /// buffer (directly or through a `let`), or the length of a complete write earlier in the closure.
    private func isWrittenCount(
        _ value: ExprSyntax, item: CodeBlockItemSyntax?, buffer: String, closure: ClosureExprSyntax, size: ExprSyntax?
    ) -> String? {
        let bare = unwrapped(value)
        if bare.trimmedDescription == "0" { return "0" }
        if bare.is(FunctionCallExprSyntax.self) || bare.is(SequenceExprSyntax.self), references(bare, buffer),
            !bare.trimmedDescription.contains("\(buffer).count")
        {
            return "the result of `\(bare.trimmedDescription.prefix(50))`, which writes into the buffer"
        }
        // `read(fd, buffer.baseAddress, buffer.count)`, `source.copyBytes(to: buffer, count: n)`:
        // a function handed the buffer returns the count it wrote (min/max and conversions do not).
        if let call = bare.as(FunctionCallExprSyntax.self),
            call.arguments.contains(where: { names($0.expression, buffer) }),
            !Self.arithmetic.contains(calleeName(call) ?? "")
        {
            return "the result of `\(bare.trimmedDescription.prefix(50))`, which writes into the buffer"
        }
        // `n`, or an expression of `n` such as `max(0, n)`, where `let n = <write into the buffer>`.
        let identifiers = bare.descendants(DeclReferenceExprSyntax.self).map { $0.baseName.text }
            + (bare.as(DeclReferenceExprSyntax.self).map { [$0.baseName.text] } ?? [])
        for name in identifiers {
            for binding in closure.descendants(PatternBindingSyntax.self) {
                if let identifier = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text, identifier == name,
                    let initializer = binding.initializer?.value, references(initializer, buffer),
                    unwrapped(initializer).is(FunctionCallExprSyntax.self)
                {
                    return "`\(name)`, returned by a write into the buffer"
                }
                if let tuple = binding.pattern.as(TuplePatternSyntax.self),
                    tuple.elements.contains(where: { $0.pattern.as(IdentifierPatternSyntax.self)?.identifier.text == name }),
                    let initializer = binding.initializer?.value, references(initializer, buffer)
                {
                    return "`\(name)`, returned by a write into the buffer"
                }
            }
        }
        // The length of a complete write in the straight-line code before the publication.
        guard let item, let list = item.parent?.as(CodeBlockItemListSyntax.self),
            list.parent?.is(ClosureExprSyntax.self) == true
        else { return nil }
        let before = Array(list.prefix(while: { $0.id != item.id }))
        let tracked = TrackedBuffer(name: buffer, shape: BufferShape(isBuffer: true, isRaw: true), size: bare.trimmedDescription, isScopeLocal: true)
        if case .overwritten(let line, let how) = scanner.scan(before, tracked) {
            return "\(bare.trimmedDescription), the length written by \(how) at line \(line)"
        }
        return nil
    }

    /// `buffer[i] = x` (or `.initialize(to:)`) earlier in the same block as `count += 1`.
    private func followsElementWrite(_ sequence: SequenceExprSyntax, _ buffer: String) -> Bool {
        guard let item = sequence.ancestor(CodeBlockItemSyntax.self), let list = item.parent?.as(CodeBlockItemListSyntax.self) else {
            return false
        }
        for earlier in list.prefix(while: { $0.id != item.id }) {
            guard let expression = statementExpression(of: earlier) else { continue }
            if isSubscriptWrite(expression, to: buffer) { return true }
            if let call = unwrapped(expression).as(FunctionCallExprSyntax.self),
                let member = call.calledExpression.as(MemberAccessExprSyntax.self),
                member.declName.baseName.text == "initialize", call.arguments.first?.label?.text == "to",
                let base = member.base, references(base, buffer)
            {
                return true
            }
        }
        return false
    }

    /// `moveWriterIndex(forwardBy: n)`: `n` must be what a write into the writable bytes returned:
    /// a NIO `set*` method's result (they return the count they wrote), or the result of a
    /// `withUnsafeMutableWritableBytes` closure that itself returns only written counts. Names are
    /// compared as names, not as text (`settings.count` is not a `set*` call).
    func checkWriterIndex(_ site: AllocationSite) -> (Rule, String, Bool) {
        guard let distance = site.size else { return (.exposedCount, "no distance", false) }
        let closureWriters: Set<String> = ["withUnsafeMutableWritableBytes", "withVeryUnsafeMutableBytes"]
        /// nil when `expression` is not a write's result; otherwise whether it is proven, and why.
        func writeResult(_ expression: ExprSyntax) -> (proven: Bool, why: String)? {
            guard let call = unwrapped(expression).as(FunctionCallExprSyntax.self), let name = calleeName(call) else { return nil }
            if closureWriters.contains(name) {
                guard let closure = closureArgument(of: call) else {
                    return (false, "`\(name)` is given a function, not a closure the analyzer can read")
                }
                return returnsWrittenCount(closure)
            }
            if name.hasPrefix("set"), let next = name.dropFirst(3).first, next.isUppercase {
                return (true, "the count `\(name)` wrote")
            }
            return nil
        }
        func verdict(_ result: (proven: Bool, why: String), _ subject: String) -> (Rule, String, Bool) {
            result.proven
                ? (.uninitializedAllocation, "moves by \(subject): \(result.why)", true)
                : (.exposedCount, "moves by \(subject), but \(result.why)", false)
        }
        if distance.trimmedDescription == "0" { return (.uninitializedAllocation, "moves by 0", true) }
        if let result = writeResult(distance) { return verdict(result, "the result of a write into the writable bytes") }
        if let name = unwrapped(distance).as(DeclReferenceExprSyntax.self)?.baseName.text {
            var node = site.call.parent
            while let current = node, !current.is(FunctionDeclSyntax.self), !current.is(InitializerDeclSyntax.self) {
                node = current.parent
            }
            if let scope = node {
                // The nearest earlier binding of the name is the one the call sees.
                let bindings = scope.descendants(PatternBindingSyntax.self).filter {
                    $0.position < site.call.position && $0.pattern.as(IdentifierPatternSyntax.self)?.identifier.text == name
                }
                if let initializer = bindings.last?.initializer {
                    // `moveWriterIndex(to: saved)` with `let saved = buffer.writerIndex`: a rewind to an
                    // index that was already written.
                    if site.api.hasSuffix("(to:)"),
                        initializer.value.as(MemberAccessExprSyntax.self)?.declName.baseName.text == "writerIndex"
                    {
                        return (.uninitializedAllocation, "moves back to `\(name)`, a writer index saved earlier", true)
                    }
                    if let result = writeResult(initializer.value) { return verdict(result, "`\(name)`") }
                }
            }
        }
        return (.exposedCount, "moves the writer index by \(distance.trimmedDescription), not shown to be the count of bytes written", false)
    }
}

/// `read` for `read(…)`, `copyBytes` for `source.copyBytes(…)`.
func calleeName(_ call: FunctionCallExprSyntax) -> String? {
    if let reference = call.calledExpression.as(DeclReferenceExprSyntax.self) { return reference.baseName.text }
    if let member = call.calledExpression.as(MemberAccessExprSyntax.self) { return member.declName.baseName.text }
    return nil
}
#endif

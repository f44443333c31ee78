#if Audit
import SwiftSyntax

/// The chapter's `estimatedSize` leak: an uninitialized allocation sized by something the
/// function was handed (a parameter) or read from input (a decoded length). Such a size need
/// not match what is later written, and the difference is exposed.
enum UntrustedSize {
    private static let decodingWords = ["read", "decode", "parse", "unpack", "load", "length"]
    private static let estimateWords = ["estimat", "expected", "claimed", "declared", "hint"]

    /// Why the size is untrusted ("is the parameter `n`", "comes from `reader.readUInt32()`"), or nil.
    static func origin(of size: ExprSyntax, at call: FunctionCallExprSyntax) -> String? {
        if let decoding = decodingCall(in: Syntax(size)) { return "comes from the decoded value `\(decoding)`" }
        let parameters = enclosingParameters(of: call)
        for token in size.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind, token.parent?.is(DeclReferenceExprSyntax.self) == true,
                token.parent?.parent?.as(MemberAccessExprSyntax.self)?.declName.id != token.parent?.id
            else { continue }
            if estimateWords.contains(where: { name.lowercased().contains($0) }) {
                return "is the estimate `\(name)`"
            }
            if parameters.contains(name) { return "is the parameter `\(name)`" }
            if let initializer = localInitializer(named: name, before: call), let decoding = decodingCall(in: Syntax(initializer)) {
                return "comes from `\(name)`, the decoded value `\(decoding)`"
            }
        }
        return nil
    }

    private static func decodingCall(in node: Syntax) -> String? {
        for call in node.descendants(FunctionCallExprSyntax.self) {
            let labels = call.arguments.compactMap { $0.label?.text }
            if labels.contains("bigEndian") || labels.contains("littleEndian") { return call.trimmedDescription }
            let name: String
            if let member = call.calledExpression.as(MemberAccessExprSyntax.self) {
                name = member.declName.baseName.text
            } else if let reference = call.calledExpression.as(DeclReferenceExprSyntax.self) {
                name = reference.baseName.text
            } else {
                continue
            }
            if decodingWords.contains(where: { name.lowercased().hasPrefix($0) }) { return call.trimmedDescription }
        }
        return nil
    }

    private static func enclosingParameters(of call: FunctionCallExprSyntax) -> Set<String> {
        var names: Set<String> = []
        var node = call.parent
        while let current = node {
            if let function = current.as(FunctionDeclSyntax.self) {
                names.formUnion(function.signature.parameterClause.parameters.map { ($0.secondName ?? $0.firstName).text })
                break
            }
            if let initializer = current.as(InitializerDeclSyntax.self) {
                names.formUnion(initializer.signature.parameterClause.parameters.map { ($0.secondName ?? $0.firstName).text })
                break
            }
            if let subscriptDecl = current.as(SubscriptDeclSyntax.self) {
                names.formUnion(subscriptDecl.parameterClause.parameters.map { ($0.secondName ?? $0.firstName).text })
                break
            }
            node = current.parent
        }
        return names
    }

    /// The initializer of the nearest `let name = …` in the enclosing function body.
    private static func localInitializer(named name: String, before call: FunctionCallExprSyntax) -> ExprSyntax? {
        var node = call.parent
        while let current = node {
            if let block = current.as(CodeBlockSyntax.self) ?? current.as(ClosureExprSyntax.self).map({ _ in nil }) ?? nil {
                for binding in block.descendants(PatternBindingSyntax.self)
                where binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text == name
                    && binding.position < call.position
                {
                    return binding.initializer?.value
                }
            }
            if current.is(FunctionDeclSyntax.self) || current.is(InitializerDeclSyntax.self) { break }
            node = current.parent
        }
        return nil
    }
}

extension SyntaxProtocol {
    /// Every descendant of type `T`, in source order.
    func descendants<T: SyntaxProtocol>(_ type: T.Type) -> [T] {
        var found: [T] = []
        func visit(_ node: Syntax) {
            if let match = node.as(T.self) { found.append(match) }
            for child in node.children(viewMode: .sourceAccurate) { visit(child) }
        }
        for child in Syntax(self).children(viewMode: .sourceAccurate) { visit(child) }
        return found
    }
}
#endif

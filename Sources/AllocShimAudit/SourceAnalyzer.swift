#if Audit
import SwiftParser
import SwiftSyntax

/// Audits one Swift source text: finds every uninitialized allocation site and gives it a verdict.
public struct SourceAnalyzer {
    /// Creates an analyzer.
    public init() {}

    /// The findings of `source`, in source order. `file` is only copied into the findings.
    public func analyze(source: String, file: String) -> [Finding] {
        let tree = Parser.parse(source: source)
        let converter = SourceLocationConverter(fileName: file, tree: tree)
        let collector = SiteCollector(viewMode: .sourceAccurate)
        collector.walk(tree)
        guard !collector.sites.isEmpty else { return [] }
        let markers = MarkerIndex(tree: tree, converter: converter)
        let context = SiteJudge(converter: converter, markers: markers, file: file)
        return collector.sites.map(context.judge)
    }
}

private final class SiteCollector: SyntaxVisitor {
    var sites: [AllocationSite] = []
    override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
        if let site = recognizeAllocation(node) { sites.append(site) }
        return .visitChildren
    }
}

/// Where an allocation's result goes.
private struct Binding {
    var name: String
    var scope: [CodeBlockItemSyntax]
    var isScopeLocal: Bool
}

private struct SiteJudge {
    let converter: SourceLocationConverter
    let markers: MarkerIndex
    let file: String
    var scanner: OverwriteScanner { OverwriteScanner(converter: converter) }

    func judge(_ site: AllocationSite) -> Finding {
        let location = site.call.positionAfterSkippingLeadingTrivia
        let sourceLocation = converter.location(for: location)
        let (rule, reason, overwritten) = evaluate(site)
        var finding = Finding(
            file: file, line: sourceLocation.line, column: sourceLocation.column, api: site.api,
            sizeExpression: site.size?.trimmedDescription, verdict: overwritten ? .fullyOverwritten : .unjustified,
            rule: rule, reason: reason)
        let statementLine = statementStart(site.call).line(converter)
        if let marker = markers.marker(statementLine: statementLine, siteLine: sourceLocation.line) {
            if marker.hasReason {
                finding.verdict = .justified
                finding.justification = marker.reason
            } else {
                finding.verdict = .unjustified
                finding.rule = .emptyReason
                finding.reason = marker.reason.isEmpty
                    ? "the marker at line \(marker.line) gives no reason" : "the marker at line \(marker.line) gives only a TODO"
            }
        }
        if finding.verdict == .unjustified {
            finding.suggestion = "\(site.zeroedForm)  — or justify it: // allocshim: uninitialized — TODO: why every byte is written before it is read"
        }
        return finding
    }

    /// The first line of the statement (or member) holding the call: where a marker goes.
    private func statementStart(_ call: FunctionCallExprSyntax) -> AbsolutePosition {
        var node = Syntax(call)
        while let parent = node.parent {
            if parent.is(CodeBlockItemSyntax.self) || parent.is(MemberBlockItemSyntax.self) {
                return parent.positionAfterSkippingLeadingTrivia
            }
            node = parent
        }
        return call.positionAfterSkippingLeadingTrivia
    }

    private func evaluate(_ site: AllocationSite) -> (Rule, String, Bool) {
        switch site.shape {
        case .opaque(let why):
            return withSizeRule(site, .uninitializedAllocation, why)
        case .bound(let shape):
            guard let binding = binding(of: site.call) else {
                return withSizeRule(site, .escapeBeforeWrite, "the allocation is returned, stored or passed on directly, before any write")
            }
            let tracked = TrackedBuffer(name: binding.name, shape: shape, size: site.sizeText, isScopeLocal: binding.isScopeLocal)
            return outcome(site, scanner.scan(binding.scope, tracked))
        case .temporary(let shape):
            guard let closure = closureArgument(of: site.call), let parameter = closureParameterNames(closure, count: 1).first else {
                return withSizeRule(site, .escapeBeforeWrite, "the buffer goes to a function, not a closure the analyzer can read")
            }
            let tracked = TrackedBuffer(name: parameter, shape: shape, size: site.sizeText, isScopeLocal: true)
            return outcome(site, scanner.scan(Array(closure.statements), tracked))
        case .arrayCount, .returnedCount:
            return CountClosureChecker(scanner: scanner).check(site)
        case .writerIndex:
            return CountClosureChecker(scanner: scanner).checkWriterIndex(site)
        }
    }

    private func outcome(_ site: AllocationSite, _ result: ScanOutcome) -> (Rule, String, Bool) {
        switch result {
        case .overwritten(let line, let how):
            return (.uninitializedAllocation, "completely overwritten at line \(line) by \(how)", true)
        case .problem(let rule, let reason):
            if site.isRealloc, rule == .uninitializedAllocation || rule == .escapeBeforeWrite {
                return (.reallocTail, "\(reason); realloc leaves the grown tail uninitialized", false)
            }
            return withSizeRule(site, rule, reason)
        }
    }


    /// Upgrades the generic rules to `untrusted-size` when the size comes from outside.
    private func withSizeRule(_ site: AllocationSite, _ rule: Rule, _ reason: String) -> (Rule, String, Bool) {
        guard let size = site.size, let origin = UntrustedSize.origin(of: size, at: site.call) else { return (rule, reason, false) }
        guard rule == .uninitializedAllocation || rule == .escapeBeforeWrite else {
            return (rule, "\(reason); the size \(origin)", false)
        }
        return (.untrustedSize, "\(reason); the size \(origin)", false)
    }

    /// The variable the allocation is bound to and the statements that follow it.
    private func binding(of call: FunctionCallExprSyntax) -> Binding? {
        var node = Syntax(call)
        while let parent = node.parent,
            parent.is(TryExprSyntax.self) || parent.is(AwaitExprSyntax.self) || parent.is(ForceUnwrapExprSyntax.self)
                || parent.is(TupleExprSyntax.self) || parent.is(LabeledExprSyntax.self) && parent.parent?.parent?.is(TupleExprSyntax.self) == true
                || parent.is(LabeledExprListSyntax.self) && parent.parent?.is(TupleExprSyntax.self) == true
        {
            node = parent
        }
        guard let parent = node.parent else { return nil }

        // `let p = …` / `var p: T = …`
        if let initializer = parent.as(InitializerClauseSyntax.self) {
            if let binding = initializer.parent?.as(PatternBindingSyntax.self),
                let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text
            {
                guard let item = binding.ancestor(CodeBlockItemSyntax.self),
                    binding.ancestor(VariableDeclSyntax.self)?.parent?.is(CodeBlockItemSyntax.self) == true
                else { return nil }  // a stored property
                return Binding(name: name, scope: following(item), isScopeLocal: !insideDo(item))
            }
            // `guard let p = malloc(n) else { … }`, `if let p = …`
            if let condition = initializer.parent?.as(OptionalBindingConditionSyntax.self),
                let name = condition.pattern.as(IdentifierPatternSyntax.self)?.identifier.text
            {
                if let guardStatement = condition.ancestor(GuardStmtSyntax.self),
                    let item = guardStatement.ancestor(CodeBlockItemSyntax.self)
                {
                    return Binding(name: name, scope: following(item), isScopeLocal: !insideDo(item))
                }
                if let ifStatement = condition.ancestor(IfExprSyntax.self) {
                    return Binding(name: name, scope: Array(ifStatement.body.statements), isScopeLocal: true)
                }
            }
            return nil
        }
        // `p = …` / `self.p = …`
        if let sequence = parent.as(ExprListSyntax.self)?.parent?.as(SequenceExprSyntax.self) {
            let elements = Array(sequence.elements)
            if elements.count == 3, elements[1].is(AssignmentExprSyntax.self), elements[2].id == node.id,
                let item = sequence.ancestor(CodeBlockItemSyntax.self), item.item.as(ExprSyntax.self)?.id == sequence.id
                    || item.item.as(StmtSyntax.self)?.as(ExpressionStmtSyntax.self)?.expression.id == sequence.id
            {
                let target = elements[0]
                if let reference = target.as(DeclReferenceExprSyntax.self) {
                    return Binding(name: reference.baseName.text, scope: following(item), isScopeLocal: false)
                }
                if let member = target.as(MemberAccessExprSyntax.self), member.base?.trimmedDescription == "self" {
                    return Binding(name: member.declName.baseName.text, scope: following(item), isScopeLocal: false)
                }
            }
        }
        // `posix_memalign(&p, alignment, size)`: the pointer comes back through the first argument.
        if let callee = call.calledExpression.as(DeclReferenceExprSyntax.self), callee.baseName.text == "posix_memalign",
            let first = call.arguments.first?.expression.as(InOutExprSyntax.self),
            let reference = first.expression.as(DeclReferenceExprSyntax.self),
            let item = call.ancestor(CodeBlockItemSyntax.self)
        {
            return Binding(name: reference.baseName.text, scope: following(item), isScopeLocal: false)
        }
        return nil
    }

    private func following(_ item: CodeBlockItemSyntax) -> [CodeBlockItemSyntax] {
        guard let list = item.parent?.as(CodeBlockItemListSyntax.self) else { return [] }
        var result: [CodeBlockItemSyntax] = []
        var seen = false
        for candidate in list {
            if seen { result.append(candidate) }
            if candidate.id == item.id { seen = true }
        }
        return result
    }

    private func insideDo(_ item: CodeBlockItemSyntax) -> Bool {
        item.parent?.parent?.parent?.is(DoStmtSyntax.self) == true
    }
}
#endif

#if Audit
import Foundation
import SwiftParser
import SwiftSyntax

/// Audits one Swift source text: finds every uninitialized allocation site and gives it a verdict.
package struct SourceAnalyzer: Sendable {
    /// What one file may ask of the analysis.
    package var limits: AuditLimits

    /// Creates an analyzer.
    package init(limits: AuditLimits = AuditLimits()) {
        self.limits = limits
    }

    /// The findings of `source`, in source order. `file` is only copied into the findings. A
    /// source past one of `limits` gives one `notAnalysed` finding instead.
    package func analyze(source: String, file: String) -> [Finding] {
        analyzeFile(source: source, file: file).findings
    }

    /// The findings of `source` and the safe-by-construction initializers it calls.
    package func analyzeFile(source: String, file: String) -> FileAnalysis {
        let deadline = ContinuousClock.now.advanced(by: limits.timePerFile)
        let bytes = Array(source.utf8)
        if let excess = NestingScan.firstExcess(in: bytes, limits: limits) {
            return FileAnalysis(findings: [notAnalysed(file, line: excess.line, excess.description)])
        }
        let limits = self.limits
        return onLargeStack { Self.analyzeBounded(source: bytes, file: file, limits: limits, deadline: deadline) }
    }

    /// Parses and judges a source whose bracket nesting is within `limits`.
    private static func analyzeBounded(
        source: [UInt8], file: String, limits: AuditLimits, deadline: ContinuousClock.Instant
    ) -> FileAnalysis {
        let tooSlow = { FileAnalysis(findings: [notAnalysed(file, line: 1, "took longer than \(limits.timePerFile.secondsText)")]) }
        let tree = source.withUnsafeBufferPointer { Parser.parse(source: $0, maximumNestingLevel: limits.maximumNesting) }
        if ContinuousClock.now >= deadline { return tooSlow() }
        let converter = SourceLocationConverter(fileName: file, tree: tree)
        // The parser counts `<` and `#if` too: deeper than its limit it stops and keeps the rest
        // of the file as unexpected tokens, which would hide what is in them.
        if tree.hasMaximumNestingLevelOverflow {
            var node = Syntax(tree)
            while let child = node.children(viewMode: .sourceAccurate).first(where: { $0.hasMaximumNestingLevelOverflow }) { node = child }
            let line = converter.location(for: node.positionAfterSkippingLeadingTrivia).line
            return FileAnalysis(findings: [notAnalysed(file, line: line, "nested deeper than \(limits.maximumNesting) levels for the parser (line \(line))")])
        }
        if let deep = firstNode(of: tree, deeperThan: limits.maximumTreeDepth) {
            let line = converter.location(for: deep.positionAfterSkippingLeadingTrivia).line
            return FileAnalysis(findings: [notAnalysed(file, line: line, "syntax tree deeper than \(limits.maximumTreeDepth) levels (line \(line))")])
        }
        let collector = SiteCollector(viewMode: .sourceAccurate)
        collector.walk(tree)
        let safeForms = collector.safeForms
        guard !collector.sites.isEmpty else { return FileAnalysis(findings: [], safeByConstruction: safeForms) }
        let markers = MarkerIndex(tree: tree, converter: converter)
        let context = SiteJudge(converter: converter, markers: markers, file: file, source: source)
        var findings: [Finding] = []
        for site in collector.sites {
            if ContinuousClock.now >= deadline { return tooSlow() }
            findings.append(context.judge(site))
        }
        return FileAnalysis(findings: findings, safeByConstruction: safeForms)
    }

    /// The first node (in source order) more than `limit` levels below the root, found without
    /// recursion: the check that makes the recursive visitors after it safe.
    private static func firstNode(of tree: SourceFileSyntax, deeperThan limit: Int) -> Syntax? {
        var pending: [(Syntax, Int)] = [(Syntax(tree), 0)]
        while let (node, depth) = pending.popLast() {
            if depth > limit { return node }
            // Reversed, so that the first child is taken next: the first too-deep node in source order.
            for child in node.children(viewMode: .sourceAccurate).reversed() { pending.append((child, depth + 1)) }
        }
        return nil
    }
}

/// What the analysis of one file found.
package struct FileAnalysis: Sendable {
    /// The uninitialized allocation sites, in source order.
    package var findings: [Finding]
    /// The safe-by-construction initializers called (output-span and copying forms): not
    /// sites, counted so that the report shows them.
    package var safeByConstruction: [String] = []
}

/// The finding for a file the analysis did not (or could not safely) read through.
func notAnalysed(_ file: String, line: Int, _ why: String) -> Finding {
    Finding(
        file: file, line: line, column: 1, api: "(whole file)", sizeExpression: nil, verdict: .unjustified, rule: .notAnalysed,
        reason: "not analysed: \(why)",
        suggestion: "nothing in this file is proven: simplify or split it, or review it by hand")
}

/// Stack for one file's parse and analysis. swift-syntax's parser and every `SyntaxVisitor`
/// recurse once per nesting level, and a debug build's frames are large (its own default limit is
/// 20 levels for that reason); the limits bound the depth, this makes the bound comfortable. Only
/// the pages touched are committed.
private let analysisStackBytes = 512 << 20

/// Hands one file's findings from the analysis thread to the caller. Written by the worker before
/// `done.signal()`, read after `done.wait()`: the semaphore orders the two.
private final class FindingsHandoff: @unchecked Sendable {
    var findings = FileAnalysis(findings: [])
}

/// Runs `body` on a thread with `analysisStackBytes` of stack and returns its result.
private func onLargeStack(_ body: @escaping @Sendable () -> FileAnalysis) -> FileAnalysis {
    let handoff = FindingsHandoff()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        handoff.findings = body()
        done.signal()
    }
    thread.stackSize = analysisStackBytes
    thread.start()
    done.wait()
    return handoff.findings
}

private final class SiteCollector: SyntaxVisitor {
    var sites: [AllocationSite] = []
    /// The APIs of the safe-by-construction calls, in source order. Their closures are still
    /// visited: an `allocUnsafe` inside one is a site like any other.
    var safeForms: [String] = []
    override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
        if let site = recognizeAllocation(node) {
            sites.append(site)
        } else if let safe = recognizeSafeForm(node) {
            safeForms.append(safe)
        }
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
    /// The file's UTF-8 bytes, for UTF-16 columns.
    let source: [UInt8]
    var scanner: OverwriteScanner { OverwriteScanner(converter: converter) }

    func judge(_ site: AllocationSite) -> Finding {
        let location = site.call.positionAfterSkippingLeadingTrivia
        let sourceLocation = converter.location(for: location)
        let (rule, reason, overwritten) = evaluate(site)
        var finding = Finding(
            file: file, line: sourceLocation.line, column: sourceLocation.column, api: site.api,
            sizeExpression: site.size?.trimmedDescription, verdict: overwritten ? .fullyOverwritten : .unjustified,
            rule: rule, reason: reason, utf16Column: utf16Column(location.utf8Offset, utf8Column: sourceLocation.column))
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
            finding.suggestion = suggestion(for: site)
            finding.fix = zeroedFix(for: site)
        }
        return finding
    }

    /// The safe replacement `--suggest` prints. For AllocShim's uninitialized forms it is the
    /// output-span initializer: spelled out as the whole statement when the buffer is bound to a
    /// local (`let b = try SharedBytes(capacity: n) { output in … }`: the writes that follow move
    /// into the closure), named next to the zeroed form when it is not (returned, stored, passed on).
    private func suggestion(for site: AllocationSite) -> String {
        let justify = "  — or justify it: // allocshim: uninitialized — TODO: why every byte is written before it is read"
        guard let outputSpan = site.outputSpanForm else { return site.zeroedForm + justify }
        if let declaration = localDeclaration(of: site.call) {
            return "`\(declaration) = try \(outputSpan) { output in /* append the bytes the writes below produce */ }` "
                + "(move the writes into the closure; the count is what it appends), or the zeroed form `\(site.zeroedForm)`" + justify
        }
        return "the output-span form `\(outputSpan) { output in /* append the bytes */ }` (the count is what the closure appends) "
            + "or the zeroed form `\(site.zeroedForm)`" + justify
    }

    /// `let b` for `let b = try SharedBytes.allocUnsafe(n)` in a code block; nil when the
    /// allocation is not bound to a local declared right there.
    private func localDeclaration(of call: FunctionCallExprSyntax) -> String? {
        guard binding(of: call) != nil, let pattern = call.ancestor(PatternBindingSyntax.self),
            // The call is the initializer itself (under `try`), not inside a closure that initializes another name.
            let value = pattern.initializer?.value, unwrappedTry(value).id == call.id,
            let name = pattern.pattern.as(IdentifierPatternSyntax.self)?.identifier.text,
            let declaration = pattern.ancestor(VariableDeclSyntax.self), declaration.bindings.count == 1
        else { return nil }
        let type = pattern.typeAnnotation.map { $0.trimmedDescription } ?? ""
        return "\(declaration.bindingSpecifier.text) \(name)\(type)"
    }

    private func unwrappedTry(_ expression: ExprSyntax) -> ExprSyntax {
        var expression = expression
        while let inner = expression.as(TryExprSyntax.self)?.expression ?? expression.as(AwaitExprSyntax.self)?.expression {
            expression = inner
        }
        return expression
    }

    /// The call rewritten to its zeroed form, as a region in UTF-16 columns (the SARIF run's
    /// `columnKind`).
    private func zeroedFix(for site: AllocationSite) -> SuggestedFix? {
        guard let replacement = site.zeroedReplacement else { return nil }
        let start = site.call.positionAfterSkippingLeadingTrivia
        let end = site.call.endPositionBeforeTrailingTrivia
        let startLocation = converter.location(for: start)
        let endLocation = converter.location(for: end)
        return SuggestedFix(
            description: "Allocate zeroed: \(replacement) (or move the writes into the output-span form \(site.outputSpanForm ?? ""))",
            startLine: startLocation.line, startColumn: utf16Column(start.utf8Offset, utf8Column: startLocation.column),
            endLine: endLocation.line, endColumn: utf16Column(end.utf8Offset, utf8Column: endLocation.column),
            replacement: replacement)
    }

    /// The 1-based column of `offset` in UTF-16 code units (SARIF's default `columnKind`), from
    /// its UTF-8 column.
    private func utf16Column(_ offset: Int, utf8Column: Int) -> Int {
        let lineStart = offset - (utf8Column - 1)
        guard lineStart >= 0, offset <= source.count else { return utf8Column }
        return String(decoding: source[lineStart..<offset], as: UTF8.self).utf16.count + 1
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

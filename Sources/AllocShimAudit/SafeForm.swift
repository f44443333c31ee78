#if Audit
import SwiftSyntax

/// AllocShim's initializers that cannot expose uninitialized bytes: the output-span forms (the
/// buffer's count is what the closure appended to an `OutputRawSpan`, so nothing unwritten is
/// ever readable) and the copying forms (every byte comes from the source). They are not sites;
/// the report counts them so that a migration away from `allocUnsafe` shows.
///
/// Decided by the receiver's type name, as the site rules are: `OwnedBytes`/`SharedBytes`
/// (bare or `AllocShim.`-qualified). A `Ring(capacity: n) { … }` of another type, or an
/// `OwnedBytes(capacity: n)` without a closure (not an AllocShim initializer), is not one.
func recognizeSafeForm(_ call: FunctionCallExprSyntax) -> String? {
    let labels = call.arguments.map { $0.label?.text }
    let callee = call.calledExpression
    let hasClosure = call.trailingClosure != nil || labels.contains("initializingWith")

    // `OwnedBytes(capacity: n) { … }`, `SharedBytes.init(unpooledCapacity: n, initializingWith: …)`.
    if let type = allocShimBufferType(initializerCallee: callee) {
        if let first = labels.first ?? nil, first == "capacity" || first == "unpooledCapacity", hasClosure {
            return "\(type)(\(first):initializingWith:)"
        }
        if type == "OwnedBytes", labels.first == "copying" {
            return "OwnedBytes(copying:)"
        }
        return nil
    }
    // `SharedBytes.from(span)`: every overload copies (a RawSpan, bytes, text, another buffer).
    if let member = callee.as(MemberAccessExprSyntax.self), member.declName.baseName.text == "from",
        let base = member.base, bufferTypeName(base.trimmedDescription) == "SharedBytes", labels.first == .some(nil)
    {
        return "SharedBytes.from(_:)"
    }
    return nil
}

/// `OwnedBytes` for `OwnedBytes(…)`, `AllocShim.OwnedBytes(…)` or `OwnedBytes.init(…)`.
private func allocShimBufferType(initializerCallee callee: ExprSyntax) -> String? {
    if let reference = callee.as(DeclReferenceExprSyntax.self) { return bufferTypeName(reference.baseName.text) }
    guard let member = callee.as(MemberAccessExprSyntax.self), let base = member.base else { return nil }
    if member.declName.baseName.text == "init" { return bufferTypeName(base.trimmedDescription) }
    // `AllocShim.OwnedBytes(…)`: the member is the type.
    return base.trimmedDescription == "AllocShim" ? bufferTypeName(member.declName.baseName.text) : nil
}

private func bufferTypeName(_ text: String) -> String? {
    let name = text.hasPrefix("AllocShim.") ? String(text.dropFirst("AllocShim.".count)) : text
    return name == "OwnedBytes" || name == "SharedBytes" ? name : nil
}
#endif

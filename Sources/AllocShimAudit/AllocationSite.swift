#if Audit
import SwiftSyntax

/// How the memory of a recognised site must be proven initialized.
enum SiteShape {
    /// A pointer or buffer bound to a name: prove a complete overwrite in the scope that follows.
    case bound(BufferShape)
    /// `withUnsafeTemporaryAllocation`: the closure's parameter is the uninitialized buffer.
    case temporary(BufferShape)
    /// `Array(unsafeUninitializedCapacity:)`: `initializedCount` must count written elements.
    case arrayCount
    /// `String(unsafeUninitializedCapacity:)`, NIO `writeWithUnsafeMutableBytes`: the
    /// closure's result must count written bytes.
    case returnedCount
    /// NIO `moveWriterIndex`: the distance must count written bytes.
    case writerIndex
    /// ManagedBuffer and friends: never provable here, a marker is the only way out.
    case opaque(String)
}

/// The element layout of an allocation, for comparing write lengths with its size.
struct BufferShape {
    /// Has a `count` (buffer pointers, AllocShim buffers): count-less writes cover it.
    var isBuffer: Bool
    /// Raw memory (or bytes): element and byte counts are the same.
    var isRaw: Bool
    /// The element type for typed pointers (`UInt8`, `T` …) when written.
    var elementType: String?
}

/// A recognised uninitialized allocation call.
struct AllocationSite {
    var call: FunctionCallExprSyntax
    var api: String
    var size: ExprSyntax?
    var shape: SiteShape
    var isRealloc = false
    /// The size as compared with write lengths (defaults to `size`'s text).
    var sizeText: String?
    /// The zeroed form of the same API, for `--suggest`.
    var zeroedForm: String
    /// AllocShim's uninitialized buffer forms only: the output-span initializer that replaces
    /// them (`SharedBytes(capacity: n)`, without its closure), and the call rewritten to the
    /// zeroed form with the same arguments, a drop-in replacement (same result type, same
    /// errors, every byte zero instead of garbage) that the SARIF fix offers.
    var outputSpanForm: String?
    var zeroedReplacement: String?

    init(call: FunctionCallExprSyntax, api: String, size: ExprSyntax?, shape: SiteShape, zeroedForm: String) {
        self.call = call
        self.api = api
        self.size = size
        self.sizeText = size?.trimmedDescription
        self.shape = shape
        self.zeroedForm = zeroedForm
    }
}

private let byteTypes: Set<String> = ["UInt8", "Int8", "CChar", "CUnsignedChar", "CSignedChar", "Byte"]

func isByteType(_ type: String?) -> Bool {
    guard var type else { return false }
    if type.hasSuffix(".self") { type = String(type.dropLast(5)) }
    return byteTypes.contains(type)
}

/// The C allocation functions whose memory is uninitialized: the size argument's index.
private let cAllocators: [String: Int] = [
    "malloc": 0, "valloc": 0, "pvalloc": 0, "__libc_malloc": 0, "mi_malloc": 0, "je_malloc": 0, "tc_malloc": 0,
    "aligned_alloc": 1, "memalign": 1, "__libc_memalign": 1, "mi_malloc_aligned": 0, "posix_memalign": 2,
    "mallocx": 0,
    "realloc": 1, "reallocf": 1, "__libc_realloc": 1, "mi_realloc": 1, "je_realloc": 1, "rallocx": 1,
]
private let moduleQualifiers: Set<String> = ["Glibc", "Darwin", "Musl", "Foundation", "ucrt", "Android", "WASILibc"]

/// Whether `closure` takes two parameters: named ones, or `$1` used in its own body.
private func takesTwoParameters(_ closure: ClosureExprSyntax) -> Bool {
    if closure.signature?.parameterClause != nil { return closureParameterNames(closure, count: 2).count == 2 }
    return closure.descendants(DeclReferenceExprSyntax.self).contains {
        $0.baseName.text == "$1" && $0.ancestor(ClosureExprSyntax.self)?.id == closure.id
    }
}

/// Recognises an uninitialized allocation (docs/audit.md lists the APIs), or returns nil.
func recognizeAllocation(_ call: FunctionCallExprSyntax) -> AllocationSite? {
    let arguments = Array(call.arguments)
    let labels = arguments.map { $0.label?.text }
    func argument(_ label: String) -> ExprSyntax? { arguments.first(where: { $0.label?.text == label })?.expression }
    let callee = call.calledExpression

    // Labels decide for initializers, whatever the spelling of the type.
    if labels.first == "unsafeUninitializedCapacity" {
        let size = arguments.first!.expression
        if labels.contains("initializingUTF8With") || callee.trimmedDescription.hasPrefix("String") {
            return AllocationSite(
                call: call, api: "String(unsafeUninitializedCapacity:initializingUTF8With:)", size: size,
                shape: .returnedCount, zeroedForm: "String(decoding: bytes, as: UTF8.self)")
        }
        return AllocationSite(
            call: call, api: "\(typeName(callee) ?? "Array")(unsafeUninitializedCapacity:initializingWith:)", size: size,
            shape: .arrayCount, zeroedForm: "\(typeName(callee) ?? "Array")(repeating: 0, count: \(size.trimmedDescription))")
    }
    // SE-0485's way out of an output span (the output-span initializers' closures included):
    // `OutputRawSpan.withUnsafeMutableBytes { buffer, initializedCount in … }` and
    // `OutputSpan.withUnsafeMutableBufferPointer { … }` publish `initializedCount` elements as
    // written, as `Array(unsafeUninitializedCapacity:)` does. Their closures alone take two
    // parameters (Data's, Array's and the buffers' take one).
    if let member = callee.as(MemberAccessExprSyntax.self),
        ["withUnsafeMutableBytes", "withUnsafeMutableBufferPointer"].contains(member.declName.baseName.text),
        let closure = call.trailingClosure ?? arguments.last?.expression.as(ClosureExprSyntax.self),
        takesTwoParameters(closure)
    {
        let api = member.declName.baseName.text == "withUnsafeMutableBytes" ? "OutputRawSpan" : "OutputSpan"
        return AllocationSite(
            call: call, api: "\(api).\(member.declName.baseName.text)", size: nil, shape: .arrayCount,
            zeroedForm: "append to the output span instead of claiming initializedCount")
    }
    if labels.first == "uninitializedCount" || labels.first == "uninitializedUnpooledCount" {
        let label = labels.first!!
        let size = arguments.first!.expression
        var site = AllocationSite(
            call: call, api: "OwnedBytes(\(label):)", size: size,
            shape: .bound(BufferShape(isBuffer: true, isRaw: true)),
            zeroedForm: "OwnedBytes(zeroedCount: \(size.trimmedDescription)\(restOfArguments(arguments)))")
        let capacityLabel = label == "uninitializedCount" ? "capacity" : "unpooledCapacity"
        site.outputSpanForm = "OwnedBytes(\(capacityLabel): \(size.trimmedDescription)\(restOfArguments(arguments)))"
        // Only where the receiver is named AllocShim's type: another type's `uninitializedCount:`
        // initializer need not have a `zeroedCount:` one.
        if call.trailingClosure == nil, ["OwnedBytes", "AllocShim.OwnedBytes"].contains(callee.trimmedDescription) {
            site.zeroedReplacement = "\(callee.trimmedDescription)(zeroedCount: \(size.trimmedDescription)\(restOfArguments(arguments)))"
        }
        return site
    }
    if labels.contains("minimumCapacity"),
        labels.contains("makingHeaderWith") || labels.contains("bufferClass")
            || (call.trailingClosure != nil && callee.as(MemberAccessExprSyntax.self)?.declName.baseName.text == "create")
    {
        let api = (callee.as(MemberAccessExprSyntax.self)?.declName.baseName.text == "create")
            ? "ManagedBuffer.create(minimumCapacity:makingHeaderWith:)" : "ManagedBufferPointer(bufferClass:minimumCapacity:makingHeaderWith:)"
        return AllocationSite(
            call: call, api: api, size: argument("minimumCapacity"),
            shape: .opaque("the elements of a ManagedBuffer are uninitialized and the analyzer does not follow the count kept in its header"),
            zeroedForm: "initialize every element in makingHeaderWith, or justify the header's count with a marker")
    }

    var calleeName: String?
    var base: ExprSyntax?
    if let reference = callee.as(DeclReferenceExprSyntax.self) {
        calleeName = reference.baseName.text
    } else if let member = callee.as(MemberAccessExprSyntax.self) {
        calleeName = member.declName.baseName.text
        base = member.base
    }
    guard let name = calleeName else { return nil }
    let baseText = base?.trimmedDescription
    let freeFunction = base == nil || moduleQualifiers.contains(baseText ?? "")

    if freeFunction, callee.is(DeclReferenceExprSyntax.self) || base != nil, let sizeIndex = cAllocators[name],
        sizeIndex < arguments.count
    {
        if name == "mallocx" || name == "rallocx", arguments.count > sizeIndex + 1,
            arguments[sizeIndex + 1].expression.trimmedDescription.contains("ZERO")
        {
            return nil  // MALLOCX_ZERO
        }
        let size = arguments[sizeIndex].expression
        let isRealloc = name.contains("realloc") || name == "rallocx"
        let zeroed: String
        switch name {
        case "malloc", "__libc_malloc", "valloc", "pvalloc", "je_malloc", "tc_malloc": zeroed = "calloc(1, \(size.trimmedDescription))"
        case "mi_malloc": zeroed = "mi_zalloc(\(size.trimmedDescription))"
        default:
            zeroed = isRealloc
                ? "memset the grown tail (old size ..< \(size.trimmedDescription)) right after \(name)"
                : "memset(pointer, 0, \(size.trimmedDescription)) right after \(name)"
        }
        var site = AllocationSite(
            call: call, api: name, size: size, shape: .bound(BufferShape(isBuffer: false, isRaw: true)), zeroedForm: zeroed)
        site.isRealloc = isRealloc
        return site
    }

    switch name {
    case "allocate":
        // `.allocate(…)` or `T.allocate(…)`; a bare `allocate(…)` is the enclosing type's own method.
        guard callee.is(MemberAccessExprSyntax.self), !labels.contains("zeroed") else { return nil }
        let typeText = base.flatMap { typeName($0) }
        if let typeText, !typeText.hasPrefix("UnsafeMutable") { return nil }
        guard labels.first == "capacity" || labels.first == "byteCount" else { return nil }
        let isRaw = labels.first == "byteCount"
        var type = typeText ?? implicitType(of: call) ?? (isRaw ? "UnsafeMutableRawPointer" : "UnsafeMutablePointer")
        if isRaw, !type.contains("Raw") { type = "UnsafeMutableRawPointer" }
        let isBuffer = type.contains("Buffer")
        let elementType = base.flatMap { genericArgument($0) } ?? implicitElementType(of: call)
        let size = arguments.first!.expression
        let zeroed: String
        if isRaw {
            zeroed = isBuffer
                ? "\(type).allocate(...) followed by .initializeMemory(as: UInt8.self, repeating: 0)"
                : "\(type).allocate(...) followed by .initializeMemory(as: UInt8.self, repeating: 0, count: \(size.trimmedDescription))"
        } else {
            zeroed = isBuffer
                ? "\(type).allocate(...) followed by .initialize(repeating: <zero value>)"
                : "\(type).allocate(...) followed by .initialize(repeating: <zero value>, count: \(size.trimmedDescription))"
        }
        return AllocationSite(
            call: call, api: "\(type).allocate(\(labels.compactMap { $0 }.map { "\($0):" }.joined()))", size: size,
            shape: .bound(BufferShape(isBuffer: isBuffer, isRaw: isRaw || isByteType(elementType), elementType: elementType)),
            zeroedForm: zeroed)
    case "allocUnsafe", "allocUnsafeSlow":
        guard let size = arguments.first?.expression, arguments.first?.label == nil else { return nil }
        var site = AllocationSite(
            call: call, api: "SharedBytes.\(name)", size: size, shape: .bound(BufferShape(isBuffer: true, isRaw: true)),
            zeroedForm: "\(baseText ?? "").alloc(\(size.trimmedDescription)\(restOfArguments(arguments)))")
        let capacityLabel = name == "allocUnsafe" ? "capacity" : "unpooledCapacity"
        let type = baseText.flatMap { typeName($0) } ?? "SharedBytes"
        site.outputSpanForm = "\(type)(\(capacityLabel): \(size.trimmedDescription)\(restOfArguments(arguments)))"
        if call.trailingClosure == nil, ["SharedBytes", "AllocShim.SharedBytes"].contains(baseText ?? "") {
            site.zeroedReplacement = site.zeroedForm
        }
        return site
    case "allocateUninitialized":
        let size: ExprSyntax?
        var sizeText: String?
        if let byteCount = argument("byteCount") {
            size = byteCount
        } else if let count = argument("count"), let stride = argument("stride") {
            size = count
            sizeText = "\(count.trimmedDescription) * \(stride.trimmedDescription)"
        } else {
            return nil
        }
        let arguments = call.arguments.trimmedDescription
        var site = AllocationSite(
            call: call, api: "Allocator.allocateUninitialized", size: size,
            shape: .bound(BufferShape(isBuffer: false, isRaw: true)),
            zeroedForm: "\(baseText.map { "\($0)." } ?? "")allocateZeroed(\(arguments))")
        if let sizeText { site.sizeText = sizeText }
        return site
    case "withUnsafeTemporaryAllocation":
        guard freeFunction else { return nil }
        if let capacity = argument("capacity") {
            let element = argument("of")?.trimmedDescription
            return AllocationSite(
                call: call, api: "withUnsafeTemporaryAllocation(of:capacity:_:)", size: capacity,
                shape: .temporary(BufferShape(isBuffer: true, isRaw: isByteType(element), elementType: element)),
                zeroedForm: "call buffer.initialize(repeating: <zero value>) first in the closure")
        }
        if let byteCount = argument("byteCount") {
            return AllocationSite(
                call: call, api: "withUnsafeTemporaryAllocation(byteCount:alignment:_:)", size: byteCount,
                shape: .temporary(BufferShape(isBuffer: true, isRaw: true)),
                zeroedForm: "call buffer.initializeMemory(as: UInt8.self, repeating: 0) first in the closure")
        }
        return nil
    case "writeWithUnsafeMutableBytes":
        guard base != nil else { return nil }
        return AllocationSite(
            call: call, api: "ByteBuffer.writeWithUnsafeMutableBytes", size: argument("minimumWritableBytes"),
            shape: .returnedCount, zeroedForm: "return only the number of bytes the closure wrote")
    case "moveWriterIndex":
        guard base != nil, let distance = argument("forwardBy") ?? argument("to") else { return nil }
        return AllocationSite(
            call: call, api: "ByteBuffer.moveWriterIndex(\(labels.first!!):)", size: distance,
            shape: .writerIndex, zeroedForm: "write the bytes first (writeBytes/writeInteger), or move by the count a write returned")
    default:
        return nil
    }
}

private func restOfArguments(_ arguments: [LabeledExprSyntax]) -> String {
    arguments.dropFirst().map { ", \($0.trimmedDescription.hasSuffix(",") ? String($0.trimmedDescription.dropLast()) : $0.trimmedDescription)" }.joined()
}

/// `UnsafeMutablePointer` for `UnsafeMutablePointer<T>`, `Array` for `[UInt8]`.
func typeName(_ expression: ExprSyntax) -> String? {
    if expression.is(ArrayExprSyntax.self) { return "Array" }
    return typeName(expression.trimmedDescription)
}

func typeName(_ text: String) -> String? {
    let name = text.split(separator: "<", maxSplits: 1).first.map(String.init) ?? text
    guard let first = name.first, first.isUppercase else { return nil }
    return name
}

/// `T` in `UnsafeMutablePointer<T>`.
func genericArgument(_ expression: ExprSyntax) -> String? {
    guard let specialized = expression.as(GenericSpecializationExprSyntax.self) else { return nil }
    return specialized.genericArgumentClause.arguments.first?.argument.trimmedDescription
}

/// For `.allocate(...)` with an implicit base: the type annotation of the binding.
private func implicitType(of call: FunctionCallExprSyntax) -> String? {
    guard let binding = call.ancestor(PatternBindingSyntax.self), let annotation = binding.typeAnnotation else { return nil }
    return typeName(annotation.type.trimmedDescription)
}

private func implicitElementType(of call: FunctionCallExprSyntax) -> String? {
    guard let binding = call.ancestor(PatternBindingSyntax.self), let annotation = binding.typeAnnotation else { return nil }
    let text = annotation.type.trimmedDescription
    guard let open = text.firstIndex(of: "<"), let close = text.lastIndex(of: ">") else { return nil }
    return String(text[text.index(after: open)..<close])
}
#endif

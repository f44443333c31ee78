/// How buffers describe themselves (`print`, string interpolation, the debugger): what they are
/// and where their memory lives — never their bytes, which may be secrets.
enum BufferDescription {
    static func text(type: String, count: Int, allocatorName: String?, isPooled: Bool) -> String {
        var parts = ["count: \(count)"]
        parts.append("allocator: \(allocatorName ?? "external memory")")
        if isPooled { parts.append("pooled") }
        return "\(type)(\(parts.joined(separator: ", ")))"
    }
}

extension SharedBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Count, allocator and pooling — never the bytes.
    public var description: String {
        BufferDescription.text(type: "SharedBytes", count: count, allocatorName: allocatorName, isPooled: isPooled)
    }

    public var debugDescription: String { description }

    /// What `dump` and debuggers show: the same facts, not the storage (whose bytes may be secrets).
    public var customMirror: Mirror {
        Mirror(self, children: ["count": count, "allocator": allocatorName ?? "external memory", "isPooled": isPooled], displayStyle: .struct)
    }
}

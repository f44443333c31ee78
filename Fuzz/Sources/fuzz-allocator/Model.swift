import AllocShim

/// One region the library handed out: the model's memory of what it must hold.
final class ModelRegion {
    let address: UInt
    let count: Int
    /// What every byte must read as; written by the model alongside the real buffer.
    var expected: [UInt8]
    /// The allocator whose memory it is (the slab's, for a pool slice).
    let allocator: AnyObject
    /// Where it came from, for failure messages.
    let origin: String
    /// Buffers (owned, shared, slices) still referring to it.
    var references = 0

    init(address: UInt, count: Int, expected: [UInt8], allocator: AnyObject, origin: String) {
        self.address = address
        self.count = count
        self.expected = expected
        self.allocator = allocator
        self.origin = origin
    }

    func overlaps(_ other: ModelRegion) -> Bool {
        count > 0 && other.count > 0 && address < other.address + UInt(other.count) && other.address < address + UInt(count)
    }
}

/// A noncopyable `OwnedBytes` in a box, so the model can keep it in an array.
final class OwnedBox {
    var bytes: OwnedBytes?
    init(_ bytes: consuming OwnedBytes) { self.bytes = consume bytes }
}

/// A live buffer: a shared buffer (or slice) or an owned one, and the part of a region it sees.
struct ModelBuffer {
    enum Handle {
        case shared(SharedBytes)
        case owned(OwnedBox)
    }

    var handle: Handle
    let region: ModelRegion
    let offset: Int
    let count: Int

    var expected: ArraySlice<UInt8> { region.expected[offset..<(offset + count)] }

    /// Reads the real bytes.
    func actualBytes() -> [UInt8] {
        switch handle {
        case .shared(let buffer): return buffer.copyToArray()
        case .owned(let box):
            let bytes = box.bytes.take()!
            let values = bytes.withUnsafeBytes { Array($0) }
            box.bytes = consume bytes
            return values
        }
    }

    /// Writes `pattern` over every byte, in the buffer and in the model.
    func write(_ pattern: (Int) -> UInt8) {
        let values = (0..<count).map(pattern)
        switch handle {
        case .shared(let buffer):
            buffer.withUnsafeMutableBytes { $0.copyBytes(from: values) }
        case .owned(let box):
            var bytes = box.bytes.take()!
            bytes.withUnsafeMutableBytes { $0.copyBytes(from: values) }
            box.bytes = consume bytes
        }
        region.expected.replaceSubrange(offset..<(offset + count), with: values)
    }
}

/// Where a run's buffers come from.
struct ModelSource {
    enum Kind: CustomStringConvertible {
        /// `nil`: the process default's source.
        case processDefault
        case backend(BackendName)
        /// A source of its own on the system allocator, with a small slab.
        case privateSystem
        /// A `JemallocArena` of this run, with its own source.
        case arena(Int)
        /// A tenant of the run's `TenantArenas`.
        case tenant(String)

        var description: String {
            switch self {
            case .processDefault: return "process default"
            case .backend(let name): return "backend \(name)"
            case .privateSystem: return "private system source"
            case .arena(let index): return "arena \(index)"
            case .tenant(let name): return "tenant \(name)"
            }
        }
    }

    let kind: Kind
    /// nil for the process default.
    let source: BufferSource?
}

import AllocShim

/// A block a thread workload makes, marks and drops, in one of the ``BlockForm``s. Dropping
/// it frees it, into the allocator or slab that made it, on whichever thread drops it. Its type
/// (`SendableMetatype`) is used on the workload's threads, even when its values stay on one.
protocol WorkloadBlock: ~Copyable, SendableMetatype {
    /// Where blocks come from: a `BufferSource` for AllocShim's own forms, a NIO allocator for
    /// the `ByteBuffer` form. Every thread of a run makes its blocks from the same one.
    associatedtype Origin: Sendable = BufferSource

    /// `byteCount` uninitialized bytes from `source`.
    init(byteCount: Int, from source: Origin) throws(BufferError)

    /// Writes `mark` to the first and the last byte: the block's memory is really touched.
    mutating func mark(_ mark: UInt8)

    /// The first and the last byte added up (2 × the mark while the bytes are intact).
    func markSum() -> UInt64
}

/// `OwnedBytes(uninitializedCount:using:)`: a pooled buffer.
struct PooledOwnedBlock: WorkloadBlock, ~Copyable, Sendable {
    var bytes: OwnedBytes

    init(byteCount: Int, from source: BufferSource) throws(BufferError) {
        // allocshim: uninitialized — thread benchmark: the first and last byte are written before anything is read, nothing else is read
        bytes = try OwnedBytes(uninitializedCount: byteCount, using: source)
    }

    mutating func mark(_ mark: UInt8) {
        bytes[0] = mark
        bytes[bytes.count - 1] = mark
    }

    func markSum() -> UInt64 { UInt64(bytes[0]) + UInt64(bytes[bytes.count - 1]) }
}

/// `OwnedBytes(uninitializedUnpooledCount:using:)`: one allocator block per buffer.
struct UnpooledOwnedBlock: WorkloadBlock, ~Copyable, Sendable {
    var bytes: OwnedBytes

    init(byteCount: Int, from source: BufferSource) throws(BufferError) {
        // allocshim: uninitialized — thread benchmark: the first and last byte are written before anything is read, nothing else is read
        bytes = try OwnedBytes(uninitializedUnpooledCount: byteCount, using: source)
    }

    mutating func mark(_ mark: UInt8) {
        bytes[0] = mark
        bytes[bytes.count - 1] = mark
    }

    func markSum() -> UInt64 { UInt64(bytes[0]) + UInt64(bytes[bytes.count - 1]) }
}

/// `SharedBytes.allocUnsafe(_:using:)`. Not `Sendable`, like `SharedBytes`: same-thread only.
struct SharedUnsafeBlock: WorkloadBlock {
    let bytes: SharedBytes

    init(byteCount: Int, from source: BufferSource) throws(BufferError) {
        // allocshim: uninitialized — thread benchmark: the first and last byte are written before anything is read, nothing else is read
        bytes = try SharedBytes.allocUnsafe(byteCount, using: source)
    }

    mutating func mark(_ mark: UInt8) {
        bytes[0] = mark
        bytes[bytes.count - 1] = mark
    }

    func markSum() -> UInt64 { UInt64(bytes[0]) + UInt64(bytes[bytes.count - 1]) }
}

/// A block straight from the source's allocator, freed into it by `deinit`.
struct AllocatorBlock: WorkloadBlock, ~Copyable, @unchecked Sendable {
    // @unchecked: the block's only owner; moving it moves the duty to free it.
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    /// Unretained, and only used through `_withUnsafeGuaranteedRef`: a retain and release per
    /// block (which an `unowned(unsafe)` allocator still cost in `deinit`) has every thread
    /// write the one shared reference count, and made 2 threads slower than 1 (24 → 103 CPU ns
    /// per pair). The source outlives every block of a run.
    let source: Unmanaged<BufferSource>

    init(byteCount: Int, from source: BufferSource) throws(BufferError) {
        do {
            // allocshim: uninitialized — thread benchmark: first and last byte are written before anything is read, nothing else is read
            pointer = try source.allocator.allocateUninitialized(byteCount: byteCount)
        } catch {
            throw .allocation(error)
        }
        self.byteCount = byteCount
        self.source = .passUnretained(source)
    }

    deinit {
        source._withUnsafeGuaranteedRef { [pointer, byteCount] source in source.allocator.deallocate(pointer, byteCount: byteCount) }
    }

    mutating func mark(_ mark: UInt8) {
        pointer.storeBytes(of: mark, as: UInt8.self)
        pointer.storeBytes(of: mark, toByteOffset: byteCount - 1, as: UInt8.self)
    }

    func markSum() -> UInt64 {
        UInt64(pointer.load(as: UInt8.self)) + UInt64(pointer.load(fromByteOffset: byteCount - 1, as: UInt8.self))
    }
}

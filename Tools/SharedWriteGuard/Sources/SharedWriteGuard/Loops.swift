import AllocShim
import Synchronization

// The fixed loops the guard measures. Each one makes and drops `count` buffers of
// `GuardInput.byteCount` bytes on the calling thread and touches each buffer (one write and
// one read at both ends) so that no allocation can be elided.
//
// Every loop has a fixed symbol name (`@_silgen_name`) and is never inlined: callgrind turns
// collection on when it enters a function named `sharedwriteguard_*_loop` and dumps the counts
// when it leaves (scripts/check-shared-writes.sh), so everything a loop calls — the library,
// the Swift runtime, the allocator — is attributed to that loop and nothing else is. A loop
// never calls another loop (callgrind's toggle would switch collection off inside).

/// What the loops copy from: made once, outside every loop.
struct GuardInput {
    /// Bytes per buffer: under half an 8 KiB slab, so the pooled forms cut from a slab, and
    /// 81 slices of 104 bytes (8-byte aligned) per slab, so a loop crosses a slab every 78-81 buffers.
    static let byteCount = 100
    /// The payload of `SharedBytes.from(_:)`: a caller's array, which another thread may share.
    let array: [UInt8]
    /// The payload of `BytesBuilder.append(_:)`.
    let raw: UnsafeRawBufferPointer
}

/// One write and one read at both ends of the buffer; returns what was read.
@inline(__always)
private func touch(_ bytes: inout OwnedBytes, _ index: Int) -> UInt64 {
    let value = UInt8(truncatingIfNeeded: index)
    bytes[0] = value
    bytes[bytes.count - 1] = value &+ 1
    return UInt64(bytes[0]) &+ UInt64(bytes[bytes.count - 1])
}

@inline(__always)
private func touch(_ bytes: SharedBytes, _ index: Int) -> UInt64 {
    let value = UInt8(truncatingIfNeeded: index)
    bytes[0] = value
    bytes[bytes.count - 1] = value &+ 1
    return UInt64(bytes[0]) &+ UInt64(bytes[bytes.count - 1])
}

// MARK: With an explicit source (`using: source`)

@_silgen_name("sharedwriteguard_owned_pooled_using_loop")
@inline(never)
func loopOwnedPooledUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(uninitializedCount: GuardInput.byteCount, using: source)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_owned_unpooled_using_loop")
@inline(never)
func loopOwnedUnpooledUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(uninitializedUnpooledCount: GuardInput.byteCount, using: source)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_owned_zeroed_using_loop")
@inline(never)
func loopOwnedZeroedUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(zeroedCount: GuardInput.byteCount, using: source)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_alloc_unsafe_using_loop")
@inline(never)
func loopSharedAllocUnsafeUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.allocUnsafe(GuardInput.byteCount, using: source), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_alloc_using_loop")
@inline(never)
func loopSharedAllocUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.alloc(GuardInput.byteCount, using: source), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_from_array_using_loop")
@inline(never)
func loopSharedFromArrayUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.from(input.array, using: source), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_builder_using_loop")
@inline(never)
func loopBuilderUsing(_ count: Int, _ source: BufferSource, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var builder = try BytesBuilder(using: source)
        try builder.append(input.raw)
        checksum &+= touch(try builder.finish(), index)
    }
    return checksum
}

// MARK: With the process default source (no `using:`, as the README shows)

@_silgen_name("sharedwriteguard_owned_pooled_default_loop")
@inline(never)
func loopOwnedPooledDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(uninitializedCount: GuardInput.byteCount)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_owned_unpooled_default_loop")
@inline(never)
func loopOwnedUnpooledDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(uninitializedUnpooledCount: GuardInput.byteCount)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_owned_zeroed_default_loop")
@inline(never)
func loopOwnedZeroedDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var bytes = try OwnedBytes(zeroedCount: GuardInput.byteCount)
        checksum &+= touch(&bytes, index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_alloc_unsafe_default_loop")
@inline(never)
func loopSharedAllocUnsafeDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.allocUnsafe(GuardInput.byteCount), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_alloc_default_loop")
@inline(never)
func loopSharedAllocDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.alloc(GuardInput.byteCount), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_shared_from_array_default_loop")
@inline(never)
func loopSharedFromArrayDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        checksum &+= touch(try SharedBytes.from(input.array), index)
    }
    return checksum
}

@_silgen_name("sharedwriteguard_builder_default_loop")
@inline(never)
func loopBuilderDefault(_ count: Int, _ input: GuardInput) throws(BufferError) -> UInt64 {
    var checksum: UInt64 = 0
    for index in 0..<count {
        var builder = try BytesBuilder()
        try builder.append(input.raw)
        checksum &+= touch(try builder.finish(), index)
    }
    return checksum
}

// MARK: The guard's self-test

/// An object every thread could share, with a counter in it.
final class SharedCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Per iteration, exactly one retain and one release of a shared object and one atomic
/// read-modify-write on a shared word: the shared writes the guard exists to catch. Its row
/// must read 1, 1 and 1, or the guard has stopped seeing what it counts (a renamed runtime
/// entry point, a toggle that no longer fires, addresses that no longer match the disassembly).
@_silgen_name("sharedwriteguard_control_loop")
@inline(never)
func loopControl(_ count: Int, _ shared: SharedCounter) -> UInt64 {
    var checksum: UInt64 = 0
    for _ in 0..<count {
        let retained = Unmanaged.passUnretained(shared).retain()
        let before = retained._withUnsafeGuaranteedRef { $0.value.wrappingAdd(1, ordering: .relaxed).oldValue }
        retained.release()
        checksum &+= UInt64(truncatingIfNeeded: before)
    }
    return checksum
}

import Foundation
import Testing

@testable import AllocShim

/// A user's allocator lives as long as any block it made (issue 21, item 1): a forwarding
/// wrapper that claims to live for the whole process is still retained by its buffers. Before
/// the fix, releasing such a buffer after the wrapper died was a use-after-free (ASan:
/// heap-use-after-free in RegionOwner.release), reachable without `unsafe` in user code.
@Suite("Allocator lifetime")
struct AllocatorLifetimeTests {
    /// The usual decorator: forwards everything, including the old immortality claim.
    final class ForwardingAllocator: Allocator {
        let inner: any Allocator = SystemAllocator.shared
        var name: String { "forwarding" }
        var naturalAlignment: Int { inner.naturalAlignment }
        @available(*, deprecated)
        var livesForWholeProcess: Bool { true }  // a lie, forwarded from the system backend
        func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            try inner.allocateUninitialized(byteCount: byteCount, alignment: alignment)
        }
        func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
            try inner.allocateZeroed(byteCount: byteCount, alignment: alignment)
        }
        func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
            -> UnsafeMutableRawPointer
        {
            try inner.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
        }
        func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
            inner.deallocate(pointer, byteCount: byteCount, alignment: alignment)
        }
        func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int { inner.usableSize(of: pointer, alignment: alignment) }
        func statistics() -> AllocatorStatistics { inner.statistics() }
    }

    enum Form: String, CaseIterable {
        case alloc, allocUnsafeSlow, ownedZeroed, builderFinish, data, pooled
    }

    /// Makes a buffer of `form` through a source over `allocator` and returns something that
    /// keeps it alive.
    static func make(_ form: Form, _ allocator: any Allocator) throws -> Any {
        let source = try BufferSource(allocator: allocator)
        switch form {
        case .alloc: return try SharedBytes.alloc(300, using: source)
        case .allocUnsafeSlow:
            // allocshim: uninitialized — lifetime test: filled right away, nothing is read
            let buffer = try SharedBytes.allocUnsafeSlow(300, using: source)
            try buffer.fill(.byte(1))
            return buffer
        case .ownedZeroed: return try OwnedBytes(zeroedCount: 300, using: source).share()
        case .builderFinish:
            var builder = try BytesBuilder(initialCapacity: 64, using: source)
            try builder.append(String(repeating: "x", count: 200))
            return try builder.finish()
        case .data: return try SharedBytes.alloc(300, using: source).unsafeDataSharingMemory()
        case .pooled: return try SharedBytes.from([UInt8](repeating: 7, count: 40), using: source)
        }
    }

    @Test("a buffer keeps a user's allocator alive, whatever the allocator claims", arguments: Form.allCases)
    func bufferKeepsAllocatorAlive(_ form: Form) throws {
        weak var weakAllocator: ForwardingAllocator?
        var buffer: Any?
        do {
            let allocator = ForwardingAllocator()
            weakAllocator = allocator
            buffer = try Self.make(form, allocator)
        }
        #expect(weakAllocator != nil, "\(form): the buffer must keep its allocator (and source) alive")
        buffer = nil  // released into the allocator: a use-after-free before the fix
        #expect(weakAllocator == nil, "\(form): the allocator goes with its last buffer")
        _ = buffer
    }

    @Test("only AllocShim's own backend objects are held unretained, decided by identity")
    func immortalityIsIdentity() throws {
        #expect(FastPathHandle.of(SystemAllocator.shared) != nil)
        #expect(FastPathHandle.of(ForwardingAllocator()) == nil)
        if case .fast = RegionOwner.block(of: ForwardingAllocator()) { Issue.record("a user allocator was held unretained") }
        if case .fast = RegionOwner.block(of: SystemAllocator.shared) {} else { Issue.record("the system backend should be unretained") }
    }
}

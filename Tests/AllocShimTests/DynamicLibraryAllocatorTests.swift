import AllocShim
import Testing

private var tcmalloc: DynamicLibraryAllocator? { try? DynamicLibraryAllocator.tcmalloc.get() }

@Suite("tcmalloc sized free", .enabled(if: tcmalloc != nil))
struct TcmallocSizedFreeTests {
    /// Issue 11 item 10. tcmalloc keeps a block in place on a shrink to at least half its size,
    /// so before the fix a 1000 → 600 shrink left a 1024-byte-class block that the owner then
    /// freed with `tc_free_sized(block, 600)` (the 640 class): usable size 1024 ≠ 640.
    @Test("after a shrinking reallocate the block's size class is the new size's", arguments: [(1000, 600), (4096, 2100), (300, 200), (64, 40)])
    func shrinkKeepsSizeClassOfNewSize(sizes: (old: Int, new: Int)) throws {
        let allocator = try #require(tcmalloc)
        let block = try allocator.allocateUninitialized(byteCount: sizes.old)
        block.initializeMemory(as: UInt8.self, repeating: 0x5A, count: sizes.old)
        let shrunk = try allocator.reallocate(block, oldByteCount: sizes.old, newByteCount: sizes.new, alignment: 16)
        let fresh = try allocator.allocateUninitialized(byteCount: sizes.new)
        #expect(allocator.usableSize(of: shrunk) == allocator.usableSize(of: fresh), "shrunk block keeps a larger class than \(sizes.new) B")
        #expect(UnsafeRawBufferPointer(start: shrunk, count: sizes.new).allSatisfy { $0 == 0x5A })
        allocator.deallocate(fresh, byteCount: sizes.new)
        allocator.deallocate(shrunk, byteCount: sizes.new)
    }

    @Test("a builder finished on tcmalloc (a shrinking reallocate) keeps its bytes and releases by the new size")
    func builderFinish() throws {
        let allocator = try #require(tcmalloc)
        let source = try BufferSource(allocator: allocator)
        let chunk = String(repeating: "\u{7}", count: 600)
        for _ in 0..<200 {
            var builder = try BytesBuilder(initialCapacity: 1000, using: source)
            try builder.append(chunk)
            let bytes = try builder.finish()
            #expect(bytes.count == 600)
            #expect(bytes.withUnsafeBytes { $0.allSatisfy { $0 == 7 } })
        }
    }
}

import AllocShim
import Glibc
import Testing

private var tcmalloc: DynamicLibraryAllocator? { try? DynamicLibraryAllocator.tcmalloc.get() }

/// `MallocExtension_GetThreadCacheSize` of the library the backend loaded: the bytes cached by
/// the calling thread's tcmalloc cache, 0 when the thread has none.
private func threadCacheSizeFunction(of allocator: DynamicLibraryAllocator) -> (@convention(c) () -> Int)? {
    // RTLD_NOLOAD: the handle of the copy the backend already loaded, never a second one.
    guard let handle = dlopen(allocator.library, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD),
        let symbol = dlsym(handle, "MallocExtension_GetThreadCacheSize")
    else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) () -> Int).self)
}

@Suite("tcmalloc frees on threads that never allocated", .enabled(if: tcmalloc != nil))
struct TcmallocRemoteFreeTests {
    /// Issue 23 item 2. gperftools files a free on a thread without a tcmalloc cache into the
    /// central free list, one block per spin-lock acquisition; a consumer thread that only
    /// frees (producer-consumer, 24.8 → 1.7 million/s at 16 threads) never gets a cache. Before
    /// the fix the freeing thread's cache stayed absent (size 0) after 256 releases.
    @Test("a thread that only releases tcmalloc blocks frees them into a thread cache of its own", arguments: [false, true])
    func releasingThreadGetsACache(sized: Bool) throws {
        let allocator = try #require(tcmalloc)
        let cacheSize = try #require(
            threadCacheSizeFunction(of: allocator), "\(allocator.library) has no MallocExtension_GetThreadCacheSize")
        let byteCount = 100
        // Above the natural 16 a block takes the aligned path, which frees with plain tc_free.
        let alignment = sized ? 16 : 64
        let blocks = try (0..<256).map { _ in
            UInt(bitPattern: try allocator.allocateUninitialized(byteCount: byteCount, alignment: alignment))
        }
        let observed = Shared<(before: Int, after: Int)>((-1, -1))
        onExitingThread {
            let before = cacheSize()
            for address in blocks {
                let block = UnsafeMutableRawPointer(bitPattern: address)!
                allocator.deallocate(block, byteCount: byteCount, alignment: alignment)
            }
            observed.value = (before, cacheSize())
        }
        #expect(observed.value.before == 0, "a new thread starts without a tcmalloc cache")
        #expect(observed.value.after > 0, "the releasing thread's frees went to the central free list, not to a cache of its own")
    }
}

import CAllocShims

/// Which jemalloc arena owns a block (`arenas.lookup`): how tests prove that a tenant's block
/// lies in that tenant's arena and nowhere else.
///
/// Only for pointers jemalloc made: jemalloc 5.3 looks the pointer up in its radix tree and
/// assumes it is there (a pointer from glibc or another allocator is undefined behaviour).
package enum JemallocArenaLookup {
    /// The index of the arena holding `pointer`, or nil when jemalloc is absent or refuses.
    package static func arenaIndex(of pointer: UnsafeRawPointer) -> UInt32? {
        var index: UInt32 = 0
        var length = MemoryLayout<UInt32>.size
        var query: UnsafeRawPointer? = pointer
        let code = withUnsafeMutableBytes(of: &index) { indexBytes in
            withUnsafeMutableBytes(of: &query) { queryBytes in
                CAllocShims_jemalloc_mallctl(
                    "arenas.lookup", indexBytes.baseAddress, &length, queryBytes.baseAddress, queryBytes.count)
            }
        }
        return code == 0 ? index : nil
    }
}

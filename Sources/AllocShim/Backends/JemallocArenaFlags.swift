import CAllocShims

/// The arena field of jemalloc's mallocx flags, which Swift cannot build with the C macro.
enum JemallocArenaFlags {
    /// The largest arena index `MALLOCX_ARENA` can carry (4094: a 12-bit field holding index + 1).
    static let arenaIndexLimit = CAllocShims_jemalloc_arena_index_limit()

    /// `MALLOCX_ARENA(index)`, or a typed error for an index the flags cannot carry (jemalloc's
    /// macro shifts a signed int: undefined behaviour from index 2047 on, and indices above
    /// 4094 would land in other bits).
    static func arenaFlags(_ index: UInt32) throws(JemallocControlError) -> Int32 {
        var flags: Int32 = 0
        guard CAllocShims_jemalloc_arena_flags(index, &flags) == 0 else {
            throw .arenaIndexOutOfRange(index: index, limit: arenaIndexLimit)
        }
        return flags
    }
}

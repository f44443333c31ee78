import CAllocShims

/// The mallocx-family calls shared by `jemalloc` and `jemalloc-arena`; they differ only in
/// the base flags (none, or MALLOCX_ARENA(i) | MALLOCX_TCACHE_NONE).
struct JemallocCalls: Sendable {
    let baseFlags: Int32
    let naturalAlignment: Int

    private static let zeroFlag = CAllocShims_MALLOCX_ZERO()

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

    /// Flags for a block of `size` bytes: the alignment flag is part of the block's identity,
    /// because `sdallocx` recomputes the size class from (size, flags).
    @inline(__always)
    func flags(size: Int, alignment: Int) -> Int32 {
        AlignedPath.isNeeded(size: size, alignment: alignment, natural: naturalAlignment)
            ? baseFlags | CAllocShims_MALLOCX_ALIGN(alignment) : baseFlags
    }

    @inline(__always)
    func allocate(size: Int, alignment: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        let flags = flags(size: size, alignment: alignment)
        return CAllocShims_jemalloc_mallocx(size, zeroed ? flags | Self.zeroFlag : flags)
    }

    @inline(__always)
    func reallocate(_ pointer: UnsafeMutableRawPointer, size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        CAllocShims_jemalloc_rallocx(pointer, size, flags(size: size, alignment: alignment))
    }

    @inline(__always)
    func deallocate(_ pointer: UnsafeMutableRawPointer, size: Int, alignment: Int) {
        CAllocShims_jemalloc_sdallocx(pointer, size, flags(size: size, alignment: alignment))
    }

    @inline(__always)
    func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int {
        Int(CAllocShims_jemalloc_sallocx(pointer, baseFlags))
    }
}

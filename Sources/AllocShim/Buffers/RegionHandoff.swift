/// A region whose ownership left its buffer, for a library of this package that hands memory to
/// another owner without copying (AllocShimNIO: an `OwnedBytes` becoming a `ByteBuffer`). The
/// holder must call ``release()`` exactly once; nothing else frees the region.
///
/// Invariant: `base` is valid for `count` initialized bytes until ``release()``; `owner` frees it
/// into the allocator (or slab) that made it, with the size it was made with.
package struct HandedOffRegion: @unchecked Sendable {
    // @unchecked: the unique owner of its region, as the OwnedBytes it came from.
    package let base: UnsafeMutableRawPointer
    package let count: Int
    let owner: RegionOwner

    /// Frees the region into its allocator (or slab). Call exactly once.
    package func release() { owner.release(base, byteCount: count) }

    /// The allocator that frees the region (`nil` for external memory).
    package var allocatorName: String? { owner.allocator?.name }

    /// Whether the region is a pool slice (it pins its slab until released).
    package var isPooled: Bool {
        if case .slab = owner { return true }
        return false
    }
}

extension OwnedBytes {
    /// Gives up ownership without freeing: the caller now frees the region (exactly once).
    package consuming func handOffRegion() -> HandedOffRegion {
        let region = HandedOffRegion(base: base, count: count, owner: owner)
        owner = .moved  // the holder frees the region now; this deinit must not
        return region
    }
}

extension SharedBytes {
    /// The whole region, when this value is its only reference and spans all of it: then no other
    /// copy can write the bytes, and handing them off is as safe as for an `OwnedBytes`. `nil`
    /// otherwise (the caller copies instead, and says so).
    package consuming func handOffRegionIfUnique() -> HandedOffRegion? {
        guard offset == 0, count == storage.byteCount, isKnownUniquelyReferenced(&storage) else { return nil }
        let region = HandedOffRegion(base: storage.base, count: count, owner: storage.owner)
        storage.owner = .moved  // unique: no other value can read the owner; the storage's deinit must not free
        return region
    }
}

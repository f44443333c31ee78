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
    package var allocatorName: String? { owner.allocatorName }

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

extension RegionOwner {
    /// The allocator this region frees into (a pool slice's: its slab's) when it is one of
    /// AllocShim's own built-in backends, which live for the whole process (decided by identity,
    /// as `block(of:)` does); `nil` for any other allocator and for external memory. A holder may
    /// route further allocations to it for good without keeping alive anything that would die.
    var processLifetimeAllocator: (any Allocator)? {
        guard let allocator, FastPathHandle.of(allocator) != nil else { return nil }
        return allocator
    }
}

extension HandedOffRegion {
    /// See `RegionOwner.processLifetimeAllocator`.
    package var processLifetimeAllocator: (any Allocator)? { owner.processLifetimeAllocator }
}

extension SharedBytes {
    /// See `RegionOwner.processLifetimeAllocator`.
    package var processLifetimeAllocator: (any Allocator)? { storage.owner.processLifetimeAllocator }
}

/// Why a ``SharedBytes`` kept its region instead of handing it off.
package enum RegionHandoffRefusal: Sendable, Equatable {
    /// The value covers only part of its region (a slice): the rest may be read through others.
    case partOfRegion
    /// Other values share the region: they could read or write bytes the new owner holds.
    case otherReferences
    /// The memory belongs to someone else (a view): it is not AllocShim's to give away.
    case externalMemory
}

/// A ``SharedBytes`` handed off, or given back with the reason it could not be.
package enum SharedRegionHandoff {
    case handedOff(HandedOffRegion)
    case refused(RegionHandoffRefusal, SharedBytes)
}

extension SharedBytes {
    /// As ``handOffRegionIfUnique()``, but gives the value back when it cannot hand off, with the
    /// reason, so the caller can copy it instead and say why. External memory (a view) is never
    /// handed off: its owner, not the new holder, decides when it goes.
    package consuming func handOffRegionOrGiveBack() -> SharedRegionHandoff {
        if case .view = storage.owner { return .refused(.externalMemory, self) }
        guard offset == 0, count == storage.byteCount else { return .refused(.partOfRegion, self) }
        guard isKnownUniquelyReferenced(&storage) else { return .refused(.otherReferences, self) }
        let region = HandedOffRegion(base: storage.base, count: count, owner: storage.owner)
        storage.owner = .moved  // unique: no other value can read the owner; the storage's deinit must not free
        return .handedOff(region)
    }
}

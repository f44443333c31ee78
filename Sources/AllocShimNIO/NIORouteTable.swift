#if NIO
// Routing SwiftNIO's context-free allocator callbacks to AllocShim allocators.
//
// NIO's custom ByteBufferAllocator takes four `@convention(c)` functions: they cannot capture
// which backend or arena they belong to. Two facts make routing possible anyway:
//  * allocate: each of `capacity` slots has its own allocate function (the generated table in
//    NIORouteAllocateFunctions.swift), which takes its slot's current route. A
//    ByteBufferAllocator is made of its slot's allocate function plus the shared functions.
//  * reallocate and deallocate only get a pointer, so every block starts with a 16-byte
//    header (route, requested size) in front of the bytes NIO sees. The header holds a +1
//    on its route, so a block frees into the allocator that made it even after its slot has
//    been emptied, and a tenant arena lives until its last NIO buffer is gone.
// Blocks stay 16-byte aligned when the allocator's natural alignment is 16 (all built-ins).
//
// Isolation (docs/design.md, "Embedding"): a ByteBufferAllocator is a value NIO copies into
// every ByteBuffer it makes, and nothing tells us when the last copy is gone. So a slot, once
// given to an allocator or to a tenant, is never given to anything else for the life of the
// process: a kept allocator can only ever reach its own allocator or its own tenant's (current)
// arena, or the fallback. A tenant's slot is emptied while the tenant is evicted and refilled
// with its new arena when it comes back. Tenants beyond the free slots get the fallback.
//
// Invariant: a route is retained for a block *under its slot's lock*, so emptying a slot
// (tenant eviction) can never free a route another thread is about to use.
import AllocShim
import CAllocShims
@_spi(CustomByteBufferAllocator) import NIOCore
import NIOConcurrencyHelpers

enum NIORouteTable {
    typealias AllocateFunction = @convention(c) (Int) -> UnsafeMutableRawPointer?

    static let capacity = TenantArenas.nioRouteCapacity
    static let headerSize = 16

    private static let slots: [NIORouteSlot] = {
        precondition(
            allocateFunctions.count == capacity,
            "NIORouteAllocateFunctions.swift has \(allocateFunctions.count) functions, not \(capacity): regenerate it")
        return (0..<capacity).map { _ in NIORouteSlot() }
    }()

    /// A tenant as routes know it: registry IDs are never reused, unlike object addresses.
    struct TenantKey: Hashable {
        let registry: UInt64
        let tenant: String
    }

    private struct Registry {
        /// Slots given to plain allocators, by identity. An identity stays valid: the slot's
        /// route keeps its allocator alive for good.
        var slotOfAllocator: [ObjectIdentifier: Int] = [:]
        /// Slots given to tenants, for good (see "Isolation" above).
        var slotOfTenant: [TenantKey: Int] = [:]
        /// Registries whose evictions empty their tenants' slots.
        var observedRegistries: Set<UInt64> = []
        /// Slots from here on have never been given to anyone.
        var firstUnused = 0

        mutating func claimUnused() -> Int? {
            guard firstUnused < NIORouteTable.capacity else { return nil }
            defer { firstUnused += 1 }
            return firstUnused
        }
    }

    /// Claiming slots and (re)filling tenant slots happen under this lock, so two threads
    /// never claim the same slot.
    private static let registration = NIOLockedValueBox(Registry())

    // MARK: Plain allocators

    /// The slot routing to `allocator`: its existing one, else a never-used slot.
    static func register(_ allocator: any Allocator) throws(NIOAllocatorError) -> AllocateFunction {
        let identity = ObjectIdentifier(allocator)
        let claimed = registration.withLockedValue { registry -> Int? in
            if let slot = registry.slotOfAllocator[identity] { return slot }
            guard let slot = registry.claimUnused() else { return nil }
            slots[slot].route.withLockedValue { $0 = NIORoute(allocator: allocator) }
            registry.slotOfAllocator[identity] = slot
            return slot
        }
        guard let claimed else { throw .tooManyRoutes(limit: capacity) }
        return allocateFunctions[claimed]
    }

    // MARK: Tenants

    /// The allocate function of `tenant`'s slot, now routing to `arena` (its live arena), or
    /// the fallback's when no slot is left. The first call for a registry installs its
    /// eviction handler, once.
    static func allocateFunction(for tenant: String, of tenants: TenantArenas, arena: JemallocArena) -> AllocateFunction {
        let key = TenantKey(registry: tenants.registryID, tenant: tenant)
        let (slot, replaced) = registration.withLockedValue { registry -> (Int?, NIORoute?) in
            if registry.observedRegistries.insert(key.registry).inserted {
                // Under this lock, so no eviction of this registry can run between a slot being
                // filled and the handler being in place. Lock order: registration, then the
                // registry's own lock; evictions call handlers outside the registry's lock.
                let registryID = key.registry
                tenants.onEviction(key: "AllocShimNIO") { name, evicted in
                    NIORouteTable.empty(TenantKey(registry: registryID, tenant: name), ifRoutingTo: evicted)
                }
            }
            let slot: Int
            if let bound = registry.slotOfTenant[key] {
                slot = bound
            } else if let unused = registry.claimUnused() {
                slot = unused
                registry.slotOfTenant[key] = slot
            } else {
                return (nil, nil)
            }
            let replaced = slots[slot].route.withLockedValue { route -> NIORoute? in
                guard route?.allocator !== arena else { return nil }
                defer { route = NIORoute(allocator: arena) }
                return route
            }
            return (slot, replaced)
        }
        withExtendedLifetime(replaced) {}  // an older arena's route is released here, outside both locks
        guard let slot else { return fallbackAllocate }
        // The tenant may have been evicted between `arena(for:)` and the fill above, its
        // handler finding nothing to empty: then empty the slot here. (An eviction after this
        // check runs the handler, which finds the route.)
        if !tenants.isLive(tenant, arena: arena) { empty(key, ifRoutingTo: arena) }
        return allocateFunctions[slot]
    }

    /// Empties the tenant's slot if it still routes to `arena` (its evicted arena), so that
    /// arena then lives only as long as its blocks. A newer arena of the same tenant stays.
    static func empty(_ key: TenantKey, ifRoutingTo arena: JemallocArena) {
        let removed = registration.withLockedValue { registry -> NIORoute? in
            guard let slot = registry.slotOfTenant[key] else { return nil }
            return slots[slot].route.withLockedValue { route -> NIORoute? in
                guard route?.allocator === arena else { return nil }
                defer { route = nil }
                return route
            }
        }
        withExtendedLifetime(removed) {}  // the slot's reference is released here, outside both locks
    }

    /// How many tenant slots route to an arena now (for tests: evicted tenants route to none).
    static func filledTenantSlots(of tenants: TenantArenas) -> Int {
        registration.withLockedValue { registry in
            registry.slotOfTenant.filter { $0.key.registry == tenants.registryID }
                .values.filter { slots[$0].route.withLockedValue { $0 != nil } }.count
        }
    }

    // MARK: The callbacks

    static func allocate(slot: Int, byteCount: Int) -> UnsafeMutableRawPointer? {
        // +1 for the block, taken under the slot's lock (see the invariant above); released
        // in `deallocate`.
        allocate(route: slots[slot].route.withLockedValue { Unmanaged.passRetained($0 ?? NIORoute.fallback) }, byteCount: byteCount)
    }

    /// For tenants that got no slot.
    static let fallbackAllocate: AllocateFunction = { byteCount in
        NIORouteTable.allocate(route: Unmanaged.passRetained(NIORoute.fallback), byteCount: byteCount)
    }

    /// Makes a block with its header; `route` carries the +1 the header keeps.
    private static func allocate(route: Unmanaged<NIORoute>, byteCount: Int) -> UnsafeMutableRawPointer? {
        let owner = route.takeUnretainedValue()
        let allocator = owner.allocator
        let zero = owner.wipesOnRelease || ((try? BufferConfiguration.isZeroFillEnabled()) ?? true)  // an invalid setting errs on the safe side
        let header: UnsafeMutableRawPointer
        do {
            let (total, overflow) = byteCount.addingReportingOverflow(headerSize)
            guard !overflow else { throw AllocationError.outOfMemory(backend: allocator.name, byteCount: byteCount, alignment: allocator.naturalAlignment) }
            header = zero ? try allocator.allocateZeroed(byteCount: total) : try allocator.allocateUninitialized(byteCount: total)
        } catch {
            // NIO requires a non-nil block (its own malloc path traps too): say which and why.
            fatalError("AllocShimNIO: backend '\(allocator.name)' could not allocate \(byteCount) bytes: \(error)")
        }
        header.storeBytes(of: route.toOpaque(), as: UnsafeMutableRawPointer.self)
        header.storeBytes(of: byteCount, toByteOffset: 8, as: Int.self)
        return header + headerSize
    }

    static let reallocate: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> UnsafeMutableRawPointer? = { bytes, _, newByteCount in
        guard let bytes else { fatalError("AllocShimNIO: reallocate of a null block") }  // NIO only resizes blocks it has
        let header = bytes - headerSize
        let owner = Unmanaged<NIORoute>.fromOpaque(header.load(as: UnsafeRawPointer.self)).takeUnretainedValue()
        let allocator = owner.allocator
        let oldByteCount = header.load(fromByteOffset: 8, as: Int.self)
        let resized: UnsafeMutableRawPointer
        do {
            let (newTotal, overflow) = newByteCount.addingReportingOverflow(headerSize)
            guard !overflow else { throw AllocationError.outOfMemory(backend: allocator.name, byteCount: newByteCount, alignment: allocator.naturalAlignment) }
            if owner.wipesOnRelease {
                // `realloc` would free the old block without wiping it: move by hand. The
                // header (and the +1 on the route it holds) moves with the bytes.
                resized = try allocator.allocateZeroed(byteCount: newTotal)
                resized.copyMemory(from: header, byteCount: headerSize + min(oldByteCount, newByteCount))
                wipe(header, oldByteCount + headerSize)
                allocator.deallocate(header, byteCount: oldByteCount + headerSize)
            } else {
                resized = try allocator.reallocate(
                    header, oldByteCount: oldByteCount + headerSize, newByteCount: newTotal, alignment: allocator.naturalAlignment)
                if newByteCount > oldByteCount, (try? BufferConfiguration.isZeroFillEnabled()) ?? true {
                    (resized + headerSize + oldByteCount).initializeMemory(as: UInt8.self, repeating: 0, count: newByteCount - oldByteCount)
                }
            }
        } catch {
            fatalError("AllocShimNIO: backend '\(allocator.name)' could not grow a block to \(newByteCount) bytes: \(error)")
        }
        resized.storeBytes(of: newByteCount, toByteOffset: 8, as: Int.self)
        return resized + headerSize
    }

    static let deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void = { bytes in
        let header = bytes - headerSize
        let route = Unmanaged<NIORoute>.fromOpaque(header.load(as: UnsafeRawPointer.self))
        let byteCount = header.load(fromByteOffset: 8, as: Int.self)
        let owner = route.takeUnretainedValue()
        if owner.wipesOnRelease { wipe(header, byteCount + headerSize) }
        owner.allocator.deallocate(header, byteCount: byteCount + headerSize)
        route.release()
    }

    /// Zeroes memory that is about to be freed, with a write the compiler cannot remove.
    static func wipe(_ bytes: UnsafeMutableRawPointer, _ count: Int) {
        CAllocShims_secure_zero(bytes, count)
    }

    static let copy: @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer, Int) -> Void = { destination, source, count in
        destination.copyMemory(from: source, byteCount: count)
    }
}
#endif

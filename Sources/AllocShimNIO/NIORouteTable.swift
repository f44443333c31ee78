#if NIO
// Routing SwiftNIO's context-free allocator callbacks to AllocShim allocators.
//
// NIO's custom ByteBufferAllocator takes four `@convention(c)` functions: they cannot capture
// which backend or arena they belong to. Two facts make routing possible anyway:
//  * allocate: each of `capacity` slots has its own allocate function (C, made by the
//    preprocessor in CShims/CAllocShimsNIO), which loads its slot's route word and calls
//    `routeAllocate`. A ByteBufferAllocator is made of its slot's allocate function plus the
//    shared functions.
//  * reallocate and deallocate only get a pointer, so every block starts with a 16-byte
//    header (maker, requested size) in front of the bytes NIO sees: a block frees into the
//    allocator that made it even after its slot has moved on. The maker is the route, or, for
//    a tenant's block, the arena's core tagged `arenaBlockTag` (see below).
// Blocks stay 16-byte aligned when the allocator's natural alignment is 16 (all built-ins).
//
// Isolation (docs/design.md, "NIO routing"): a ByteBufferAllocator is a value NIO copies into
// every ByteBuffer it makes, and nothing tells us when the last copy is gone. So a slot, once
// given to an allocator or to a tenant, is never given to anything else for the life of the
// process: a kept allocator can only ever reach its own allocator or its own tenant's (current)
// arena, or the fallback. A tenant's slot is emptied while the tenant is evicted and refilled
// with its new arena when it comes back. Tenants beyond the free slots get the fallback.
//
// No lock on the allocation path. A slot is one atomic word: 0 (the fallback), or an immutable
// `NIORoute`, tagged `immortalTag` when it is never released. Immortal routes (the fallback,
// plain allocators, which are routed for good) are used straight from the word, and their
// blocks take no reference. A tenant's route can be unpublished (eviction) and released while
// another thread has just loaded it, so the allocate path makes a tenant's block inside a read
// window (CAllocShimsNIO_read_begin/end: a store to the thread's own record), and a writer that
// replaced a route waits for the windows open at that moment to close
// (CAllocShimsNIO_wait_for_readers) before it drops the slot's +1. The block is made through
// the arena's core and counted on the calling thread's share of the arena's live-block count
// (AllocShim's ArenaCore), and that count keeps the arena's memory alive after the route and
// the arena object are gone: the block takes no reference to anything, so event loops sharing
// a tenant write no shared line per buffer (it was a +1 on the route per block). Invariant: a
// mortal route is released only after it is unpublished *and* every read that could have
// seen it has counted its block or finished.
import AllocShim
import CAllocShims
import CAllocShimsNIO
@_spi(CustomByteBufferAllocator) import NIOCore
import NIOConcurrencyHelpers

enum NIORouteTable {
    typealias AllocateFunction = @convention(c) (Int) -> UnsafeMutableRawPointer?

    /// How many allocators and tenants (together) a process can route: one C allocate function
    /// each (CALLOCSHIMSNIO_ROUTE_CAPACITY, the one place the number is set).
    static let capacity = Int(CAllocShimsNIO_route_capacity())
    static let headerSize = 16
    /// Set in a slot word whose route is never released.
    private static let immortalTag: UInt = 1
    /// Set in a block header's first word when it names an arena core, not a route.
    private static let arenaBlockTag: UInt = 1

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
    /// never claim the same slot and slot words change only here. Lock order: this lock, then
    /// a registry's own lock. Never taken on the allocation path.
    private static let registration: NIOLockedValueBox<Registry> = {
        CAllocShimsNIO_set_route_allocate(routeAllocate)  // before any allocate function is handed out
        return NIOLockedValueBox(Registry())
    }()

    // MARK: Slot words

    private static func word(publishing route: NIORoute) -> UInt {
        let address = UInt(bitPattern: Unmanaged.passRetained(route).toOpaque())  // the slot's +1 (kept for good if immortal)
        return route.isImmortal ? address | immortalTag : address
    }

    private static func route(in word: UInt) -> Unmanaged<NIORoute>? {
        guard let pointer = UnsafeRawPointer(bitPattern: word & ~immortalTag) else { return nil }
        return Unmanaged<NIORoute>.fromOpaque(pointer)
    }

    /// Puts `route` (or nothing) in a tenant's slot; under `registration`. Returns the route it
    /// replaced, whose slot reference the caller drops with `retire(_:)` outside the lock.
    private static func publish(_ route: NIORoute?, inTenantSlot slot: Int) -> Unmanaged<NIORoute>? {
        let old = CAllocShimsNIO_slot_exchange(Int32(slot), route.map(word(publishing:)) ?? 0)
        return self.route(in: old)
    }

    /// Drops the slot's reference to a route no slot publishes any more, once no thread can
    /// still be between loading it and taking its own reference.
    private static func retire(_ replaced: Unmanaged<NIORoute>?) {
        guard let replaced else { return }
        CAllocShimsNIO_wait_for_readers()
        replaced.release()  // may destroy an evicted tenant's arena: outside every lock
    }

    // MARK: Plain allocators

    /// The slot routing to `allocator`: its existing one, else a never-used slot.
    static func register(_ allocator: any Allocator) throws(NIOAllocatorError) -> AllocateFunction {
        let identity = ObjectIdentifier(allocator)
        let claimed = registration.withLockedValue { registry -> Int? in
            if let slot = registry.slotOfAllocator[identity] { return slot }
            guard let slot = registry.claimUnused() else { return nil }
            // Routed for good: immortal, published once.
            _ = CAllocShimsNIO_slot_exchange(Int32(slot), word(publishing: NIORoute(allocator: allocator, isImmortal: true)))
            registry.slotOfAllocator[identity] = slot
            return slot
        }
        guard let claimed else { throw .tooManyRoutes(limit: capacity) }
        return allocateFunction(ofSlot: claimed)
    }

    // MARK: Tenants

    /// The allocate function of `tenant`'s slot, now routing to `arena` (its live arena), or
    /// the fallback's when no slot is left. The first call for a registry installs its
    /// eviction handler, once.
    static func allocateFunction(for tenant: String, of tenants: TenantArenas, arena: JemallocArena) -> AllocateFunction {
        let key = TenantKey(registry: tenants.registryID, tenant: tenant)
        let (slot, replaced) = registration.withLockedValue { registry -> (Int?, Unmanaged<NIORoute>?) in
            if registry.observedRegistries.insert(key.registry).inserted {
                // Under this lock, so no eviction of this registry can run between a slot being
                // filled and the handler being in place. Evictions call handlers outside the
                // registry's lock.
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
            // Slot words change only under this lock, and a published route holds the slot's
            // +1, so reading the current route here is safe.
            if let current = route(in: CAllocShimsNIO_slot_load(Int32(slot))), current.takeUnretainedValue().allocator === arena {
                return (slot, nil)
            }
            return (slot, publish(NIORoute(allocator: arena, isImmortal: false), inTenantSlot: slot))
        }
        retire(replaced)  // an older arena's route, outside the lock
        guard let slot else { return fallbackAllocate }
        // The tenant may have been evicted between `arena(for:)` and the fill above, its
        // handler finding nothing to empty: then empty the slot here. (An eviction after this
        // check runs the handler, which finds the route.)
        if !tenants.isLive(tenant, arena: arena) { empty(key, ifRoutingTo: arena) }
        return allocateFunction(ofSlot: slot)
    }

    /// Empties the tenant's slot if it still routes to `arena` (its evicted arena), so that
    /// arena then lives only as long as its blocks. A newer arena of the same tenant stays.
    static func empty(_ key: TenantKey, ifRoutingTo arena: JemallocArena) {
        let removed = registration.withLockedValue { registry -> Unmanaged<NIORoute>? in
            guard let slot = registry.slotOfTenant[key],
                let current = route(in: CAllocShimsNIO_slot_load(Int32(slot))),
                current.takeUnretainedValue().allocator === arena
            else { return nil }
            return publish(nil, inTenantSlot: slot)
        }
        retire(removed)
    }

    /// How many tenant slots route to an arena now (for tests: evicted tenants route to none).
    static func filledTenantSlots(of tenants: TenantArenas) -> Int {
        registration.withLockedValue { registry in
            registry.slotOfTenant.filter { $0.key.registry == tenants.registryID }
                .values.filter { CAllocShimsNIO_slot_load(Int32($0)) != 0 }.count
        }
    }

    private static func allocateFunction(ofSlot slot: Int) -> AllocateFunction {
        CAllocShimsNIO_allocate_function(Int32(slot))
    }

    // MARK: The callbacks

    /// What every slot's C allocate function calls with the slot's word, loaded without a lock.
    private static let routeAllocate: CAllocShimsNIO_RouteAllocate = { word, slot, byteCount in
        if word & NIORouteTable.immortalTag != 0 || word == 0 {
            // Immortal (or the fallback): no reference to take, nothing can free it.
            let route = NIORouteTable.route(in: word)?.takeUnretainedValue() ?? NIORoute.fallback
            return NIORouteTable.allocate(route: route, byteCount: byteCount)
        }
        // A tenant's route: count the block in its arena inside a read window, from the word as
        // it is now (the one passed in may already have been retired).
        let window = CAllocShimsNIO_read_begin()
        defer { CAllocShimsNIO_read_end(window) }
        guard let current = NIORouteTable.route(in: CAllocShimsNIO_slot_load(slot)) else {
            return NIORouteTable.allocate(route: NIORoute.fallback, byteCount: byteCount)
        }
        return current._withUnsafeGuaranteedRef { route in
            if let core = route.arenaCore { return NIORouteTable.allocate(arena: core, byteCount: byteCount) }
            // Not an arena (no such tenant route is made): the block keeps the route with a +1.
            _ = current.retain()
            return NIORouteTable.allocate(route: route, byteCount: byteCount)
        }
    }

    /// For tenants that got no slot.
    static let fallbackAllocate: AllocateFunction = { byteCount in
        NIORouteTable.allocate(route: NIORoute.fallback, byteCount: byteCount)
    }

    /// Makes a tenant's block through its arena's core, with a header naming the core.
    private static func allocate(arena core: Unmanaged<ArenaCore>, byteCount: Int) -> UnsafeMutableRawPointer? {
        let zero = (try? BufferConfiguration.isZeroFillEnabled()) ?? true  // an invalid setting errs on the safe side
        return makeBlock(byteCount: byteCount, maker: UInt(bitPattern: core.toOpaque()) | arenaBlockTag, zero: zero, backend: "jemalloc-arena") {
            total throws(AllocationError) in
            // allocshim: uninitialized — NIO's allocate callback: ByteBuffer tracks its writer index and never exposes unwritten bytes (poison mode fills them)
            try core._withUnsafeGuaranteedRef { arena in
                Result { () throws(AllocationError) in try arena.allocate(byteCount: total, alignment: 1, zeroed: zero) }
            }.get()
        }
    }

    /// Who made the block whose header is at `header`.
    enum BlockMaker {
        case route(Unmanaged<NIORoute>)
        case arena(Unmanaged<ArenaCore>)
    }

    static func maker(ofHeader header: UnsafeRawPointer) -> BlockMaker {
        let word = header.load(as: UInt.self)
        let pointer = UnsafeRawPointer(bitPattern: word & ~arenaBlockTag)!  // every header names its maker
        return word & arenaBlockTag != 0 ? .arena(.fromOpaque(pointer)) : .route(.fromOpaque(pointer))
    }

    /// Makes a block with its header. A mortal `route` arrives with the +1 the header keeps.
    private static func allocate(route owner: NIORoute, byteCount: Int) -> UnsafeMutableRawPointer? {
        let allocator = owner.allocator
        let zero = owner.wipesOnRelease || ((try? BufferConfiguration.isZeroFillEnabled()) ?? true)  // an invalid setting errs on the safe side
        return makeBlock(
            byteCount: byteCount, maker: UInt(bitPattern: Unmanaged.passUnretained(owner).toOpaque()), zero: zero, backend: allocator.name
        ) { total throws(AllocationError) in
            // allocshim: uninitialized — NIO's allocate callback: ByteBuffer tracks its writer index and never exposes unwritten bytes (poison mode fills them)
            zero ? try allocator.allocateZeroed(byteCount: total) : try allocator.allocateUninitialized(byteCount: total)
        }
    }

    /// What every block maker does around its allocator call: room for the header, the header
    /// (`maker` word, requested size), poison mode over the bytes when they are not zeroed.
    /// NIO requires a non-nil block (its own malloc path traps too), so a failure stops the
    /// process, saying which backend and why.
    @inline(__always)
    private static func makeBlock(
        byteCount: Int, maker: UInt, zero: Bool, backend: @autoclosure () -> String,
        _ allocate: (_ total: Int) throws(AllocationError) -> UnsafeMutableRawPointer
    ) -> UnsafeMutableRawPointer {
        let header: UnsafeMutableRawPointer
        do {
            let (total, overflow) = byteCount.addingReportingOverflow(headerSize)
            guard !overflow else { throw AllocationError.sizeOverflow(count: byteCount, stride: 1) }
            header = try allocate(total)
        } catch {
            fatalError("AllocShimNIO: backend '\(backend())' could not allocate \(byteCount) bytes: \(error)")
        }
        header.storeBytes(of: maker, as: UInt.self)
        header.storeBytes(of: byteCount, toByteOffset: 8, as: Int.self)
        if !zero { try? PoisonMode.poisonIfEnabled(header + headerSize, byteCount) }  // poison mode (Leaks/): one atomic load when off
        return header + headerSize
    }

    static let reallocate: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> UnsafeMutableRawPointer? = { bytes, _, newByteCount in
        guard let bytes else { fatalError("AllocShimNIO: reallocate of a null block") }  // NIO only resizes blocks it has
        let header = bytes - headerSize
        let oldByteCount = header.load(fromByteOffset: 8, as: Int.self)
        guard case .route(let route) = maker(ofHeader: header) else {
            return reallocateArenaBlock(header, oldByteCount: oldByteCount, newByteCount: newByteCount)
        }
        let owner = route.takeUnretainedValue()
        let allocator = owner.allocator
        let resized: UnsafeMutableRawPointer
        do {
            let (newTotal, overflow) = newByteCount.addingReportingOverflow(headerSize)
            guard !overflow else { throw AllocationError.outOfMemory(backend: allocator.name, byteCount: newByteCount, alignment: allocator.naturalAlignment) }
            if owner.wipesOnRelease {
                // `realloc` would free the old block without wiping it: move by hand. The
                // header (and the +1 on a mortal route it holds) moves with the bytes.
                resized = try allocator.allocateZeroed(byteCount: newTotal)
                resized.copyMemory(from: header, byteCount: headerSize + min(oldByteCount, newByteCount))
                wipe(header, oldByteCount + headerSize)
                allocator.deallocate(header, byteCount: oldByteCount + headerSize)
            } else {
                resized = try allocator.reallocate(
                    header, oldByteCount: oldByteCount + headerSize, newByteCount: newTotal, alignment: allocator.naturalAlignment)
                if newByteCount > oldByteCount, (try? BufferConfiguration.isZeroFillEnabled()) ?? true {
                    (resized + headerSize + oldByteCount).initializeMemory(as: UInt8.self, repeating: 0, count: newByteCount - oldByteCount)
                } else if newByteCount > oldByteCount {  // poison mode (Leaks/): the grown tail continues the pattern
                    try? PoisonMode.poisonIfEnabled(resized + headerSize + oldByteCount, newByteCount - oldByteCount, startingAtAllocationOffset: oldByteCount)
                }
            }
        } catch {
            fatalError("AllocShimNIO: backend '\(allocator.name)' could not grow a block to \(newByteCount) bytes: \(error)")
        }
        resized.storeBytes(of: newByteCount, toByteOffset: 8, as: Int.self)
        return resized + headerSize
    }

    /// A tenant's block grows or shrinks within its arena; the header (naming the core) moves with it.
    private static func reallocateArenaBlock(_ header: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int)
        -> UnsafeMutableRawPointer
    {
        guard case .arena(let core) = maker(ofHeader: header) else { preconditionFailure("not an arena block") }
        let resized: UnsafeMutableRawPointer
        do {
            let (newTotal, overflow) = newByteCount.addingReportingOverflow(headerSize)
            guard !overflow else { throw AllocationError.sizeOverflow(count: newByteCount, stride: 1) }
            // The block is counted, so the core is alive for the call.
            resized = try core._withUnsafeGuaranteedRef { arena in
                Result { () throws(AllocationError) in
                    try arena.reallocate(header, oldByteCount: oldByteCount + headerSize, newByteCount: newTotal, alignment: 1)
                }
            }.get()
        } catch {
            fatalError("AllocShimNIO: backend 'jemalloc-arena' could not grow a block to \(newByteCount) bytes: \(error)")
        }
        if newByteCount > oldByteCount, (try? BufferConfiguration.isZeroFillEnabled()) ?? true {
            (resized + headerSize + oldByteCount).initializeMemory(as: UInt8.self, repeating: 0, count: newByteCount - oldByteCount)
        } else if newByteCount > oldByteCount {  // poison mode (Leaks/): the grown tail continues the pattern
            try? PoisonMode.poisonIfEnabled(resized + headerSize + oldByteCount, newByteCount - oldByteCount, startingAtAllocationOffset: oldByteCount)
        }
        resized.storeBytes(of: newByteCount, toByteOffset: 8, as: Int.self)
        return resized + headerSize
    }

    static let deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void = { bytes in
        let header = bytes - headerSize
        let byteCount = header.load(fromByteOffset: 8, as: Int.self)
        let route: Unmanaged<NIORoute>
        switch maker(ofHeader: header) {
        case .arena(let core):
            // Releases the block's count last: the core may be gone after it.
            core._withUnsafeGuaranteedRef { $0.deallocate(header, byteCount: byteCount + headerSize, alignment: 1) }
            return
        case .route(let maker):
            route = maker
        }
        let owner = route.takeUnretainedValue()
        if owner.wipesOnRelease { wipe(header, byteCount + headerSize) }
        owner.allocator.deallocate(header, byteCount: byteCount + headerSize)
        if !owner.isImmortal { route.release() }  // the block's +1; immortal routes' blocks took none
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

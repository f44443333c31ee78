#if NIO
// Routing SwiftNIO's context-free allocator callbacks to AllocShim allocators.
//
// NIO's custom ByteBufferAllocator takes four `@convention(c)` functions: they cannot capture
// which backend or arena they belong to. Two facts make routing possible anyway:
//  * allocate: each of `NIORouteTable.capacity` slots has its own allocate function (the
//    table below), which takes its slot's current route. A ByteBufferAllocator is made of
//    its slot's allocate function plus the shared functions.
//  * reallocate and deallocate only get a pointer, so every block starts with a 16-byte
//    header (route, requested size) in front of the bytes NIO sees. The header holds a +1
//    on its route, so a block frees into the allocator that made it even after its slot has
//    been emptied or reused, and a tenant arena lives until its last NIO buffer is gone.
// Blocks stay 16-byte aligned when the allocator's natural alignment is 16 (all built-ins).
//
// Invariant: a route is retained for a block *under its slot's lock*, so emptying a slot
// (tenant eviction) can never free a route another thread is about to use. An allocator of an
// evicted tenant that is still in use (a request in flight during eviction) finds its slot
// empty and gets the `evicted` route: zeroed system memory, wiped before it is freed, so
// neither a crash nor a leak of tenant data into the shared heap.
import AllocShim
import CAllocShims
@_spi(CustomByteBufferAllocator) import NIOCore
import NIOConcurrencyHelpers

/// One allocator as NIO sees it. Retained by its slot and by every block it made.
final class NIORoute: Sendable {
    let allocator: any Allocator
    /// Wipe blocks before freeing them (the fallback for evicted tenants).
    let wipesOnRelease: Bool

    init(allocator: any Allocator, wipesOnRelease: Bool = false) {
        self.allocator = allocator
        self.wipesOnRelease = wipesOnRelease
    }
}

/// A routing slot: immortal, so the allocate functions can always reach it.
/// Locks here are NIOLock (pthread mutexes) rather than Synchronization.Mutex: under contention
/// ThreadSanitizer reported races on data a Mutex protected (its slow path lives in the
/// uninstrumented runtime library, so TSan misses the ordering); it understands pthread
/// mutexes, so a clean TSan run here means something.
final class NIORouteSlot: Sendable {
    let route = NIOLockedValueBox<NIORoute?>(nil)
}

enum NIORouteTable {
    static let capacity = 64
    static let headerSize = 16

    private static let slots: [NIORouteSlot] = (0..<capacity).map { _ in NIORouteSlot() }
    private struct Registry {
        /// Which slot routes to which allocator, by identity. An identity stays valid while
        /// registered: the slot's route keeps its allocator alive.
        var slotOf: [ObjectIdentifier: Int] = [:]
        /// Empty slots, the longest-empty first. A slot emptied by an eviction goes to the back,
        /// so an allocator still in flight for the evicted tenant keeps finding it empty (and
        /// gets the safe fallback) until every other free slot has been handed out.
        var free: [Int] = Array(0..<NIORouteTable.capacity)
    }

    /// Claiming and emptying slots happen under this lock, so two threads never claim the
    /// same slot.
    private static let registration = NIOLockedValueBox(Registry())
    private static let evicted = NIORoute(allocator: SystemAllocator.shared, wipesOnRelease: true)

    /// The slot routing to `allocator`: its existing route, else the longest-empty slot.
    static func register(_ allocator: any Allocator) throws(NIOAllocatorError) -> Int {
        let identity = ObjectIdentifier(allocator)
        let claimed = registration.withLockedValue { registry -> Int? in
            if let slot = registry.slotOf[identity] { return slot }
            guard !registry.free.isEmpty else { return nil }
            let slot = registry.free.removeFirst()
            slots[slot].route.withLockedValue { $0 = NIORoute(allocator: allocator) }
            registry.slotOf[identity] = slot
            return slot
        }
        guard let claimed else { throw .tooManyRoutes(limit: capacity) }
        return claimed
    }

    /// Empties the slot of `allocator` (its tenant was evicted): the route, and with it a
    /// tenant arena, then lives only as long as its blocks.
    static func retire(_ allocator: any Allocator) {
        let removed = registration.withLockedValue { registry -> NIORoute? in
            guard let slot = registry.slotOf.removeValue(forKey: ObjectIdentifier(allocator)) else { return nil }
            registry.free.append(slot)
            return slots[slot].route.withLockedValue { route in
                defer { route = nil }
                return route
            }
        }
        _ = removed  // the slot's reference is released here, outside both locks
    }

    // MARK: The callbacks

    static func allocate(slot: Int, byteCount: Int) -> UnsafeMutableRawPointer? {
        // +1 for the block, taken under the slot's lock (see the invariant above); released
        // in `deallocate`.
        let route = slots[slot].route.withLockedValue { Unmanaged.passRetained($0 ?? evicted) }
        let allocator = route.takeUnretainedValue().allocator
        let wipes = route.takeUnretainedValue().wipesOnRelease
        let total = byteCount + headerSize
        let zero = wipes || ((try? BufferConfiguration.isZeroFillEnabled()) ?? true)  // an invalid setting errs on the safe side
        let header: UnsafeMutableRawPointer
        do {
            header = zero ? try allocator.allocateZeroed(byteCount: total) : try allocator.allocateUninitialized(byteCount: total)
        } catch {
            // NIO requires a non-nil block (its own malloc path traps too): say which and why.
            fatalError("AllocShimNIO: backend '\(allocator.name)' could not allocate \(byteCount) bytes: \(error)")
        }
        header.storeBytes(of: route.toOpaque(), as: UnsafeMutableRawPointer.self)
        header.storeBytes(of: byteCount, toByteOffset: 8, as: Int.self)
        if !zero { try? PoisonMode.poisonIfEnabled(header + headerSize, byteCount) }  // poison mode (Leaks/): one atomic load when off
        return header + headerSize
    }

    static let allocateFunctions: [@convention(c) (Int) -> UnsafeMutableRawPointer?] = [
        { NIORouteTable.allocate(slot: 0, byteCount: $0) },
        { NIORouteTable.allocate(slot: 1, byteCount: $0) },
        { NIORouteTable.allocate(slot: 2, byteCount: $0) },
        { NIORouteTable.allocate(slot: 3, byteCount: $0) },
        { NIORouteTable.allocate(slot: 4, byteCount: $0) },
        { NIORouteTable.allocate(slot: 5, byteCount: $0) },
        { NIORouteTable.allocate(slot: 6, byteCount: $0) },
        { NIORouteTable.allocate(slot: 7, byteCount: $0) },
        { NIORouteTable.allocate(slot: 8, byteCount: $0) },
        { NIORouteTable.allocate(slot: 9, byteCount: $0) },
        { NIORouteTable.allocate(slot: 10, byteCount: $0) },
        { NIORouteTable.allocate(slot: 11, byteCount: $0) },
        { NIORouteTable.allocate(slot: 12, byteCount: $0) },
        { NIORouteTable.allocate(slot: 13, byteCount: $0) },
        { NIORouteTable.allocate(slot: 14, byteCount: $0) },
        { NIORouteTable.allocate(slot: 15, byteCount: $0) },
        { NIORouteTable.allocate(slot: 16, byteCount: $0) },
        { NIORouteTable.allocate(slot: 17, byteCount: $0) },
        { NIORouteTable.allocate(slot: 18, byteCount: $0) },
        { NIORouteTable.allocate(slot: 19, byteCount: $0) },
        { NIORouteTable.allocate(slot: 20, byteCount: $0) },
        { NIORouteTable.allocate(slot: 21, byteCount: $0) },
        { NIORouteTable.allocate(slot: 22, byteCount: $0) },
        { NIORouteTable.allocate(slot: 23, byteCount: $0) },
        { NIORouteTable.allocate(slot: 24, byteCount: $0) },
        { NIORouteTable.allocate(slot: 25, byteCount: $0) },
        { NIORouteTable.allocate(slot: 26, byteCount: $0) },
        { NIORouteTable.allocate(slot: 27, byteCount: $0) },
        { NIORouteTable.allocate(slot: 28, byteCount: $0) },
        { NIORouteTable.allocate(slot: 29, byteCount: $0) },
        { NIORouteTable.allocate(slot: 30, byteCount: $0) },
        { NIORouteTable.allocate(slot: 31, byteCount: $0) },
        { NIORouteTable.allocate(slot: 32, byteCount: $0) },
        { NIORouteTable.allocate(slot: 33, byteCount: $0) },
        { NIORouteTable.allocate(slot: 34, byteCount: $0) },
        { NIORouteTable.allocate(slot: 35, byteCount: $0) },
        { NIORouteTable.allocate(slot: 36, byteCount: $0) },
        { NIORouteTable.allocate(slot: 37, byteCount: $0) },
        { NIORouteTable.allocate(slot: 38, byteCount: $0) },
        { NIORouteTable.allocate(slot: 39, byteCount: $0) },
        { NIORouteTable.allocate(slot: 40, byteCount: $0) },
        { NIORouteTable.allocate(slot: 41, byteCount: $0) },
        { NIORouteTable.allocate(slot: 42, byteCount: $0) },
        { NIORouteTable.allocate(slot: 43, byteCount: $0) },
        { NIORouteTable.allocate(slot: 44, byteCount: $0) },
        { NIORouteTable.allocate(slot: 45, byteCount: $0) },
        { NIORouteTable.allocate(slot: 46, byteCount: $0) },
        { NIORouteTable.allocate(slot: 47, byteCount: $0) },
        { NIORouteTable.allocate(slot: 48, byteCount: $0) },
        { NIORouteTable.allocate(slot: 49, byteCount: $0) },
        { NIORouteTable.allocate(slot: 50, byteCount: $0) },
        { NIORouteTable.allocate(slot: 51, byteCount: $0) },
        { NIORouteTable.allocate(slot: 52, byteCount: $0) },
        { NIORouteTable.allocate(slot: 53, byteCount: $0) },
        { NIORouteTable.allocate(slot: 54, byteCount: $0) },
        { NIORouteTable.allocate(slot: 55, byteCount: $0) },
        { NIORouteTable.allocate(slot: 56, byteCount: $0) },
        { NIORouteTable.allocate(slot: 57, byteCount: $0) },
        { NIORouteTable.allocate(slot: 58, byteCount: $0) },
        { NIORouteTable.allocate(slot: 59, byteCount: $0) },
        { NIORouteTable.allocate(slot: 60, byteCount: $0) },
        { NIORouteTable.allocate(slot: 61, byteCount: $0) },
        { NIORouteTable.allocate(slot: 62, byteCount: $0) },
        { NIORouteTable.allocate(slot: 63, byteCount: $0) },
    ]

    static let reallocate: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> UnsafeMutableRawPointer? = { bytes, _, newByteCount in
        guard let bytes else { fatalError("AllocShimNIO: reallocate of a null block") }  // NIO only resizes blocks it has
        let header = bytes - headerSize
        let route = Unmanaged<NIORoute>.fromOpaque(header.load(as: UnsafeRawPointer.self))
        let allocator = route.takeUnretainedValue().allocator
        let oldByteCount = header.load(fromByteOffset: 8, as: Int.self)
        let resized: UnsafeMutableRawPointer
        do {
            resized = try allocator.reallocate(
                header, oldByteCount: oldByteCount + headerSize, newByteCount: newByteCount + headerSize,
                alignment: allocator.naturalAlignment)
        } catch {
            fatalError("AllocShimNIO: backend '\(allocator.name)' could not grow a block to \(newByteCount) bytes: \(error)")
        }
        resized.storeBytes(of: newByteCount, toByteOffset: 8, as: Int.self)
        if newByteCount > oldByteCount, route.takeUnretainedValue().wipesOnRelease || ((try? BufferConfiguration.isZeroFillEnabled()) ?? true) {
            (resized + headerSize + oldByteCount).initializeMemory(as: UInt8.self, repeating: 0, count: newByteCount - oldByteCount)
        } else if newByteCount > oldByteCount {
            try? PoisonMode.poisonIfEnabled(resized + headerSize + oldByteCount, newByteCount - oldByteCount, startingAtAllocationOffset: oldByteCount)
        }
        return resized + headerSize
    }

    static let deallocate: @convention(c) (UnsafeMutableRawPointer) -> Void = { bytes in
        let header = bytes - headerSize
        let route = Unmanaged<NIORoute>.fromOpaque(header.load(as: UnsafeRawPointer.self))
        let byteCount = header.load(fromByteOffset: 8, as: Int.self)
        let owner = route.takeUnretainedValue()
        if owner.wipesOnRelease { wipe(bytes, byteCount) }
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

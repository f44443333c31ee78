#if NIO
// AllocShimNIO: SwiftNIO ByteBuffers whose memory comes from an AllocShim backend or a tenant's
// jemalloc arena. Built only with the package trait `NIO`; routing is in NIORouteTable.swift.
//
//     let allocator = try ByteBufferAllocator.allocShim(BackendRegistry.allocator(.jemalloc))
//     ServerBootstrap(group: group).allocShimAllocator(allocator)   // every accepted channel
//
// Zero-fill mode (`ALLOCSHIM_ZERO_FILL`) applies: new blocks and grown tails are zeroed.
import AllocShim
@_spi(CustomByteBufferAllocator) import NIOCore
import NIOPosix

extension ByteBufferAllocator {
    /// A NIO allocator whose buffers come from `allocator`. Each buffer frees into the
    /// allocator that made it. Up to 64 distinct allocators can be routed at once (slots of
    /// evicted tenants are freed for reuse).
    public static func allocShim(_ allocator: any Allocator) throws(NIOAllocatorError) -> ByteBufferAllocator {
        let slot = try NIORouteTable.register(allocator)
        return ByteBufferAllocator(
            allocate: NIORouteTable.allocateFunctions[slot],
            reallocate: NIORouteTable.reallocate,
            deallocate: NIORouteTable.deallocate,
            copy: NIORouteTable.copy)
    }

    /// A NIO allocator on the process default backend (`ALLOCSHIM_BACKEND`).
    public static func allocShimDefault() throws(NIOAllocatorError) -> ByteBufferAllocator {
        let allocator: any Allocator
        do { allocator = try ProcessDefaultAllocator.allocator() } catch { throw .backend(error) }
        return try allocShim(allocator)
    }
}

extension TenantArenas {
    /// A NIO allocator drawing from the tenant's own arena. When the tenant is evicted its
    /// route is retired: buffers already made keep working and free into the arena, which is
    /// destroyed when the last of them is gone. An allocator of an evicted tenant must not be
    /// used again (ask for a new one): its slot is empty, or already routes to another tenant.
    public func byteBufferAllocator(for tenant: String) throws(NIOAllocatorError) -> ByteBufferAllocator {
        let arena: JemallocArena
        do { arena = try self.arena(for: tenant) } catch { throw .tenant(error) }
        onEviction(key: "AllocShimNIO") { _, arena in NIORouteTable.retire(arena) }
        return try .allocShim(arena)
    }
}

extension ServerBootstrap {
    /// Uses `allocator` for the listening channel and every accepted channel.
    public func allocShimAllocator(_ allocator: ByteBufferAllocator) -> ServerBootstrap {
        serverChannelOption(.allocator, value: allocator).childChannelOption(.allocator, value: allocator)
    }
}

extension ClientBootstrap {
    /// Uses `allocator` for the connecting channel.
    public func allocShimAllocator(_ allocator: ByteBufferAllocator) -> ClientBootstrap {
        channelOption(.allocator, value: allocator)
    }
}

/// Why an AllocShim-backed NIO allocator could not be made.
public enum NIOAllocatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every routing slot holds a live allocator.
    case tooManyRoutes(limit: Int)
    /// The process default backend is unknown or unavailable.
    case backend(BackendSelectionError)
    /// The tenant's arena could not be had.
    case tenant(TenantArenaError)

    public var description: String {
        switch self {
        case .tooManyRoutes(let limit):
            return "AllocShimNIO: all \(limit) allocator routes are in use by live allocators; evict tenants or reuse allocators"
        case .backend(let error): return error.description
        case .tenant(let error): return error.description
        }
    }
}
#endif

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
    /// How many distinct allocators and tenants (together) AllocShimNIO can route in a
    /// process (1024): each route is a C function of its own, the only thing NIO's
    /// context-free allocator callbacks can tell apart.
    public static var allocShimRouteCapacity: Int { NIORouteTable.capacity }

    /// A NIO allocator whose buffers come from `allocator`. Each buffer frees into the
    /// allocator that made it. Up to ``allocShimRouteCapacity`` distinct allocators and tenants
    /// (together) can be routed in a process; a routed allocator is kept alive and routed for
    /// good, because NIO copies allocator values into every buffer and nothing says when the
    /// last copy is gone. Throws ``NIOAllocatorError/tooManyRoutes(limit:)`` beyond that.
    public static func allocShim(_ allocator: any Allocator) throws(NIOAllocatorError) -> ByteBufferAllocator {
        ByteBufferAllocator(routing: try NIORouteTable.register(allocator))
    }

    /// A NIO allocator on the process default backend (`ALLOCSHIM_BACKEND`).
    public static func allocShimDefault() throws(NIOAllocatorError) -> ByteBufferAllocator {
        let allocator: any Allocator
        do { allocator = try ProcessDefaultAllocator.allocator() } catch { throw .backend(error) }
        return try allocShim(allocator)
    }

    /// A NIO allocator of `allocate` and the shared functions that read the block header.
    init(routing allocate: NIORouteTable.AllocateFunction) {
        self.init(
            allocate: allocate,
            reallocate: NIORouteTable.reallocate,
            deallocate: NIORouteTable.deallocate,
            copy: NIORouteTable.copy)
    }
}

extension TenantArenas {
    /// A NIO allocator drawing from the tenant's own arena. Cheap enough to ask per request.
    ///
    /// Isolation holds for as long as the value (or any buffer made with it) exists: it can
    /// only ever reach this tenant's live arena. While the tenant is evicted it gets the
    /// fallback (zeroed system memory, wiped on every release, reallocation included); when
    /// the tenant comes back it reaches the tenant's new arena. A tenant's routing slot is
    /// its own for the life of the process, so once the process has routed
    /// `ByteBufferAllocator.allocShimRouteCapacity` tenants and allocators, further tenants
    /// get the fallback too: isolated and served, but without an
    /// arena of their own (see docs/design.md, "NIO routing"). Buffers already made keep working
    /// and free into the arena that made them, which is destroyed when the last of them is gone.
    public func byteBufferAllocator(for tenant: String) throws(NIOAllocatorError) -> ByteBufferAllocator {
        let arena: JemallocArena
        do { arena = try self.arena(for: tenant) } catch { throw .tenant(error) }
        return ByteBufferAllocator(routing: NIORouteTable.allocateFunction(for: tenant, of: self, arena: arena))
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
    /// Every routing slot has been given to an allocator or a tenant (slots are never reused).
    case tooManyRoutes(limit: Int)
    /// The process default backend is unknown or unavailable.
    case backend(BackendSelectionError)
    /// The tenant's arena could not be had.
    case tenant(TenantArenaError)
    /// A buffer of more bytes than a `ByteBuffer` can hold (its capacity is 32 bits).
    case tooLargeForByteBuffer(byteCount: Int, limit: Int)

    /// A one-line explanation naming the limit or the underlying error.
    public var description: String {
        switch self {
        case .tooManyRoutes(let limit):
            return "AllocShimNIO: all \(limit) allocator routes have been given out (a route is never reused); route fewer distinct allocators, e.g. reuse one per backend"
        case .backend(let error): return error.description
        case .tenant(let error): return error.description
        case .tooLargeForByteBuffer(let byteCount, let limit):
            return "AllocShimNIO: a buffer of \(byteCount) bytes cannot become a ByteBuffer, which holds at most \(limit) bytes"
        }
    }
}
#endif

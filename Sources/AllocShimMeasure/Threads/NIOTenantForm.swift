import AllocShim

#if NIO && canImport(NIOCore)
import AllocShimNIO
import NIOCore
#endif

/// ``BlockForm/nioTenant``: SwiftNIO `ByteBuffer`s from an AllocShim tenant allocator, driven
/// by the sweep's workloads like every other form.
///
/// One tenant is shared by every thread, as the event loops of a server all serve the same
/// tenant: every allocation goes through one NIO route and one jemalloc arena, which is exactly
/// where event loops would meet (each thread through its own thread cache of that arena and
/// its own share of the arena's live-block count: design.md, "Dedicated arenas and their
/// thread caches").
/// The tenant registry and its allocator are made once per process, because a NIO route is
/// never reused (AllocShimNIO gives out at most 1,024).
enum NIOTenantForm {
    /// The tenant every thread allocates for.
    static let tenant = "allocshim-threads"

    #if NIO && canImport(NIOCore)
    static let isBuilt = true

    /// One registry holding the one tenant, and its NIO allocator; or why it could not be made.
    private static let shared: Result<(TenantArenas, ByteBufferAllocator), MeasureError> = {
        do {
            let arenas = try TenantArenas(maximumTenants: 1)
            return .success((arenas, try arenas.byteBufferAllocator(for: tenant)))
        } catch {
            return .failure(.failed("nio-tenant: no tenant allocator: \(error)"))
        }
    }()

    /// One timed run of `workload` on ByteBuffers of the shared tenant.
    static func run(
        _ workload: ThreadWorkload, threads: Int, operationsPerThread: Int, seed: UInt64, starter: ThreadGroup.Starter
    ) throws(MeasureError) -> WorkloadRun {
        let allocator = try shared.get().1
        return try ThreadSweep.runCrossingThreads(workload, NIOTenantBlock.self, threads, operationsPerThread, allocator, seed, starter)
    }
    #else
    static let isBuilt = false

    static func run(
        _ workload: ThreadWorkload, threads: Int, operationsPerThread: Int, seed: UInt64, starter: ThreadGroup.Starter
    ) throws(MeasureError) -> WorkloadRun {
        throw .invalidArgument("block form 'nio-tenant' needs the package trait NIO (swift build --traits NIO)")
    }
    #endif
}

#if NIO && canImport(NIOCore)
/// A `ByteBuffer` of `byteCount` readable bytes whose first and last byte carry the mark. NIO
/// rounds the capacity up to a power of two (a 100-byte buffer is a 128-byte block), and
/// dropping the last copy frees it into the tenant's arena, on whichever thread drops it.
struct NIOTenantBlock: WorkloadBlock, Sendable {
    var buffer: ByteBuffer

    init(byteCount: Int, from allocator: ByteBufferAllocator) throws(BufferError) {
        buffer = allocator.buffer(capacity: byteCount)
        // The bytes between the two marks are never read (ByteBuffer reads check the writer index).
        // allocshim: uninitialized — thread benchmark: the first and last byte are written before anything is read, nothing else is read
        buffer.moveWriterIndex(to: byteCount)
    }

    mutating func mark(_ mark: UInt8) {
        buffer.setInteger(mark, at: 0)
        buffer.setInteger(mark, at: buffer.writerIndex - 1)
    }

    func markSum() -> UInt64 {
        UInt64(buffer.getInteger(at: 0, as: UInt8.self)!) + UInt64(buffer.getInteger(at: buffer.writerIndex - 1, as: UInt8.self)!)
    }
}
#endif

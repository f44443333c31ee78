import CAllocShims
import Synchronization

/// Where buffers get their memory: an allocator plus its slab pool for small uninitialized
/// buffers. One source per built-in backend is shared process-wide ("a slab pool per backend");
/// make your own with ``init(allocator:slabSize:)`` for a custom allocator or a tenant arena.
public final class BufferSource: Sendable {
    /// The allocator every block and slab of this source comes from.
    public let allocator: any Allocator
    /// The slab pool that serves this source's small uninitialized buffers from `allocator`.
    public let pool: SlabPool
    /// Direct C calls for whole blocks when the allocator is a built-in process-lifetime
    /// backend (see FastPath.swift); nil for arenas and user allocators.
    let fastPath: Unmanaged<FastPathHandle>?
    /// The arena's core when the allocator is a `JemallocArena` (held by `allocator`, so
    /// unretained here): whole blocks are made and freed through it without touching the
    /// arena object's reference count.
    let arenaCore: Unmanaged<ArenaCore>?

    /// A source with its own pool. `slabSize` defaults to `ALLOCSHIM_POOL_SIZE` (8 KiB).
    public init(allocator: any Allocator, slabSize: Int? = nil) throws(BufferConfigurationError) {
        self.allocator = allocator
        let size: Int
        if let slabSize {
            try BufferConfiguration.validatePoolSize(slabSize)
            size = slabSize
        } else {
            size = try BufferConfiguration.poolSize()
        }
        self.pool = SlabPool(allocator: allocator, slabSize: size)
        self.fastPath = FastPathHandle.of(allocator)
        self.arenaCore = (allocator as? JemallocArena).map { .passUnretained($0.core) }
    }

    /// A source whose pool cuts per thread like a built-in backend's shared pool, with `slabSize`
    /// slabs; freed when released (the pool-size comparison makes one per size it compares).
    package init(perThreadPoolOf allocator: any Allocator, slabSize: Int) throws(BufferConfigurationError) {
        try BufferConfiguration.validatePoolSize(slabSize)
        self.allocator = allocator
        self.pool = SlabPool(perThreadFor: allocator, slabSize: slabSize, immortal: false)
        self.fastPath = FastPathHandle.of(allocator)
        self.arenaCore = (allocator as? JemallocArena).map { .passUnretained($0.core) }
    }

    /// The shared source of a built-in backend: its pool cuts per thread and, like the source
    /// (kept in `perBackend` for good), is never freed.
    private init(sharedFor allocator: any Allocator) throws(BufferConfigurationError) {
        self.allocator = allocator
        self.pool = SlabPool(perThreadFor: allocator, slabSize: try BufferConfiguration.poolSize(), immortal: true)
        self.fastPath = FastPathHandle.of(allocator)
        self.arenaCore = (allocator as? JemallocArena).map { .passUnretained($0.core) }
    }

    /// The shared source of a built-in backend.
    public static func backend(_ name: BackendName) throws(BufferSourceError) -> BufferSource {
        let index = BackendName.allCases.firstIndex(of: name)!
        if let known = perBackend.withLock({ $0[index] }) { return known }
        let allocator: any Allocator
        do { allocator = try BackendRegistry.allocator(name) } catch { throw .backend(error) }
        let source: BufferSource
        do { source = try BufferSource(sharedFor: allocator) } catch { throw .configuration(error) }
        return perBackend.withLock { slots in
            if let raced = slots[index] { return raced }
            slots[index] = source
            return source
        }
    }

    /// The source for the process default allocator (``ProcessDefaultAllocator``), following
    /// changes to it. Throws when `ALLOCSHIM_BACKEND`, `ALLOCSHIM_POOL_SIZE` or
    /// `ALLOCSHIM_ZERO_FILL` hold an invalid value. Once resolved: two relaxed/acquiring loads.
    public static func processDefault() throws(BufferSourceError) -> BufferSource {
        let box: Unmanaged<ProcessDefaultAllocator.Box>
        do { box = try ProcessDefaultAllocator.currentBox() } catch { throw .backend(error) }
        do { _ = try BufferConfiguration.isZeroFillEnabled() } catch { throw .configuration(error) }
        if let source = box.takeUnretainedValue().source { return source }
        // The source could not be made when the default was set; retry, and remember success.
        let source = try resolve(for: box.takeUnretainedValue().allocator)
        ProcessDefaultAllocator.replace(box, with: source)
        return source
    }

    /// The source buffers use for `allocator` as the process default: the shared source of a
    /// built-in backend, or one source per user allocator (remembered while it stays default).
    static func resolve(for allocator: any Allocator) throws(BufferSourceError) -> BufferSource {
        if let name = BackendName(rawValue: allocator.name),
            let builtIn = try? BackendRegistry.allocator(name), builtIn as AnyObject === allocator as AnyObject
        {
            return try backend(name)
        }
        return try customDefault.withLock { (cached: inout BufferSource?) throws(BufferSourceError) -> BufferSource in
            if let cached, cached.allocator as AnyObject === allocator as AnyObject { return cached }
            let source: BufferSource
            do throws(BufferConfigurationError) {
                source = try BufferSource(allocator: allocator)
            } catch {
                throw .configuration(error)
            }
            cached = source
            return source
        }
    }

    private static let perBackend = LockedValue<[BufferSource?]>(Array(repeating: nil, count: BackendName.allCases.count))
    private static let customDefault = LockedValue<BufferSource?>(nil)
}

/// Why a buffer source could not be had.
public enum BufferSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The backend asked for (or the process default) is unavailable.
    case backend(BackendSelectionError)
    /// A buffer setting (slab size, zero-fill) is invalid.
    case configuration(BufferConfigurationError)

    /// The description of the underlying backend or configuration error.
    public var description: String {
        switch self {
        case .backend(let error): return error.description
        case .configuration(let error): return error.description
        }
    }
}

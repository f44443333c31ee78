import CAllocShims
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value type that a mallctl key can hold: fixed-size and trivially copyable (size_t is
/// `Int`, unsigned is `UInt32`, uint64_t is `UInt64`, ssize_t is `Int`, bool is `Bool`).
public protocol JemallocScalar: BitwiseCopyable, Sendable {
    /// The all-zero value: the initial value of the buffer a read hands to `mallctl`.
    static var zero: Self { get }
}
extension Int: JemallocScalar { public static var zero: Int { 0 } }
extension UInt: JemallocScalar { public static var zero: UInt { 0 } }
extension UInt32: JemallocScalar { public static var zero: UInt32 { 0 } }
extension UInt64: JemallocScalar { public static var zero: UInt64 { 0 } }
extension Bool: JemallocScalar { public static var zero: Bool { false } }

/// A mallctl key together with the Swift type of its value, so reads cannot use the wrong type.
public struct JemallocKey<Value: JemallocScalar>: Sendable, Hashable {
    /// The mallctl name, e.g. `"stats.allocated"`.
    public let name: String
    /// A key for `name`; the caller vouches that its value has type `Value`.
    public init(_ name: String) { self.name = name }
}

extension JemallocKey where Value == Int {
    /// Bytes allocated by the application (`stats.allocated`).
    public static let allocated = JemallocKey("stats.allocated")
    /// Bytes in active pages, a multiple of the page size (`stats.active`).
    public static let active = JemallocKey("stats.active")
    /// Bytes in physically resident pages mapped by jemalloc, metadata included (`stats.resident`).
    public static let resident = JemallocKey("stats.resident")
    /// Bytes in active extents mapped by jemalloc (`stats.mapped`).
    public static let mapped = JemallocKey("stats.mapped")
    /// Bytes of virtual memory kept mapped but not counted in `mapped`, rather than returned to
    /// the OS (`stats.retained`).
    public static let retained = JemallocKey("stats.retained")
    /// Bytes of jemalloc's own metadata (`stats.metadata`).
    public static let metadata = JemallocKey("stats.metadata")
    /// jemalloc's page size in bytes (`arenas.page`).
    public static let pageSize = JemallocKey("arenas.page")
    /// Per-arena keys are written with arena 0 and re-targeted by MIB (see `read(_:arena:)`).
    public static let arenaMapped = JemallocKey("stats.arenas.0.mapped")
    /// An arena's physically resident bytes (`stats.arenas.<i>.resident`).
    public static let arenaResident = JemallocKey("stats.arenas.0.resident")
    /// An arena's retained virtual memory in bytes (`stats.arenas.<i>.retained`).
    public static let arenaRetained = JemallocKey("stats.arenas.0.retained")
    /// An arena's active pages: a page count, not bytes (`stats.arenas.<i>.pactive`).
    public static let arenaActivePages = JemallocKey("stats.arenas.0.pactive")
    /// Bytes an arena holds in small size classes (`stats.arenas.<i>.small.allocated`).
    public static let arenaSmallAllocated = JemallocKey("stats.arenas.0.small.allocated")
    /// Bytes an arena holds in large size classes (`stats.arenas.<i>.large.allocated`).
    public static let arenaLargeAllocated = JemallocKey("stats.arenas.0.large.allocated")
}

extension JemallocKey where Value == UInt64 {
    /// Bytes this thread has allocated so far (cumulative; every malloc in the process counts
    /// when jemalloc is the process allocator).
    public static let threadAllocated = JemallocKey("thread.allocated")
}

extension JemallocKey where Value == UInt32 {
    /// The current limit on the number of arenas (`arenas.narenas`).
    public static let arenaCount = JemallocKey("arenas.narenas")
}

/// jemalloc's figures for the process or for one arena, in bytes.
public struct JemallocStatistics: Sendable, Codable, Equatable {
    /// Bytes allocated by the application; for an arena, small plus large allocations.
    public var allocated: Int
    /// Bytes in active pages (≥ `allocated`, a multiple of the page size).
    public var active: Int
    /// Bytes physically resident.
    public var resident: Int
    /// Bytes in active extents mapped by jemalloc.
    public var mapped: Int
    /// Bytes of virtual memory retained rather than returned to the OS (not part of `mapped`).
    public var retained: Int
}

/// Typed access to jemalloc's control interface (`mallctl`), in the spirit of
/// tikv-jemalloc-ctl: keys carry their value type, names are turned into MIBs once and
/// cached, errors carry errno and its mallctl meaning, and statistics functions advance
/// the `epoch` themselves so figures are never stale.
public enum JemallocControl {
    /// Whether jemalloc is linked into this process.
    public static var isAvailable: Bool { CAllocShims_jemalloc_is_linked() != 0 }

    // MARK: By name

    /// Reads a key by name. The corresponding C function is `mallctl`.
    ///
    /// The value's size must match the key's: a mismatch is ``JemallocControlError/typeMismatch(name:expectedBytes:actualBytes:)``
    /// (jemalloc never copies more than `Value`'s size, so nothing is overwritten), and a
    /// string-valued key is ``JemallocControlError/isAString(name:)``.
    public static func read<Value: JemallocScalar>(_ name: String, as type: Value.Type = Value.self)
        throws(JemallocControlError) -> Value
    {
        try ensureLinked(name)
        guard !JemallocKeyKinds.isReadableString(name) else { throw .isAString(name: name) }
        var value = Value.zero
        var length = MemoryLayout<Value>.size
        let code = withUnsafeMutableBytes(of: &value) { CAllocShims_jemalloc_mallctl(name, $0.baseAddress, &length, nil, 0) }
        if code == EINVAL, let actual = valueSize(name, mib: nil), actual != MemoryLayout<Value>.size {
            throw .typeMismatch(name: name, expectedBytes: MemoryLayout<Value>.size, actualBytes: actual)
        }
        try check(code, name)
        guard length == MemoryLayout<Value>.size else {
            throw .typeMismatch(name: name, expectedBytes: MemoryLayout<Value>.size, actualBytes: length)
        }
        return value
    }

    /// Reads a string-valued key (`const char *`), such as `version` or `opt.dss`.
    ///
    /// Only keys jemalloc documents as `const char *` are read (`JemallocKeyKinds`): mallctl
    /// checks sizes only, and a number read as a pointer would be dereferenced. Any other key
    /// is ``JemallocControlError/notAString(name:stringKeys:)``, before mallctl is called.
    public static func read(_ name: String, as type: String.Type) throws(JemallocControlError) -> String {
        try ensureLinked(name)
        guard JemallocKeyKinds.isReadableString(name) else {
            throw .notAString(name: name, stringKeys: JemallocKeyKinds.readableStrings)
        }
        var value: UnsafePointer<CChar>? = nil
        var length = MemoryLayout<UnsafePointer<CChar>?>.size
        let code = withUnsafeMutableBytes(of: &value) { CAllocShims_jemalloc_mallctl(name, $0.baseAddress, &length, nil, 0) }
        try check(code, name)
        guard length == MemoryLayout<UnsafePointer<CChar>?>.size else {
            throw .typeMismatch(name: name, expectedBytes: MemoryLayout<UnsafePointer<CChar>?>.size, actualBytes: length)
        }
        return value.map { String(cString: $0) } ?? ""
    }

    /// Writes a key by name. Keys that take a pointer (strings, hooks, addresses) are refused
    /// with ``JemallocControlError/takesPointer(name:)``: jemalloc would dereference the number.
    public static func write<Value: JemallocScalar>(_ name: String, _ newValue: Value) throws(JemallocControlError) {
        try ensureLinked(name)
        guard !JemallocKeyKinds.takesPointer(name) else { throw .takesPointer(name: name) }
        var value = newValue
        let code = withUnsafeMutableBytes(of: &value) {
            CAllocShims_jemalloc_mallctl(name, nil, nil, $0.baseAddress, MemoryLayout<Value>.size)
        }
        try check(code, name)
    }

    /// Runs a key that takes and returns nothing (`arena.<i>.purge`, `arena.<i>.destroy`, ...).
    public static func command(_ name: String) throws(JemallocControlError) {
        try ensureLinked(name)
        try check(CAllocShims_jemalloc_mallctl(name, nil, nil, nil, 0), name)
    }

    // MARK: Typed keys, through cached MIBs

    /// Reads a typed key through its cached MIB (`mallctlbymib`).
    public static func read<Value>(_ key: JemallocKey<Value>) throws(JemallocControlError) -> Value {
        try readByMIB(key.name, mib: MIBCache.shared.mib(for: key.name))
    }

    /// Reads a per-arena key (`stats.arenas.<i>.*`) for arena `index`, re-targeting the cached
    /// MIB's arena component instead of formatting and parsing a new name.
    public static func read<Value>(_ key: JemallocKey<Value>, arena index: UInt32) throws(JemallocControlError) -> Value {
        var mib = try MIBCache.shared.mib(for: key.name)
        guard key.name.hasPrefix("stats.arenas.0."), mib.count > 2 else {
            throw .failed(name: key.name, errno: ENOENT)  // not a per-arena key
        }
        mib[2] = Int(index)
        return try readByMIB(key.name.replacingArena(with: index), mib: mib)
    }

    // MARK: Statistics

    /// Refreshes jemalloc's statistics snapshot (writes `epoch`). Statistics readers call it.
    public static func advanceEpoch() throws(JemallocControlError) {
        try write("epoch", UInt64(1))
    }

    /// Process-wide figures (`stats.*`), after an epoch advance.
    public static func processStatistics() throws(JemallocControlError) -> JemallocStatistics {
        try advanceEpoch()
        return JemallocStatistics(
            allocated: try read(.allocated), active: try read(.active), resident: try read(.resident),
            mapped: try read(.mapped), retained: try read(.retained))
    }

    /// One arena's figures (`stats.arenas.<i>.*`), after an epoch advance.
    public static func arenaStatistics(_ index: UInt32) throws(JemallocControlError) -> JemallocStatistics {
        try advanceEpoch()
        let page = try read(.pageSize)
        return JemallocStatistics(
            allocated: try read(.arenaSmallAllocated, arena: index) + read(.arenaLargeAllocated, arena: index),
            active: try read(.arenaActivePages, arena: index) * page,
            resident: try read(.arenaResident, arena: index),
            mapped: try read(.arenaMapped, arena: index),
            retained: try read(.arenaRetained, arena: index))
    }

    // MARK: Plumbing

    /// `mib` comes from `MIBCache`, which refuses string-valued keys once, when it translates
    /// the name: checking here would split the name on every read (measured: 6.5 KB allocated
    /// per read, seen by the residue probe's no-hidden-allocation test).
    private static func readByMIB<Value: JemallocScalar>(_ name: String, mib: [Int]) throws(JemallocControlError) -> Value {
        var value = Value.zero
        var length = MemoryLayout<Value>.size
        let code = mib.withUnsafeBufferPointer { mibBuffer in
            withUnsafeMutableBytes(of: &value) {
                CAllocShims_jemalloc_mallctlbymib(mibBuffer.baseAddress, mibBuffer.count, $0.baseAddress, &length, nil, 0)
            }
        }
        if code == EINVAL, let actual = valueSize(name, mib: mib), actual != MemoryLayout<Value>.size {
            throw .typeMismatch(name: name, expectedBytes: MemoryLayout<Value>.size, actualBytes: actual)
        }
        try check(code, name)
        guard length == MemoryLayout<Value>.size else {
            throw .typeMismatch(name: name, expectedBytes: MemoryLayout<Value>.size, actualBytes: length)
        }
        return value
    }

    /// The size of a key's value, learnt after a read failed with EINVAL: jemalloc's READ
    /// copies min(size, buffer) and reports the size it copied, so a buffer larger than any
    /// mallctl value yields the real size. nil when jemalloc does not say (keys that check
    /// the length before anything else report 0). Only after a failed read, so the common
    /// path costs one call.
    private static func valueSize(_ name: String, mib: [Int]?) -> Int? {
        // Larger than every mallctl value, 16-byte aligned.
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        let capacity = MemoryLayout.size(ofValue: scratch)
        var length = capacity
        let code = withUnsafeMutableBytes(of: &scratch) { buffer in
            if let mib {
                return mib.withUnsafeBufferPointer {
                    CAllocShims_jemalloc_mallctlbymib($0.baseAddress, $0.count, buffer.baseAddress, &length, nil, 0)
                }
            }
            return CAllocShims_jemalloc_mallctl(name, buffer.baseAddress, &length, nil, 0)
        }
        guard code == 0 || code == EINVAL, length > 0, length <= capacity else { return nil }
        return length
    }

    static func ensureLinked(_ name: String) throws(JemallocControlError) {
        guard isAvailable else { throw .notLinked(name: name) }
    }

    static func check(_ code: Int32, _ name: String) throws(JemallocControlError) {
        guard code == 0 else { throw .failed(name: name, errno: code) }
    }
}

/// Name → MIB translations, made once per name (`mallctlnametomib`) and reused.
final class MIBCache: Sendable {
    static let shared = MIBCache()
    private let cache = LockedValue<[String: [Int]]>([:])

    func mib(for name: String) throws(JemallocControlError) -> [Int] {
        if let known = cache.withLock({ $0[name] }) { return known }
        try JemallocControl.ensureLinked(name)
        // MIBs serve typed number reads only: a string key never gets one (checked once per name).
        guard !JemallocKeyKinds.isReadableString(name) else { throw .isAString(name: name) }
        var mib = [Int](repeating: 0, count: 8)
        var length = mib.count
        let code = mib.withUnsafeMutableBufferPointer { CAllocShims_jemalloc_mallctlnametomib(name, $0.baseAddress, &length) }
        try JemallocControl.check(code, name)
        mib.removeLast(mib.count - length)
        cache.withLock { $0[name] = mib }
        return mib
    }

    /// How many names have been translated (for tests of the cache).
    var count: Int { cache.withLock { $0.count } }
}

extension String {
    /// "stats.arenas.0.mapped" → "stats.arenas.<index>.mapped", for error messages.
    fileprivate func replacingArena(with index: UInt32) -> String {
        var parts = split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 2 { parts[2] = String(index) }
        return parts.joined(separator: ".")
    }
}

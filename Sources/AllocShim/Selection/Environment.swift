#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variables AllocShim reads, in one place.
public enum EnvironmentVariable: String, CaseIterable, Sendable {
    /// Names the process-default backend (unset or empty: `system`).
    case backend = "ALLOCSHIM_BACKEND"
    /// `1` makes every uninitialized buffer allocation zeroed (Node's --zero-fill-buffers).
    case zeroFill = "ALLOCSHIM_ZERO_FILL"
    /// `1` fills every uninitialized allocation with the poison pattern (Leaks/PoisonMode.swift).
    case poison = "ALLOCSHIM_POISON"
    /// Slab size in bytes of the uninitialized-buffer pool (default 8192, like Node's Buffer.poolSize).
    case poolSize = "ALLOCSHIM_POOL_SIZE"
    /// Path or soname of the mimalloc library to load instead of libmimalloc.so.2.
    case mimallocLibrary = "ALLOCSHIM_MIMALLOC_LIBRARY"
    /// Path or soname of the tcmalloc library to load instead of libtcmalloc.so.4.
    case tcmallocLibrary = "ALLOCSHIM_TCMALLOC_LIBRARY"

    /// The value in this process's environment, or `nil` when unset.
    public var currentValue: String? {
        getenv(rawValue).map { String(cString: $0) }
    }
}

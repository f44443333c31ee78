#if Metrics
import AllocShim
import Foundation
import Logging

/// Records the allocator configuration a service starts with: which backend is the default,
/// which are available (and why not), zero-fill mode, pool size, and the allocator
/// environment variables that change behaviour (see docs/residue.md).
public enum AllocShimStartupLog {
    static let allocatorVariables = [
        "ALLOCSHIM_BACKEND", "ALLOCSHIM_ZERO_FILL", "ALLOCSHIM_POOL_SIZE", "MALLOC_CONF", "MALLOC_PERTURB_",
        "GLIBC_TUNABLES", "MIMALLOC_VERBOSE", "TCMALLOC_RELEASE_RATE",
    ]

    /// Writes one `info` record to `logger`, with the configuration as metadata: `backend`
    /// (or `backend.error` when the default backend cannot be had), `zeroFill`, `poolSize`,
    /// `available.<name>` per backend, and `env.<VARIABLE>` for each allocator variable set.
    public static func log(_ logger: Logger) {
        let environment = ProcessInfo.processInfo.environment
        var metadata: Logger.Metadata = [:]
        do {
            metadata["backend"] = "\(try ProcessDefaultAllocator.allocator().name)"
        } catch {
            metadata["backend.error"] = "\(error)"
        }
        metadata["zeroFill"] = "\((try? BufferConfiguration.isZeroFillEnabled()).map(String.init) ?? "invalid")"
        metadata["poolSize"] = "\((try? BufferConfiguration.poolSize()).map(String.init) ?? "invalid")"
        for availability in BackendRegistry.availability() {
            metadata["available.\(availability.name)"] =
                availability.available ? "\(availability.version ?? "yes")" : "no: \(availability.reason ?? "unknown")"
        }
        for name in allocatorVariables {
            if let value = environment[name] { metadata["env.\(name)"] = "\(value)" }
        }
        logger.info("AllocShim allocator configuration", metadata: metadata)
    }
}
#endif

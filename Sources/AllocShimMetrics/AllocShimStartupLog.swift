#if Metrics
import AllocShim
import Foundation
import Logging

/// Records the allocator configuration a service starts with: which backend is the default,
/// which are available (and why not), zero-fill and poison modes, pool size, and the allocator
/// environment variables that change behaviour (see docs/residue.md).
///
/// Logging has no side effects on the allocators: it loads no library (mimalloc and tcmalloc
/// are loaded on first use, not to be listed) and creates no arena. The default backend is
/// the one already in use, or else the one `ALLOCSHIM_BACKEND` names, which is resolved on
/// first use.
public enum AllocShimStartupLog {
    /// Every ALLOCSHIM_* variable (``EnvironmentVariable`` is their one list), then the
    /// allocators' own variables.
    static let allocatorVariables =
        EnvironmentVariable.allCases.map(\.rawValue) + ["MALLOC_CONF", "MALLOC_PERTURB_", "GLIBC_TUNABLES", "MIMALLOC_VERBOSE", "TCMALLOC_RELEASE_RATE"]

    /// Writes one `info` record to `logger`, with the configuration as metadata: `backend`
    /// (or `backend.error` when `ALLOCSHIM_BACKEND` names no backend), `zeroFill`, `poison`,
    /// `poolSize`, `available.<name>` per backend, `processAllocator` (the family and library
    /// serving `malloc`, found by symbol lookup: nothing is loaded), and `env.<VARIABLE>` for
    /// each allocator variable set.
    public static func log(_ logger: Logger) {
        let environment = ProcessInfo.processInfo.environment
        var metadata: Logger.Metadata = [:]
        let inUse = ProcessDefaultAllocator.resolvedAllocator
        if let inUse {
            metadata["backend"] = "\(inUse.name)"
        } else {
            do {
                let configured = try EnvironmentVariable.backend.currentValue.map {
                    value throws(BackendSelectionError) in try BackendName(parsing: value, source: EnvironmentVariable.backend.rawValue)
                }
                metadata["backend"] = "\((configured ?? .system).rawValue)"
            } catch {
                metadata["backend.error"] = "\(error)"
            }
        }
        metadata["zeroFill"] = "\((try? BufferConfiguration.isZeroFillEnabled()).map(String.init) ?? "invalid")"
        metadata["poison"] = "\((try? PoisonMode.isEnabled()).map(String.init) ?? "invalid")"
        metadata["poolSize"] = "\((try? BufferConfiguration.poolSize()).map(String.init) ?? "invalid")"
        for name in BackendName.allCases {
            metadata["available.\(name.rawValue)"] = "\(availability(of: name, inUse: inUse))"
        }
        metadata["processAllocator"] = "\(ProcessAllocator.current)"
        for name in allocatorVariables {
            if let value = environment[name] { metadata["env.\(name)"] = "\(value)" }
        }
        logger.info("AllocShim allocator configuration", metadata: metadata)
    }

    /// What can be said about `name` without loading a library or creating an arena.
    static func availability(of name: BackendName, inUse: (any Allocator)?) -> String {
        switch name {
        case .system, .jemalloc:
            // Nothing to load: the platform allocator is always there, jemalloc linked or not.
            let availability = BackendRegistry.availability(name)
            return availability.available ? availability.version ?? "yes" : "no: \(availability.reason ?? "unknown")"
        case .jemallocArena:
            let jemalloc = BackendRegistry.availability(.jemalloc)
            return jemalloc.available ? "yes (arenas are created on first use)" : "no: \(jemalloc.reason ?? "unknown")"
        case .mimalloc, .tcmalloc:
            if let loaded = inUse as? DynamicLibraryAllocator, loaded.name == name.rawValue {
                return "\(loaded.version) (\(loaded.library))"
            }
            let sonames = name.family.sonames.joined(separator: " or ")
            return "not checked: loaded on first use from \(sonames) (`allocshim backends` checks)"
        }
    }
}
#endif

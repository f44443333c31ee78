/// What happens between releasing the secret and reading the next memory.
package enum ResidueScenario: String, CaseIterable, Sendable, Codable {
    /// Free, then one uninitialized allocation of the same size.
    case sameSize = "same-size"
    /// Free, then one uninitialized allocation of a different size class: 2 × size + 64.
    case differentSize = "different-size"
    /// Free, then K uninitialized allocations of the same size; the best recovery counts.
    case spray
    /// Secret written and freed on one thread, the allocation made on another.
    case crossThread = "cross-thread"
    /// Free, then one zero-filled allocation of the same size.
    case allocZeroed = "alloc-zeroed"
    /// A pooled uninitialized buffer holding the secret is released, then pooled uninitialized
    /// buffers of the same size are taken (and dropped) until the pool has turned over three
    /// slabs, so a released slab can come back from its allocator; the best recovery counts.
    case unsafePooled = "unsafe-pooled"
    /// A `SecureBytes` holding the secret is released; the next allocation of its size is read.
    case secure
    /// Secret in one dedicated jemalloc arena (tenant A), the allocation in another (tenant B).
    case arenaIsolated = "arena-isolated"

    /// Parses a scenario name; the `MeasureError` names the bad value and every valid one.
    package init(parsing name: String) throws(MeasureError) {
        guard let scenario = ResidueScenario(rawValue: name) else {
            throw .invalidArgument("unknown scenario '\(name)'; valid scenarios are: \(ResidueScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = scenario
    }

    /// The different size class used by `different-size`.
    static func differentSize(for size: Int) -> Int { size * 2 + 64 }

    /// The unsafe-pooled scenario only exists below the pool threshold (half a slab).
    func isApplicable(size: Int, backendIsJemalloc: Bool, poolThreshold: Int) -> Bool {
        switch self {
        case .arenaIsolated: return backendIsJemalloc
        case .unsafePooled: return size < poolThreshold
        default: return true
        }
    }
}

/// The sizes measured by default (bytes).
package let defaultResidueSizes = [16, 64, 100, 200, 1024, 4096, 10 * 1024, 64 * 1024, 1 << 20]

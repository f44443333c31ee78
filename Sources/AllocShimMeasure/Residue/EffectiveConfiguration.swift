import AllocShim

/// `allocshim config`: the effective configuration, checked by use: a pooled buffer is
/// dirtied and released, and the next uninitialized pooled buffer from the same slab position
/// is read back (all zero only in zero-fill mode).
package struct EffectiveConfiguration: Codable, Sendable {
    /// The process-default backend's name.
    package var backend: String
    /// Whether zero-fill mode is on (`ALLOCSHIM_ZERO_FILL`).
    package var zeroFill: Bool
    /// The pool's slab size in bytes (`ALLOCSHIM_POOL_SIZE`).
    package var poolSize: Int
    /// Whether the reused pooled bytes read as zero.
    package var pooledBytesAllZero: Bool
    /// Every ALLOCSHIM_* variable that is set (empty counts as unset).
    package var environment: [String: String]

    /// Probes the process default's pool.
    package static func probe() throws -> EffectiveConfiguration {
        let allocator = try ProcessDefaultAllocator.allocator()
        let size = 64
        do {
            // A pool of its own, dropped with its only buffer, so its slab returns to the
            // allocator dirty; the next pool's first slab is then most likely that block.
            let dirtyPool = try BufferSource(allocator: allocator)
            // allocshim: uninitialized — reads pooled bytes on purpose to report whether zero-fill is in effect; only one boolean is printed
            let dirty = try SharedBytes.allocUnsafe(size, using: dirtyPool)
            try dirty.fill(.byte(0xA5))
        }
        let source = try BufferSource(allocator: allocator)
        // allocshim: uninitialized — reads pooled bytes on purpose to report whether zero-fill is in effect; only one boolean is printed
        let reused = try SharedBytes.allocUnsafe(size, using: source)
        let variables = EnvironmentVariable.allCases.compactMap { variable in
            variable.currentValue.map { (variable.rawValue, $0) }
        }
        return EffectiveConfiguration(
            backend: source.allocator.name, zeroFill: try BufferConfiguration.isZeroFillEnabled(),
            poolSize: source.pool.slabSize, pooledBytesAllZero: reused.allSatisfy { $0 == 0 },
            environment: Dictionary(uniqueKeysWithValues: variables))
    }
}

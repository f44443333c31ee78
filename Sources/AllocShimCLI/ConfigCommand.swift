import AllocShim
import ArgumentParser
import Foundation

/// `allocshim config [--json]`: the effective configuration, checked by use: it dirties a
/// pooled buffer, releases it, and reports whether the next uninitialized pooled buffer from
/// the same slab position reads as zero (true only in zero-fill mode).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective AllocShim configuration (backend, zero-fill, pool size)."
    )

    @OptionGroup var environment: EnvironmentCheck

    @Flag(help: "Print JSON.")
    var json = false

    struct Report: Codable {
        var backend: String
        var zeroFill: Bool
        var poolSize: Int
        var pooledBytesAllZero: Bool
        var environment: [String: String]
    }

    func run() throws {
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
        let report = Report(
            backend: source.allocator.name, zeroFill: try BufferConfiguration.isZeroFillEnabled(),
            poolSize: source.pool.slabSize, pooledBytesAllZero: reused.allSatisfy { $0 == 0 },
            environment: Dictionary(uniqueKeysWithValues: variables))
        if json {
            try printJSON(report)
        } else {
            print("backend: \(report.backend)\nzero-fill: \(report.zeroFill)\npool size: \(report.poolSize) bytes")
        }
    }
}

import AllocShim
import Foundation

/// A process allocator to run a program under (`allocshim run`, `allocshim soak`): which library
/// to preload and which tuning variables to set.
package struct ProcessAllocatorChoice: Sendable, Hashable, Codable {
    /// The allocators `allocshim run --backend` accepts.
    package enum Backend: String, Sendable, Hashable, Codable, CaseIterable {
        case system, jemalloc, mimalloc, tcmalloc, scudo

        /// The family whose `malloc` the child must end up calling.
        package var family: AllocShim.ProcessAllocator.Family {
            switch self {
            case .system: .glibc
            case .jemalloc: .jemalloc
            case .mimalloc: .mimalloc
            case .tcmalloc: .tcmalloc
            case .scudo: .scudo
            }
        }

        /// The Debian package providing the library to preload (nil: nothing to preload).
        package var debianPackage: String? {
            switch self {
            case .system: nil
            case .jemalloc: "libjemalloc2"
            case .mimalloc: "libmimalloc2.0"
            case .tcmalloc: "libgoogle-perftools4 (or libtcmalloc-minimal4)"
            case .scudo: "libclang-rt-14-dev"
            }
        }

        /// Library file names to look for, preferred first: the family's (the one soname table).
        var libraryNames: [String] { family.sonames }
    }

    /// The allocator.
    package var backend: Backend
    /// glibc only: `MALLOC_ARENA_MAX` (the number of malloc arenas; glibc's default is 8 × cores).
    package var arenaMax: Int?
    /// glibc only: `glibc.malloc.trim_threshold` in bytes (free memory at the heap top kept before trimming).
    package var trimThreshold: Int?
    /// jemalloc only: `MALLOC_CONF`, e.g. `dirty_decay_ms:1000,background_thread:true`.
    package var mallocConf: String?
    /// Any backend: ask the service to call `FreeMemoryRelease.releaseNow()` every so many
    /// seconds (`RELEASE_INTERVAL`, which the example service reads). The remedy the reports
    /// apply by hand with `malloc_trim`, on whichever allocator serves `malloc`.
    package var releaseIntervalSeconds: Int?

    /// Checks that each option belongs to the chosen backend.
    package init(
        backend: Backend, arenaMax: Int? = nil, trimThreshold: Int? = nil, mallocConf: String? = nil, releaseIntervalSeconds: Int? = nil
    ) throws(ProcessAllocatorError) {
        if backend != .system, arenaMax != nil { throw .optionNotForBackend(option: "--arena-max", backend: backend.rawValue, allowedWith: "system") }
        if backend != .system, trimThreshold != nil { throw .optionNotForBackend(option: "--trim-threshold", backend: backend.rawValue, allowedWith: "system") }
        if backend != .jemalloc, mallocConf != nil { throw .optionNotForBackend(option: "--malloc-conf", backend: backend.rawValue, allowedWith: "jemalloc") }
        if let arenaMax, !(1...1024).contains(arenaMax) { throw .badValue(option: "--arena-max", value: String(arenaMax), allowed: "1 … 1024") }
        if let trimThreshold, trimThreshold < 0 { throw .badValue(option: "--trim-threshold", value: String(trimThreshold), allowed: "0 or more bytes") }
        if let mallocConf { try Self.validateMallocConf(mallocConf) }
        if let releaseIntervalSeconds, !(1...3600).contains(releaseIntervalSeconds) {
            throw .badValue(option: "release", value: String(releaseIntervalSeconds), allowed: "1 … 3600 seconds")
        }
        self.backend = backend
        self.releaseIntervalSeconds = releaseIntervalSeconds
        self.arenaMax = arenaMax
        self.trimThreshold = trimThreshold
        self.mallocConf = mallocConf
    }

    /// Checks `conf` against the grammar jemalloc's own parser (`conf_next` in src/jemalloc.c)
    /// accepts, narrowed to what its options use: `key:value` pairs separated by single commas;
    /// a key is `[a-z0-9_]+` (the name of an `opt.*` mallctl); a value runs to the next comma, may
    /// contain `:` (`bin_shards:1-160:16`), is not empty and is printable ASCII. jemalloc itself
    /// only prints "Malformed conf string" and carries on with its defaults, so a typo would
    /// measure the wrong configuration; control characters would reach the terminal and logs.
    package static func validateMallocConf(_ conf: String) throws(ProcessAllocatorError) {
        guard !conf.isEmpty else { throw .malformedMallocConf(value: conf, problem: "it is empty") }
        guard conf.utf8.count <= 1024 else { throw .malformedMallocConf(value: conf, problem: "it is \(conf.utf8.count) bytes long") }
        if let bad = conf.unicodeScalars.first(where: { !(0x21...0x7E).contains($0.value) }) {
            let shown = "U+" + String(bad.value, radix: 16, uppercase: true)
            throw .malformedMallocConf(value: conf, problem: "it contains \(shown), not printable ASCII")
        }
        for (index, pair) in conf.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard let colon = pair.firstIndex(of: ":") else {
                throw .malformedMallocConf(value: conf, problem: pair.isEmpty ? "pair \(number) is empty" : "pair \(number) '\(pair)' has no ':'")
            }
            let key = pair[..<colon]
            let value = pair[pair.index(after: colon)...]
            guard !key.isEmpty, key.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                throw .malformedMallocConf(value: conf, problem: "key '\(key)' of pair \(number) is not [a-z0-9_]+")
            }
            guard !value.isEmpty else { throw .malformedMallocConf(value: conf, problem: "key '\(key)' has an empty value") }
        }
    }

    /// Parses a backend name, or throws an error listing the valid ones.
    package static func backend(named name: String) throws(ProcessAllocatorError) -> Backend {
        guard let backend = Backend(rawValue: name) else { throw .unknownBackend(name) }
        return backend
    }

    /// A short label, e.g. `system arena-max=2` or `jemalloc dirty_decay_ms:0`.
    package var label: String {
        var parts = [backend.rawValue]
        if let arenaMax { parts.append("MALLOC_ARENA_MAX=\(arenaMax)") }
        if let trimThreshold { parts.append("trim_threshold=\(trimThreshold)") }
        if let mallocConf { parts.append("MALLOC_CONF=\(mallocConf)") }
        if let releaseIntervalSeconds { parts.append("release every \(releaseIntervalSeconds) s") }
        return parts.joined(separator: " ")
    }

    /// ``label`` for a terminal or a log line: MALLOC_CONF as the CLI shows every environment
    /// value (``EnvironmentVariable/displayed(_:)``: control characters escaped, long values cut),
    /// whatever path the choice came by (a decoded choice never passed ``init``'s checks).
    package var displayedLabel: String {
        var choice = self
        choice.mallocConf = mallocConf.map(EnvironmentVariable.displayed)
        return choice.label
    }

    /// The library to preload, found on this system (nil for `system`).
    /// - Parameter directories: where to look; nil for Debian's and LLVM's usual directories.
    /// - Throws: ``ProcessAllocatorError/libraryMissing(backend:searched:package:)``.
    package func libraryPath(searching directories: [String]? = nil) throws(ProcessAllocatorError) -> String? {
        guard backend != .system else { return nil }
        if let found = SharedLibraries.find(backend.libraryNames, in: directories ?? SharedLibraries.directories) { return found }
        throw .libraryMissing(backend: backend.rawValue, searched: backend.libraryNames.joined(separator: " or "), package: backend.debianPackage ?? "")
    }

    /// The variables to add to the child's environment (LD_PRELOAD prepended to any existing one).
    package func environment(base: [String: String]) throws(ProcessAllocatorError) -> [String: String] {
        var environment = base
        if let library = try libraryPath() {
            let existing = base["LD_PRELOAD"].map { " " + $0 } ?? ""
            environment["LD_PRELOAD"] = library + existing
        }
        if let arenaMax { environment["MALLOC_ARENA_MAX"] = String(arenaMax) }
        if let trimThreshold {
            let tunable = "glibc.malloc.trim_threshold=\(trimThreshold)"
            environment["GLIBC_TUNABLES"] = base["GLIBC_TUNABLES"].map { $0 + ":" + tunable } ?? tunable
        }
        if let mallocConf { environment["MALLOC_CONF"] = mallocConf }
        if let releaseIntervalSeconds { environment["RELEASE_INTERVAL"] = String(releaseIntervalSeconds) }
        return environment
    }
}

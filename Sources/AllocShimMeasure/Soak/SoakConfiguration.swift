extension ProcessAllocatorChoice {
    /// The grammar of a soak configuration, for error messages.
    static let soakConfigurationGrammar = "BACKEND[+arena-max=N][+trim-threshold=N][+malloc-conf=CONF][+release=SECONDS]"

    /// A soak configuration (`allocshim soak --config`), e.g. `system+arena-max=2` or
    /// `jemalloc+malloc-conf=dirty_decay_ms:1000,background_thread:true`.
    init(soakConfiguration text: String) throws(ProcessAllocatorError) {
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        let backend = try ProcessAllocatorChoice.backend(named: parts[0])
        var arenaMax: Int?
        var trimThreshold: Int?
        var mallocConf: String?
        var release: Int?
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw .badValue(option: "--config", value: text, allowed: Self.soakConfigurationGrammar) }
            switch pair[0] {
            case "arena-max":
                guard let value = Int(pair[1]) else { throw .badValue(option: "arena-max", value: pair[1], allowed: "an integer 1 … 1024") }
                arenaMax = value
            case "trim-threshold":
                guard let value = Int(pair[1]) else { throw .badValue(option: "trim-threshold", value: pair[1], allowed: "a byte count") }
                trimThreshold = value
            case "malloc-conf": mallocConf = pair[1]
            case "release":
                guard let value = Int(pair[1]) else { throw .badValue(option: "release", value: pair[1], allowed: "1 … 3600 seconds") }
                release = value
            default:
                throw .badValue(
                    option: "--config", value: part,
                    allowed: "arena-max=N, trim-threshold=N, malloc-conf=CONF or release=SECONDS after BACKEND+")
            }
        }
        try self.init(
            backend: backend, arenaMax: arenaMax, trimThreshold: trimThreshold, mallocConf: mallocConf, releaseIntervalSeconds: release)
    }
}

/// One (backend, scenario) measurement.
package struct BenchResult: Codable, Sendable {
    /// The backend measured, a `BackendName` raw value.
    package var backend: String
    /// The scenario measured, a `BenchScenario` raw value.
    package var scenario: String
    /// Buffers made per repetition.
    package var iterations: Int
    /// Median ns per buffer for the Node-like `SharedBytes` form.
    package var nsPerOp: Double
    /// Median ns per buffer for the noncopyable `OwnedBytes` form (`nil` for `from-*`).
    package var ownedNsPerOp: Double?
    /// Median ns per iteration of the same work as bare C calls on the same allocator.
    package var cNsPerOp: Double
    /// Median ns per op of the same scenario in Node, when run with --compare-node.
    package var nodeNsPerOp: Double?
    /// min(nsPerOp, ownedNsPerOp) / cNsPerOp: the cost of the Swift layer's fastest form.
    package var fastestOverC: Double
    /// Repetitions the medians are taken over.
    package var repetitions: Int
    /// The same two forms with no `using:` (the process default set to this backend): the
    /// path the README shows.
    package var defaultSourceNsPerOp: Double?
    /// The `OwnedBytes` twin of `defaultSourceNsPerOp`: median ns per buffer with no `using:`.
    package var ownedDefaultSourceNsPerOp: Double?
    /// Spread of the repetitions, (max − min) / median, for `nsPerOp` and `ownedNsPerOp`.
    package var relativeSpread: Double?
    /// The spread of `ownedNsPerOp` over the repetitions, (max − min) / median.
    package var ownedRelativeSpread: Double?
    /// What Swift offers without AllocShim, measured interleaved in the same run: ns per op by
    /// alternative (see `SwiftAlternative`; `ByteBuffer` rows in builds with the `NIO` trait).
    package var swiftAlternativesNsPerOp: [String: Double]?
    /// How many child processes measured this row (`allocshim bench --processes N`): each
    /// figure above is then the median of their medians, and `relativeSpread` and
    /// `ownedRelativeSpread` the median of their within-process spreads. `nil`: measured in
    /// this process alone.
    package var processes: Int?
    /// Spread of `nsPerOp` across the processes, (max − min) / median; `nil` in-process.
    /// Unlike `relativeSpread`, it sees what differs from one process to the next: address
    /// layout, which core, the allocator's start-up state.
    package var processSpread: Double?
    /// Spread of `ownedNsPerOp` across the processes; `nil` in-process and for `from-*`.
    package var ownedProcessSpread: Double?
    /// Spread of `defaultSourceNsPerOp` across the processes; `nil` in-process.
    package var defaultSourceProcessSpread: Double?
    /// Spread of `ownedDefaultSourceNsPerOp` across the processes; `nil` in-process and for `from-*`.
    package var ownedDefaultSourceProcessSpread: Double?
    /// Spread of `cNsPerOp` across the processes; `nil` in-process.
    package var cProcessSpread: Double?
    /// Spread of each of `swiftAlternativesNsPerOp` across the processes; `nil` in-process.
    package var swiftAlternativesProcessSpread: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case backend, scenario, iterations, nsPerOp, ownedNsPerOp, cNsPerOp, nodeNsPerOp, fastestOverC, repetitions
        case defaultSourceNsPerOp, ownedDefaultSourceNsPerOp, relativeSpread, ownedRelativeSpread, swiftAlternativesNsPerOp
        case processes, processSpread, ownedProcessSpread, defaultSourceProcessSpread, ownedDefaultSourceProcessSpread, cProcessSpread
        case swiftAlternativesProcessSpread
    }

    /// Writes `null` for absent figures so every object has every key.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(backend, forKey: .backend)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(iterations, forKey: .iterations)
        try container.encode(nsPerOp, forKey: .nsPerOp)
        try container.encode(ownedNsPerOp, forKey: .ownedNsPerOp)
        try container.encode(cNsPerOp, forKey: .cNsPerOp)
        try container.encode(nodeNsPerOp, forKey: .nodeNsPerOp)
        try container.encode(fastestOverC, forKey: .fastestOverC)
        try container.encode(repetitions, forKey: .repetitions)
        try container.encode(defaultSourceNsPerOp, forKey: .defaultSourceNsPerOp)
        try container.encode(ownedDefaultSourceNsPerOp, forKey: .ownedDefaultSourceNsPerOp)
        try container.encode(relativeSpread, forKey: .relativeSpread)
        try container.encode(ownedRelativeSpread, forKey: .ownedRelativeSpread)
        try container.encode(swiftAlternativesNsPerOp, forKey: .swiftAlternativesNsPerOp)
        try container.encode(processes, forKey: .processes)
        try container.encode(processSpread, forKey: .processSpread)
        try container.encode(ownedProcessSpread, forKey: .ownedProcessSpread)
        try container.encode(defaultSourceProcessSpread, forKey: .defaultSourceProcessSpread)
        try container.encode(ownedDefaultSourceProcessSpread, forKey: .ownedDefaultSourceProcessSpread)
        try container.encode(cProcessSpread, forKey: .cProcessSpread)
        try container.encode(swiftAlternativesProcessSpread, forKey: .swiftAlternativesProcessSpread)
    }
}

extension BenchResult {
    /// The largest spread across processes among the main figures (both forms, explicit and
    /// default source, and C): how far apart the processes were for the least stable of them.
    /// `nil` in-process.
    package var largestProcessSpread: Double? {
        let spreads = [processSpread, ownedProcessSpread, defaultSourceProcessSpread, ownedDefaultSourceProcessSpread, cProcessSpread]
        return spreads.compactMap { $0 }.max()
    }

    /// The spread tables show: `largestProcessSpread` for rows measured in several processes,
    /// else the larger spread of the repetitions (kept for `SharedBytes` and `OwnedBytes`).
    var shownSpread: Double? {
        processes != nil ? largestProcessSpread : [relativeSpread, ownedRelativeSpread].compactMap { $0 }.max()
    }

    /// `OwnedBytes` over the bare C calls; `nil` where there is no `OwnedBytes` form (`from-*`).
    package var ownedOverC: Double? { ownedNsPerOp.map { $0 / cNsPerOp } }
}

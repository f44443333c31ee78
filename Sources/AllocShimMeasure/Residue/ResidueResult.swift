/// What one (backend, scenario, size) probe found over its rounds.
package struct ResidueResult: Codable, Sendable, Equatable {
    /// The backend, configuration or C probe measured.
    package var backend: String
    /// The scenario, a `ResidueScenario` raw value.
    package var scenario: String
    /// Size of the secret and of the reuse allocation, in bytes.
    package var size: Int
    /// Rounds measured; 0 when not applicable.
    package var rounds: Int
    /// Mean share of the secret's bytes found at their original offsets, 0–100.
    package var recoveredPercent: Double
    /// The lowest share recovered in any round, 0–100.
    package var minPercent: Double
    /// The highest share recovered in any round, 0–100.
    package var maxPercent: Double
    /// Byte ranges lost in most rounds that recovered anything (e.g. "0-15": where the
    /// allocator keeps its free-list metadata); empty when nothing or everything was found.
    package var lostOffsets: String
    /// False when the scenario does not apply (arena-isolated off jemalloc, unsafe-pooled at
    /// sizes the pool does not serve); the percentages are then 0 and mean nothing.
    package var applicable: Bool
}

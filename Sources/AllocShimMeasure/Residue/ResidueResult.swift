/// What one (backend, scenario, size) probe found over its rounds.
public struct ResidueResult: Codable, Sendable, Equatable {
    public var backend: String
    public var scenario: String
    public var size: Int
    public var rounds: Int
    /// Mean share of the secret's bytes found at their original offsets, 0–100.
    public var recoveredPercent: Double
    public var minPercent: Double
    public var maxPercent: Double
    /// Byte ranges lost in most rounds that recovered anything (e.g. "0-15": where the
    /// allocator keeps its free-list metadata); empty when nothing or everything was found.
    public var lostOffsets: String
    /// False when the scenario does not apply (arena-isolated off jemalloc, unsafe-pooled at
    /// sizes the pool does not serve); the percentages are then 0 and mean nothing.
    public var applicable: Bool
}

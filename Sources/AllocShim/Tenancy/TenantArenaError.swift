/// Why a tenant arena could not be had.
public enum TenantArenaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// jemalloc is not linked, or refused to create an arena.
    case unavailable(String)
    /// The maximum number of tenants is outside `allowed`; `limitedBy` says what sets the
    /// upper bound (jemalloc's arena limit or AllocShimNIO's routes).
    case invalidMaximum(Int, allowed: ClosedRange<Int>, limitedBy: String)

    /// Why tenant arenas are unavailable, or the bad maximum with its allowed range and what limits it.
    public var description: String {
        switch self {
        case .unavailable(let reason): return "tenant arenas are unavailable: \(reason)"
        case .invalidMaximum(let value, let allowed, let reason):
            return "invalid maximum number of tenants \(value): it must be in \(allowed.lowerBound)...\(allowed.upperBound) (\(reason))"
        }
    }
}

/// The load a soak puts on a service: long-tailed request bodies over many keep-alive
/// connections, in bursts separated by idle periods (connections stay open while idle, as in
/// production), optionally spread over tenants with the `X-Tenant` header.
package struct SoakWorkload: Sendable, Codable, Hashable {
    /// Concurrent keep-alive connections (one client thread each).
    package var connections: Int = 48
    /// Length of each load burst, in seconds.
    package var burstSeconds: Int = 20
    /// Length of each idle period after a burst, in seconds.
    package var idleSeconds: Int = 15
    /// Total time per run, in seconds (bursts and idle periods alternate from the start; the
    /// run always ends with an idle period, so "RSS after idle" is measured).
    package var durationSeconds: Int = 180
    /// Smallest request body, in bytes.
    package var minimumBodyBytes: Int = 1024
    /// Largest request body, in bytes (the service's MAX_BODY is set to this).
    package var maximumBodyBytes: Int = 4 << 20
    /// Tenants named in `X-Tenant` round-robin per request; 0 sends no header.
    package var tenants: Int = 0
    /// Upper bound on requests per run, whatever the duration.
    package var maximumRequests: Int = 5_000_000

    /// Creates the default workload.
    package init() {}

    /// Whether second `second` (from the start) lies in a burst.
    package func isBurst(atSecond second: Int) -> Bool {
        second < durationSeconds - idleSeconds && second % (burstSeconds + idleSeconds) < burstSeconds
    }

    /// Checks the values; each error names the bad value and the allowed range.
    package func validate() throws(SoakError) {
        func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(SoakError) {
            guard range.contains(value) else { throw .badValue(name: name, value: String(value), allowed: "\(range.lowerBound) … \(range.upperBound)") }
        }
        try check("--connections", connections, 1...512)
        try check("--burst", burstSeconds, 1...3600)
        try check("--idle", idleSeconds, 1...3600)
        try check("--duration", durationSeconds, burstSeconds + idleSeconds...86_400)
        try check("--min-body", minimumBodyBytes, 1...(64 << 20))
        try check("--max-body", maximumBodyBytes, minimumBodyBytes...(64 << 20))
        try check("--tenants", tenants, 0...63)
    }

    /// A body size: 80 % log-uniform in [min, 64 KiB], 20 % log-uniform in [64 KiB, max] —
    /// mostly small requests, a long tail of multi-MiB uploads (the shape reported by services
    /// whose RSS grew under glibc).
    func bodySize(_ random: inout SplitMix64) -> Int {
        let split = Swift.min(Swift.max(64 << 10, minimumBodyBytes), maximumBodyBytes)
        let (low, high) = random.nextUnit() < 0.8 ? (minimumBodyBytes, split) : (split, maximumBodyBytes)
        let logSize = log(Double(low)) + random.nextUnit() * (log(Double(high)) - log(Double(low)))
        return Swift.min(Swift.max(Int(exp(logSize)), minimumBodyBytes), maximumBodyBytes)
    }
}

#if canImport(Glibc)
import Glibc
#endif

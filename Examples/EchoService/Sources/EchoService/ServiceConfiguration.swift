// EchoService settings from the environment: PORT, MAX_BODY, MAX_TENANTS, SHUTDOWN_GRACE,
// RELEASE_INTERVAL. The allocator
// settings (ALLOCSHIM_BACKEND, ALLOCSHIM_ZERO_FILL, ALLOCSHIM_POOL_SIZE) are the library's own
// and are read by AllocShim itself.
import AllocShim
import AllocShimNIO
import Foundation
import NIOCore

/// The service's settings, from the environment. Invalid values stop the service at start
/// with a message naming the variable, the value and what is allowed.
struct ServiceConfiguration {
    var port: Int
    var maximumBodyBytes: Int
    var maximumTenants: Int
    /// How long requests in flight may take to finish after SIGINT/SIGTERM.
    var shutdownGrace: TimeAmount
    /// Seconds between releases of free memory to the OS; 0 (the default): never.
    var releaseIntervalSeconds: Int

    /// Tenants are bounded by what AllocShim can isolate (jemalloc's arena limit and
    /// AllocShimNIO's routes, minus the shared allocator's route). Without jemalloc there are
    /// no tenant arenas (X-Tenant is ignored), and the limit is 0: keep the range valid.
    static let maximumTenantsLimit = max(1, min(TenantArenas.largestMaximumTenants, ByteBufferAllocator.allocShimRouteCapacity - 1))

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfiguration {
        ServiceConfiguration(
            port: try integer("PORT", in: environment, default: 8080, allowed: 1...65535),
            maximumBodyBytes: try integer("MAX_BODY", in: environment, default: 1 << 20, allowed: 1...(1 << 30)),
            maximumTenants: try integer("MAX_TENANTS", in: environment, default: 32, allowed: 1...maximumTenantsLimit),
            shutdownGrace: .seconds(Int64(try integer("SHUTDOWN_GRACE", in: environment, default: 10, allowed: 1...300))),
            releaseIntervalSeconds: try integer("RELEASE_INTERVAL", in: environment, default: 0, allowed: 0...3600))
    }

    private static func integer(_ name: String, in environment: [String: String], default value: Int, allowed: ClosedRange<Int>) throws -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let parsed = Int(text), allowed.contains(parsed) else {
            throw ConfigurationError(message: "\(name)='\(text)' is invalid: expected an integer in \(allowed.lowerBound)...\(allowed.upperBound)")
        }
        return parsed
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

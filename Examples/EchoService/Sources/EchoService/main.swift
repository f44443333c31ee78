// EchoService entry point: reads its configuration, selects the allocator (ALLOCSHIM_BACKEND),
// and runs two services under one swift-service-lifecycle ServiceGroup — the HTTP server
// (HTTPServer.swift) and the allocator metrics — until SIGINT or SIGTERM, which shut it down
// gracefully. Routes and buffer handling are in EchoHandler.swift.
import AllocShim
import AllocShimMetrics
import AllocShimNIO
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EchoService: \(message)\n".utf8))
    exit(2)
}

let logger = Logger(label: "EchoService")
let configuration: ServiceConfiguration
let allocator: any Allocator
let source: BufferSource
let nioAllocator: ByteBufferAllocator
do {
    configuration = try ServiceConfiguration.fromEnvironment()
    allocator = try ProcessDefaultAllocator.allocator()
    source = try BufferSource.processDefault()
    nioAllocator = try ByteBufferAllocator.allocShim(allocator)
} catch {
    fail("\(error)")
}
AllocShimStartupLog.log(logger)

let tenants: TenantArenas? = JemallocControl.isAvailable ? try? TenantArenas(maximumTenants: configuration.maximumTenants) : nil

let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
let metrics = AllocatorMetrics(allocators: [allocator], sources: [source], tenants: tenants, interval: .seconds(1))

let context = ServiceContext(defaultSource: source, tenants: tenants, registry: registry, maximumBodyBytes: configuration.maximumBodyBytes)
let server = HTTPServer(
    host: "127.0.0.1", port: configuration.port, allocator: nioAllocator, context: context,
    shutdownGrace: configuration.shutdownGrace, logger: logger)

// Services stop in reverse order: the server first (no new connections, requests in flight
// answered), then metrics, which take a last sample on the way out.
var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: metrics), .init(service: server)]
if configuration.releaseIntervalSeconds > 0 {
    services.insert(.init(service: MemoryReleaseService(interval: .seconds(configuration.releaseIntervalSeconds), logger: logger)), at: 0)
}
let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: services,
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
do {
    try await group.run()
} catch {
    fail("\(error)")
}
logger.info("stopped")

// EchoService entry point: reads its configuration, selects the allocator (ALLOCSHIM_BACKEND),
// starts metrics, serves HTTP/1.1 on 127.0.0.1:$PORT until SIGINT or SIGTERM.
// Routes and buffer handling are in EchoHandler.swift.
import AllocShim
import AllocShimMetrics
import AllocShimNIO
import Dispatch
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

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
let metrics = AllocatorMetrics(allocators: [allocator], sources: [source], interval: .seconds(1))
metrics.start()

let context = ServiceContext(defaultSource: source, tenants: tenants, registry: registry, maximumBodyBytes: configuration.maximumBodyBytes)
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let server: Channel
do {
    server = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .allocShimAllocator(nioAllocator)
        .childChannelInitializer { channel in
            // Runs on the channel's event loop: the handler is built there and never leaves it.
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(EchoHandler(context: context))
            }
        }
        .bind(host: "127.0.0.1", port: configuration.port).wait()
} catch {
    fail("cannot listen on 127.0.0.1:\(configuration.port): \(error)")
}
logger.info("listening", metadata: ["address": "\(server.localAddress.map { "\($0)" } ?? "?")", "backend": "\(allocator.name)"])

// Clean shutdown on SIGINT/SIGTERM: stop accepting, let the event loops finish.
signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
let signalQueue = DispatchQueue(label: "EchoService.signals")
let signalSources = [SIGINT, SIGTERM].map { number in
    let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
    // @Sendable: runs on the signal queue, not on the main actor that owns top-level code.
    source.setEventHandler { @Sendable [server] in server.close(promise: nil) }
    source.resume()
    return source
}
try? server.closeFuture.wait()
metrics.stop()
try? group.syncShutdownGracefully()
withExtendedLifetime(signalSources) {}
logger.info("stopped")

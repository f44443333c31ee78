// swift-tools-version:6.1
// EchoService: an example SwiftNIO HTTP service embedding AllocShim — its buffers on the
// backend chosen by ALLOCSHIM_BACKEND, a jemalloc arena per tenant (X-Tenant header), and
// allocator metrics at /metrics, run as services of a ServiceGroup (graceful shutdown on
// SIGINT/SIGTERM). Its own package, so the library never depends on it.
//
// Trait `Jemalloc` (on by default) is passed through to AllocShim: it links jemalloc, which
// then becomes malloc for the whole process. `swift build --disable-default-traits` builds the
// service without it, so the process allocator stays selectable (`allocshim run`, `allocshim soak`).
import PackageDescription

let package = Package(
    name: "EchoService",
    traits: [
        .trait(
            name: "Jemalloc",
            description: "Build AllocShim with the system jemalloc linked (it becomes the process malloc)."
        ),
        .default(enabledTraits: ["Jemalloc"]),
    ],
    dependencies: [
        .package(
            name: "AllocShim", path: "../..",
            traits: ["NIO", "Metrics", .trait(name: "Jemalloc", condition: .when(traits: ["Jemalloc"]))]
        ),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "EchoService",
            dependencies: [
                .product(name: "AllocShim", package: "AllocShim"),
                .product(name: "AllocShimNIO", package: "AllocShim"),
                .product(name: "AllocShimMetrics", package: "AllocShim"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        )
    ]
)

// swift-tools-version:6.1
// AllocShim: C allocators (glibc, jemalloc and its arenas, mimalloc, tcmalloc) behind one
// Swift `Allocator` protocol, Node.js-style buffers on top, and the tools that measure them.
//
// Targets, lower layers first (arrows point down only; see docs/design.md):
//   CJemalloc        system library: the platform jemalloc, linked when trait `Jemalloc` is on
//   CAllocShims      C shims (CShims/CAllocShims): allocator entry points, dlopen loading
//   CAllocShimsBench the benchmark's C baseline loops (measurement only)
//   AllocShim        the library users embed: Allocator, backends, selection, statistics, buffers
//   AllocShimNIO     SwiftNIO ByteBufferAllocator on any backend or tenant arena (trait `NIO`)
//   CAllocShimsNIO   AllocShimNIO's routing slots and their C allocate functions
//   AllocShimMetrics swift-metrics gauges as a ServiceLifecycle Service, a swift-log start-up record (trait `Metrics`)
//   AllocShimHummingbird  Hummingbird 2 channel wiring and per-request tenant buffers (trait `Hummingbird`)
//   AllocShimMeasure the measurement layer: benchmark, fragmentation, residue, threads, soak, report
//                    (`package` access: not a product, only the CLI and the tests use it)
//   AllocShimAudit   the uninitialized-allocation analyzer (`package` access; swift-syntax; never a dependency
//                    of AllocShim: users who embed buffers do not build swift-syntax)
//   allocshim        the CLI (Sources/AllocShimCLI): argument parsing and printing only
import PackageDescription

let package = Package(
    name: "AllocShim",
    // The core uses the Synchronization module (Mutex, Atomic), which starts with these
    // releases. Linux has no minimum.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "AllocShim", targets: ["AllocShim"]),
        // Empty unless their traits are enabled: users of the core never build SwiftNIO or
        // swift-metrics.
        .library(name: "AllocShimNIO", targets: ["AllocShimNIO"]),
        .library(name: "AllocShimMetrics", targets: ["AllocShimMetrics"]),
        .library(name: "AllocShimHummingbird", targets: ["AllocShimHummingbird"]),
        .executable(name: "allocshim", targets: ["allocshim"]),
        .plugin(name: "AuditAllocations", targets: ["AuditAllocations"]),
    ],
    traits: [
        .trait(
            name: "Jemalloc",
            description: "Link the system jemalloc (Debian: libjemalloc-dev). It then becomes malloc for the whole process."
        ),
        .trait(name: "NIO", description: "Build AllocShimNIO: a SwiftNIO ByteBufferAllocator backed by AllocShim."),
        .trait(name: "Metrics", description: "Build AllocShimMetrics: swift-metrics gauges (a swift-service-lifecycle Service) and swift-log start-up logging."),
        .trait(
            name: "Hummingbird",
            description: "Build AllocShimHummingbird: Hummingbird 2 connections on an AllocShim allocator and tenant buffers per request (enables NIO).",
            enabledTraits: ["NIO"]
        ),
        .trait(
            name: "Audit",
            description: "Build `allocshim audit` and the audit-allocations plugin's analyzer (needs swift-syntax)."
        ),
        .default(enabledTraits: ["Jemalloc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The audit's parser. 603 is the release made for Swift 6.3.
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        // AllocatorMetrics is a ServiceLifecycle `Service` (trait Metrics only).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // AllocShimHummingbird (trait Hummingbird only). No default traits: neither
        // swift-configuration nor full Foundation is needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // HTTPField.Name for the tenant header; already in Hummingbird's graph.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // `swift package generate-documentation` (make test-docs); never linked into a product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc",
            path: "CShims/CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .target(
            name: "CAllocShims",
            dependencies: [.target(name: "CJemalloc", condition: .when(traits: ["Jemalloc"]))],
            path: "CShims/CAllocShims",
            cSettings: [.define("ALLOCSHIM_HAVE_JEMALLOC", .when(traits: ["Jemalloc"]))],
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        .target(
            name: "AllocShim",
            dependencies: ["CAllocShims"],
            // `span`, `bytes` and `mutableSpan` return lifetime-dependent views (SE-0456): declaring
            // such a property still needs this feature in Swift 6.3 (users of them do not).
            swiftSettings: [.enableExperimentalFeature("Lifetimes")]
        ),
        // The benchmark's C baseline loops: only the measurement layer links them.
        .target(
            name: "CAllocShimsBench",
            dependencies: ["CAllocShims"],
            path: "CShims/CAllocShimsBench"
        ),
        // AllocShimNIO's routing slots and their C allocate functions (only AllocShimNIO uses it).
        .target(
            name: "CAllocShimsNIO",
            path: "CShims/CAllocShimsNIO"
        ),
        .target(
            name: "AllocShimNIO",
            dependencies: [
                "AllocShim", "CAllocShims",
                .target(name: "CAllocShimsNIO", condition: .when(traits: ["NIO"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["NIO"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["NIO"])),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio", condition: .when(traits: ["NIO"])),
            ]
        ),
        .target(
            name: "AllocShimMetrics",
            dependencies: [
                "AllocShim",
                .product(name: "Metrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Metrics"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Metrics"])),
            ]
        ),
        .target(
            name: "AllocShimHummingbird",
            dependencies: [
                "AllocShim",
                .target(name: "AllocShimNIO", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Hummingbird"])),
            ]
        ),
        // `allocshim run`'s process control: fork/prctl/exec and signal forwarding (Linux).
        .target(
            name: "CAllocShimsProcess",
            path: "CShims/CAllocShimsProcess"
        ),
        .target(
            name: "AllocShimMeasure",
            dependencies: [
                "AllocShim", "CAllocShims", "CAllocShimsBench", "CAllocShimsProcess",
                // The benchmark's ByteBuffer alternative (trait NIO only; AllocShim never depends on NIO).
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["NIO"])),
                // The thread sweep's nio-tenant form (TenantArenas.byteBufferAllocator(for:)).
                .target(name: "AllocShimNIO", condition: .when(traits: ["NIO"])),
            ]
        ),
        // The command is `allocshim`; its folder is AllocShimCLI so that no two paths differ
        // only by case (Sources/AllocShim is the library).
        .executableTarget(
            name: "allocshim",
            dependencies: [
                "AllocShim",
                "AllocShimMeasure",
                "AllocShimAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/AllocShimCLI"
        ),
        // `allocshim audit`: finds uninitialized allocations in Swift sources (docs/audit.md).
        .target(
            name: "AllocShimAudit",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax", condition: .when(traits: ["Audit"])),
                .product(name: "SwiftParser", package: "swift-syntax", condition: .when(traits: ["Audit"])),
            ]
        ),
        // `swift package audit-allocations`: runs `allocshim audit` on the package's own targets.
        .plugin(
            name: "AuditAllocations",
            capability: .command(
                intent: .custom(
                    verb: "audit-allocations",
                    description: "Report uninitialized allocations that are neither justified nor provably overwritten."
                )
            ),
            dependencies: ["allocshim"],
            path: "Plugins/AuditAllocations"
        ),
        // Test-only helpers shared by the test targets (not a product).
        .target(
            name: "AllocShimTestSupport",
            path: "Tests/AllocShimTestSupport"
        ),
        .testTarget(
            name: "AllocShimTests",
            dependencies: ["AllocShim", "CAllocShims", "AllocShimTestSupport"]
        ),
        .testTarget(
            name: "AllocShimIntegrationTests",
            dependencies: [
                "AllocShim", "AllocShimNIO", "AllocShimMetrics", "AllocShimTestSupport",
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["NIO"])),
                .product(name: "NIOEmbedded", package: "swift-nio", condition: .when(traits: ["NIO"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["NIO"])),
                .product(name: "MetricsTestKit", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "Metrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Metrics"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Metrics"])),
            ]
        ),
        .testTarget(
            name: "AllocShimHummingbirdTests",
            dependencies: [
                "AllocShim",
                .target(name: "AllocShimNIO", condition: .when(traits: ["Hummingbird"])),
                .target(name: "AllocShimHummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOEmbedded", package: "swift-nio", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["Hummingbird"])),
            ]
        ),
        .testTarget(
            name: "AllocShimAuditTests",
            dependencies: ["AllocShimAudit"]
        ),
        .testTarget(
            name: "AllocShimMeasureTests",
            dependencies: ["AllocShim", "AllocShimMeasure", "CAllocShims", "AllocShimTestSupport"]
        ),
    ]
)

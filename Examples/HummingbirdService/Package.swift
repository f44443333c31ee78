// swift-tools-version:6.1
// HummingbirdService: a small Hummingbird 2 service on AllocShim — every connection's
// ByteBuffers from the AllocShim NIO allocator (backend chosen by ALLOCSHIM_BACKEND), and each
// request that names a tenant served from that tenant's jemalloc arena (AllocShimHummingbird).
// Its own package, so the library never depends on it.
import PackageDescription

let package = Package(
    name: "HummingbirdService",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Trait Hummingbird builds AllocShimHummingbird (and enables NIO).
        .package(name: "AllocShim", path: "../..", traits: ["Jemalloc", "Hummingbird"]),
        // No default traits: the example needs neither swift-configuration nor full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdService",
            dependencies: [
                .product(name: "AllocShim", package: "AllocShim"),
                .product(name: "AllocShimNIO", package: "AllocShim"),
                .product(name: "AllocShimHummingbird", package: "AllocShim"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),  // HTTP1Channel.Configuration
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)

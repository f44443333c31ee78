// swift-tools-version:6.1
// The soak's load client (Sources/AllocShimMeasure/Soak/SoakClient.swift, linked here, not
// copied) against AsyncHTTPClient on the same server and workload (docs/dependencies.md).
// Not built by `make test`: run by hand when the decision is revisited.
//   swift build -c release
//   .build/release/LoadClientProbe raw|ahc PORT CONNECTIONS SECONDS small|soak
import PackageDescription

let package = Package(
    name: "LoadClientProbe",
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "LoadClientProbe",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)

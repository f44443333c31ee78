// swift-tools-version:6.1
// AllocShim's package-benchmark suite, a package of its own so users of the library never
// build the benchmark harness. Run from this folder:
//   swift package benchmark                                  # run and print
//   swift package benchmark thresholds check                 # compare with Thresholds/
//   swift package --allow-writing-to-package-directory benchmark thresholds update
import PackageDescription

let package = Package(
    name: "AllocShimBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "AllocShim", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AllocationForms",
            dependencies: [
                .product(name: "AllocShim", package: "AllocShim"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/AllocationForms",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)

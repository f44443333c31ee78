// swift-tools-version:6.1
// AllocShim: C allocators (glibc, jemalloc and its arenas, mimalloc, tcmalloc) behind one
// Swift `Allocator` protocol, Node.js-style buffers on top, and the tools that measure them.
//
// Targets, lower layers first (arrows point down only; see docs/design.md):
//   CJemalloc        system library: the platform jemalloc, linked when trait `Jemalloc` is on
//   CAllocShims      C shims (CShims/CAllocShims): allocator entry points, dlopen loading
//   AllocShim        the library users embed: Allocator, backends, selection, statistics, buffers
//   AllocShimMeasure the measurement layer: benchmark, fragmentation, residue, report
//   allocshim        the CLI
import PackageDescription

let package = Package(
    name: "AllocShim",
    products: [
        .library(name: "AllocShim", targets: ["AllocShim"]),
        .executable(name: "allocshim", targets: ["allocshim"]),
    ],
    traits: [
        .trait(
            name: "Jemalloc",
            description: "Link the system jemalloc (Debian: libjemalloc-dev). It then becomes malloc for the whole process."
        ),
        .default(enabledTraits: ["Jemalloc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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
            dependencies: ["CAllocShims"]
        ),
        .target(
            name: "AllocShimMeasure",
            dependencies: ["AllocShim", "CAllocShims"]
        ),
        .executableTarget(
            name: "allocshim",
            dependencies: [
                "AllocShim",
                "AllocShimMeasure",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "AllocShimTests",
            dependencies: ["AllocShim", "AllocShimMeasure", "CAllocShims"]
        ),
        .testTarget(
            name: "AllocShimMeasureTests",
            dependencies: ["AllocShim", "AllocShimMeasure"]
        ),
    ]
)

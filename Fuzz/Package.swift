// swift-tools-version:6.1
// AllocShim's libFuzzer fuzzers: a package of its own, so users of AllocShim never build them.
// It depends on the library by path (the repository root). Built and run by the Makefile
// (`make fuzz`, `make test-fuzz`) through Fuzz/run.sh; see Fuzz/README.md.
//
//   fuzz-base64     base64/base64url decoding, differential against Foundation
//   fuzz-hex        hex decoding, differential against a reference decoder
//   fuzz-allocator  sequences of allocator/pool/arena/tenant operations against a model
import PackageDescription

// A path dependency's identity is its directory's name, which differs between checkouts (a
// clone named `fuzz` would even clash with this package's own): `AllocShim` is a checked-in
// symbolic link to the repository root, so the identity is always `allocshim`.
let libraryPackage = "AllocShim"

let package = Package(
    name: "AllocShimFuzz",
    traits: [
        // Off by default: under AddressSanitizer, ASan must own malloc, so jemalloc (which
        // replaces malloc when linked) is only enabled for the plain libFuzzer build.
        .trait(name: "Jemalloc", description: "Link jemalloc into AllocShim, so the fuzzers also drive jemalloc arenas and tenants."),
    ],
    dependencies: [
        .package(path: "AllocShim", traits: [.trait(name: "Jemalloc", condition: .when(traits: ["Jemalloc"]))]),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "AllocShim", package: libraryPackage)]),
        .executableTarget(
            name: "fuzz-base64",
            dependencies: [.product(name: "AllocShim", package: libraryPackage), "FuzzSupport"]
        ),
        .executableTarget(
            name: "fuzz-hex",
            dependencies: [.product(name: "AllocShim", package: libraryPackage), "FuzzSupport"]
        ),
        .executableTarget(
            name: "fuzz-allocator",
            dependencies: [.product(name: "AllocShim", package: libraryPackage), "FuzzSupport"]
        ),
    ]
)

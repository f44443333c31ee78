// swift-tools-version:6.1
// SharedWriteGuard: the deterministic guard of `make test-shared-writes` (issue 23, item 6).
// A package of its own, so users of the library never build it. One release-built executable
// makes and drops buffers in fixed loops on one thread; scripts/check-shared-writes.sh runs
// it under callgrind and counts, per buffer, the calls and atomics that would be writes to
// memory other threads share. Build from the repository root:
//   swift build -c release --package-path Tools/SharedWriteGuard --product SharedWriteGuard
import PackageDescription

let package = Package(
    name: "SharedWriteGuard",
    traits: [
        .trait(name: "Jemalloc", description: "Build AllocShim with the system jemalloc linked, and guard its backend too."),
        .default(enabledTraits: ["Jemalloc"]),
    ],
    dependencies: [
        .package(name: "AllocShim", path: "../..", traits: [.trait(name: "Jemalloc", condition: .when(traits: ["Jemalloc"]))])
    ],
    targets: [
        .executableTarget(
            name: "SharedWriteGuard",
            dependencies: [.product(name: "AllocShim", package: "AllocShim")]
        )
    ]
)

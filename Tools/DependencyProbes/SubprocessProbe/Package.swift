// swift-tools-version:6.1
// Tries swift-subprocess against what the measurement layer's launchers need (docs/dependencies.md).
// Not built by `make test`: run by hand when the decision is revisited.
//   swift build -c release && .build/release/SubprocessProbe && .build/release/BridgeProbe 2
import PackageDescription

let package = Package(
    name: "SubprocessProbe",
    dependencies: [.package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0")],
    targets: [
        .executableTarget(name: "SubprocessProbe", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")]),
        .executableTarget(name: "BridgeProbe", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")]),
    ]
)

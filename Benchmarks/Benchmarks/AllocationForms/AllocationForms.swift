// One benchmark per backend and allocation form: 1 KiB buffers (pooled for the uninitialized
// forms), each made, touched and dropped. Metrics: wall clock, instructions, malloc counts
// (the process malloc, through package-benchmark's interposer) and peak resident memory.
import AllocShim
import Benchmark

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 200,
        // Tolerances for `thresholds check` (p90 against Thresholds/): wall clock is loose
        // because this shared 2-core machine is noisy; malloc counts and peak RSS are tight.
        thresholds: [
            .wallClock: .init(relative: [.p50: 50, .p90: 50]),
            .instructions: .init(relative: [.p50: 10, .p90: 10]),
            .mallocCountTotal: .init(absolute: [.p50: 5, .p90: 5]),
            .peakMemoryResident: .init(relative: [.p50: 10, .p90: 10]),
        ]
    )
    let size = 1024
    for backend in BackendRegistry.availableBackends {
        guard let source = try? BufferSource.backend(backend) else { continue }
        for form in AllocationForm.allCases {
            // No spaces in names: `thresholds check` looks files up by the raw name, while
            // `thresholds update` writes them with spaces replaced.
            Benchmark("\(backend.rawValue)_\(form.rawValue)_\(size)B") { benchmark in
                blackHole(try run(form, size: size, source: source, iterations: benchmark.scaledIterations))
            }
        }
    }
}

/// Makes, touches and drops `iterations` buffers of `form`. The `owned*` forms are measured as
/// `OwnedBytes` itself: converting to `SharedBytes` (as `AllocationForm.make` does) would add
/// the object that `OwnedBytes` exists to avoid.
func run(_ form: AllocationForm, size: Int, source: BufferSource, iterations: Range<Int>) throws -> Int {
    var checksum = 0
    switch form {
    case .ownedZeroed:
        for index in iterations {
            let buffer = try OwnedBytes(zeroedCount: size, using: source)
            checksum &+= Int(buffer[index % size])
        }
    case .ownedUninitialized:
        for index in iterations {
            var buffer = try OwnedBytes(uninitializedCount: size, using: source)
            buffer[index % size] = UInt8(truncatingIfNeeded: index)
            checksum &+= Int(buffer[index % size])
        }
    case .ownedUninitializedUnpooled:
        for index in iterations {
            var buffer = try OwnedBytes(uninitializedUnpooledCount: size, using: source)
            buffer[index % size] = UInt8(truncatingIfNeeded: index)
            checksum &+= Int(buffer[index % size])
        }
    case .alloc, .allocUnsafe, .allocUnsafeSlow:
        for index in iterations {
            let buffer = try form.make(size, using: source)
            buffer[index % size] = UInt8(truncatingIfNeeded: index)
            checksum &+= Int(buffer[index % size])
        }
    }
    return checksum
}

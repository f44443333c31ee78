import AllocShim
import Foundation

/// The Swift side of each scenario: `iterations` buffers made, touched and dropped, timed.
/// Like the C baseline, every buffer is kept observable (one byte written for the
/// uninitialized forms, one byte folded into a checksum) so nothing can be optimized away.
enum SwiftLoops {
    struct Timing {
        var nanoseconds: UInt64
        var checksum: UInt64
    }

    /// The Node-like copyable form (`SharedBytes`). `source` nil: the process default, the
    /// path users write when they pass no `using:`.
    static func shared(_ scenario: BenchScenario, source: BufferSource?, iterations: Int, inputs: Inputs) throws -> Timing {
        let size = scenario.size
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        switch scenario.form {
        case .alloc?:
            for index in 0..<iterations {
                let buffer = try SharedBytes.alloc(size, using: source)
                sum &+= UInt64(buffer[index % size])
            }
        case .allocUnsafe?, .allocUnsafeSlow?:
            let pooled = scenario.form == .allocUnsafe
            for index in 0..<iterations {
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                let buffer = pooled ? try SharedBytes.allocUnsafe(size, using: source) : try SharedBytes.allocUnsafeSlow(size, using: source)
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
            }
        case nil where scenario == .fromString1MiB:
            for index in 0..<iterations {
                let buffer = try SharedBytes.from(inputs.string, using: source)
                sum &+= UInt64(buffer[index % size])
            }
        default:
            for index in 0..<iterations {
                let buffer = try SharedBytes.from(inputs.buffer, using: source)
                sum &+= UInt64(buffer[index % size])
            }
        }
        return Timing(nanoseconds: threadCPUNanoseconds() - start, checksum: sum)
    }

    /// The noncopyable form (`OwnedBytes`): no object per buffer. `nil` for `from-*`.
    static func owned(_ scenario: BenchScenario, source: BufferSource?, iterations: Int) throws -> Timing? {
        guard let form = scenario.form else { return nil }
        let size = scenario.size
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        switch form {
        case .alloc:
            for index in 0..<iterations {
                let buffer = try OwnedBytes(zeroedCount: size, using: source)
                sum &+= UInt64(buffer[index % size])
            }
        case .allocUnsafe:
            for index in 0..<iterations {
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                var buffer = try OwnedBytes(uninitializedCount: size, using: source)
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
            }
        default:
            for index in 0..<iterations {
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                var buffer = try OwnedBytes(uninitializedUnpooledCount: size, using: source)
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
            }
        }
        return Timing(nanoseconds: threadCPUNanoseconds() - start, checksum: sum)
    }

    /// Inputs prepared once per run, outside the timed loops.
    struct Inputs {
        let string: String
        let buffer: SharedBytes

        init() throws {
            string = String(repeating: "a", count: 1 << 20)
            buffer = try SharedBytes.alloc(1 << 20, fill: .byte(UInt8(ascii: "a")), using: BufferSource.backend(.system))
        }
    }
}

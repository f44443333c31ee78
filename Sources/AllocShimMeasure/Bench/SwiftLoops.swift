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
                var buffer = try OwnedBytes(uninitializedCount: size, using: source)
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
            }
        default:
            for index in 0..<iterations {
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

/// What a Swift programmer would write instead of AllocShim, timed the same way: the same
/// size, one byte written and one read per buffer. They use the process's `malloc` (jemalloc
/// when the `Jemalloc` trait is linked, else glibc), whatever backend the row is about.
enum SwiftAlternatives {
    /// The alternatives measured for a scenario: zeroed ones for `alloc`, uninitialized ones
    /// for the unsafe forms, none for the `from-*` copies.
    static func names(for scenario: BenchScenario) -> [String] {
        switch scenario.form {
        case .alloc?, .ownedZeroed?: return ["[UInt8](repeating:count:)", "UnsafeMutableRawBufferPointer.allocate+zero", "Data(count:)"]
        case .allocUnsafe?, .allocUnsafeSlow?, .ownedUninitialized?, .ownedUninitializedUnpooled?:
            return ["[UInt8](unsafeUninitializedCapacity:)", "UnsafeMutableRawBufferPointer.allocate", "Data(capacity:)"]
        case nil: return []
        }
    }

    static func run(_ name: String, size: Int, iterations: Int) -> SwiftLoops.Timing {
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        switch name {
        case "[UInt8](repeating:count:)":
            for index in 0..<iterations {
                let array = [UInt8](repeating: 0, count: size)
                sum &+= UInt64(array[index % size])
            }
        case "UnsafeMutableRawBufferPointer.allocate+zero", "UnsafeMutableRawBufferPointer.allocate":
            let zero = name.hasSuffix("+zero")
            for index in 0..<iterations {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
                if zero { buffer.initializeMemory(as: UInt8.self, repeating: 0) }
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
                buffer.deallocate()
            }
        case "[UInt8](unsafeUninitializedCapacity:)":
            for index in 0..<iterations {
                let array = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                    buffer[index % size] = UInt8(truncatingIfNeeded: index)
                    initialized = size  // the benchmark's own uninitialized form, as users write it
                }
                sum &+= UInt64(array[index % size])
            }
        case "Data(count:)":
            for index in 0..<iterations {
                let data = Data(count: size)
                sum &+= UInt64(data[index % size])
            }
        default:  // Data(capacity:) then one appended byte: Data's uninitialized form
            for index in 0..<iterations {
                var data = Data(capacity: size)
                data.append(UInt8(truncatingIfNeeded: index))
                sum &+= UInt64(data[0])
            }
        }
        return SwiftLoops.Timing(nanoseconds: threadCPUNanoseconds() - start, checksum: sum)
    }
}

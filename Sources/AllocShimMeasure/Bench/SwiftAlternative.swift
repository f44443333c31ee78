import AllocShim
import Foundation

/// What a Swift programmer would write instead of AllocShim, timed the same way: the same
/// size, one byte written and one read per buffer. They use the process's `malloc` (jemalloc
/// when the `Jemalloc` trait is linked, else glibc), whatever backend the row is about.
///
/// The raw values are the keys of `BenchResult.swiftAlternativesNsPerOp`.
enum SwiftAlternative: String, CaseIterable {
    // Zeroed, beside `alloc`.
    case arrayRepeating = "[UInt8](repeating:count:)"
    case rawBufferZeroed = "UnsafeMutableRawBufferPointer.allocate+zero"
    case dataCount = "Data(count:)"
    // Uninitialized, beside `allocUnsafe` and `allocUnsafeSlow`.
    case arrayUninitialized = "[UInt8](unsafeUninitializedCapacity:)"
    case rawBuffer = "UnsafeMutableRawBufferPointer.allocate"
    case dataCapacity = "Data(capacity:)"
    // SwiftNIO's ByteBuffer, only in builds with the `NIO` trait (ByteBufferAlternative.swift).
    // The trait is tested beside canImport: a NIOCore module left in the build folder by an
    // earlier `--traits NIO` build can satisfy canImport in a build that does not link NIOCore.
    #if NIO && canImport(NIOCore)
        case byteBufferZeroed = "ByteBufferAllocator.buffer(capacity:)+writeRepeatingByte"
        case byteBufferUninitialized = "ByteBufferAllocator.buffer(capacity:)+writeWithUnsafeMutableBytes"
    #endif

    /// Whether the alternative hands out zero-filled bytes (the `alloc` scenarios' kind).
    var isZeroed: Bool {
        switch self {
        case .arrayRepeating, .rawBufferZeroed, .dataCount: return true
        case .arrayUninitialized, .rawBuffer, .dataCapacity: return false
        #if NIO && canImport(NIOCore)
            case .byteBufferZeroed: return true
            case .byteBufferUninitialized: return false
        #endif
        }
    }

    /// The alternatives measured for a scenario: zeroed ones for `alloc`, uninitialized ones
    /// for the unsafe forms, none for the `from-*` copies.
    static func measured(for scenario: BenchScenario) -> [SwiftAlternative] {
        switch scenario.form {
        case .alloc?, .ownedZeroed?: return allCases.filter(\.isZeroed)
        case .allocUnsafe?, .allocUnsafeSlow?, .ownedUninitialized?, .ownedUninitializedUnpooled?: return allCases.filter { !$0.isZeroed }
        case nil: return []
        }
    }

    /// `iterations` buffers of `size` bytes, timed on this thread's CPU clock.
    func run(size: Int, iterations: Int) -> SwiftLoops.Timing {
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        switch self {
        case .arrayRepeating:
            for index in 0..<iterations {
                let array = [UInt8](repeating: 0, count: size)
                sum &+= UInt64(array[index % size])
            }
        case .rawBufferZeroed, .rawBuffer:
            let zero = self == .rawBufferZeroed
            for index in 0..<iterations {
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
                if zero { buffer.initializeMemory(as: UInt8.self, repeating: 0) }
                buffer[index % size] = UInt8(truncatingIfNeeded: index)
                sum &+= UInt64(buffer[index % size])
                buffer.deallocate()
            }
        case .arrayUninitialized:
            for index in 0..<iterations {
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                let array = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                    buffer[index % size] = UInt8(truncatingIfNeeded: index)
                    initialized = size  // the benchmark's own uninitialized form, as users write it
                }
                sum &+= UInt64(array[index % size])
            }
        case .dataCount:
            for index in 0..<iterations {
                let data = Data(count: size)
                sum &+= UInt64(data[index % size])
            }
        case .dataCapacity:  // then one appended byte: Data has no uninitialized form of `size` bytes
            for index in 0..<iterations {
                var data = Data(capacity: size)
                data.append(UInt8(truncatingIfNeeded: index))
                sum &+= UInt64(data[0])
            }
        #if NIO && canImport(NIOCore)
            case .byteBufferZeroed, .byteBufferUninitialized:
                return Self.byteBuffers(zeroed: self == .byteBufferZeroed, size: size, iterations: iterations)
        #endif
        }
        return SwiftLoops.Timing(nanoseconds: threadCPUNanoseconds() - start, checksum: sum)
    }
}

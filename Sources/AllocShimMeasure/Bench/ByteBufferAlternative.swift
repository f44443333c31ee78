#if NIO && canImport(NIOCore)
import NIOCore

extension SwiftAlternative {
    /// SwiftNIO's `ByteBuffer` made as a NIO program makes one, `ByteBufferAllocator().buffer(capacity:)`
    /// (the process's `malloc`, like the other alternatives, plus the buffer's storage object),
    /// then holding `size` readable bytes of which one is read. NIO rounds the capacity up to a
    /// power of two (128 B for 100 B, 16 KiB for 10 KiB), which is part of its cost.
    ///
    /// Zeroed: `writeRepeatingByte(0, count: size)`, NIO's way to write `size` zeros.
    /// Uninitialized: `writeWithUnsafeMutableBytes(minimumWritableBytes: size)`, one byte written
    /// and `size` returned — NIO's way to fill a buffer yourself (a read(2) into it does the
    /// same), so it makes the same `size` readable bytes as `allocUnsafe` and `[UInt8]
    /// (unsafeUninitializedCapacity:)` without writing them. Not `moveWriterIndex(forwardBy:)`:
    /// its contract requires the bytes to be written already. Not `writeBytes` of `size` bytes:
    /// that copies them, the zeroed row's cost; nor of one byte (as `Data(capacity:)` + append
    /// must): that leaves one readable byte, not `size`.
    static func byteBuffers(zeroed: Bool, size: Int, iterations: Int) -> SwiftLoops.Timing {
        let allocator = ByteBufferAllocator()
        var sum: UInt64 = 0
        let start = threadCPUNanoseconds()
        if zeroed {
            for index in 0..<iterations {
                var buffer = allocator.buffer(capacity: size)
                buffer.writeRepeatingByte(0, count: size)
                sum &+= UInt64(buffer.getInteger(at: index % size, as: UInt8.self) ?? 0)
            }
        } else {
            for index in 0..<iterations {
                var buffer = allocator.buffer(capacity: size)
                // allocshim: uninitialized — benchmark of the uninitialized form itself: one byte is written and read per buffer, nothing else is read
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
                    bytes[index % size] = UInt8(truncatingIfNeeded: index)
                    return size
                }
                sum &+= UInt64(buffer.getInteger(at: index % size, as: UInt8.self) ?? 0)
            }
        }
        return SwiftLoops.Timing(nanoseconds: threadCPUNanoseconds() - start, checksum: sum)
    }
}
#endif

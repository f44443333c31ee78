@testable import AllocShim
import Testing

/// The process allocator's usable size of a block it made (jemalloc's when it is linked):
/// Swift objects come from the process `malloc`. Not in Glibc's module map (malloc.h).
@_silgen_name("malloc_usable_size")
private func processMallocUsableSize(_ pointer: UnsafeMutableRawPointer) -> Int

/// Hot values fit in registers (issue 12): a value of more than four words is returned
/// through memory and copied at every non-inlined level (measured: 24 of 39 ns of a 100-byte
/// `OwnedBytes` were store-forwarding stalls when it was 41 bytes).
@Suite("Buffer layout")
struct LayoutTests {
    @Test("OwnedBytes is at most four words")
    func ownedBytesFitsInRegisters() {
        #expect(MemoryLayout<OwnedBytes>.size <= 4 * MemoryLayout<Int>.size, "OwnedBytes is \(MemoryLayout<OwnedBytes>.size) bytes")
    }

    @Test("SharedBytes is at most four words")
    func sharedBytesFitsInRegisters() {
        #expect(MemoryLayout<SharedBytes>.size <= 4 * MemoryLayout<Int>.size, "SharedBytes is \(MemoryLayout<SharedBytes>.size) bytes")
    }

    /// Issue 23, item 1 (no false sharing): a slab's count is written by remote releases and
    /// by its owner's rewind; unpadded, the 48-byte object could share that line with a
    /// neighbouring slab of another thread.
    @Test("a slab's count sits on a cache line inside its own object")
    func slabCountOnItsOwnLine() throws {
        let pool = SlabPool(allocator: try BackendRegistry.allocator(.system), slabSize: 8192)
        let (_, slab) = try pool.cut(byteCount: 16)
        defer { Slab.releaseSlice(slab, slab._withUnsafeGuaranteedRef { $0.base }, byteCount: 16) }
        let layout = slab._withUnsafeGuaranteedRef { ($0.countOffset, processMallocUsableSize(slab.toOpaque())) }
        #expect(layout.0 == 64, "the count is at offset \(layout.0)")
        #expect(layout.1 >= 128, "the object has \(layout.1) usable bytes")
    }
}

import AllocShim
import Testing

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
}

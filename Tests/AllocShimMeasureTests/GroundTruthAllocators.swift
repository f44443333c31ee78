import AllocShim
import Synchronization

/// Test allocators whose reuse behaviour is known exactly, to validate the residue probe.
/// Blocks come from `system`; what differs is what a new request gets.
final class GroundTruthAllocator: Allocator, @unchecked Sendable {
    enum Behaviour {
        /// Hands back the block just freed, untouched.
        case returnsFreedBlock
        /// Always fresh zeroed memory.
        case freshZeroed
        /// Hands back the block just freed after writing 16 bytes of link words at its start.
        case overwritesFirst16Bytes
        /// Hands back the block just freed with its contents shifted by one byte.
        case shiftedCopy
        /// Hands back the block just freed filled with one constant byte.
        case constantFill(UInt8)
    }

    let name = "ground-truth"
    let naturalAlignment = 16
    let behaviour: Behaviour
    private var parked: (pointer: UnsafeMutableRawPointer, size: Int)?
    private let lock = Mutex(())
    private let counters = AllocationCounters()

    init(_ behaviour: Behaviour) { self.behaviour = behaviour }

    deinit {
        // The parked block is ours until handed out again (found by LeakSanitizer once ASan
        // could see `system` blocks).
        if let parked { SystemAllocator.shared.deallocate(parked.pointer, byteCount: parked.size) }
    }

    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        if case .freshZeroed = behaviour { return try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment) }
        if let block = parked, block.size == byteCount {
            parked = nil
            return block.pointer
        }
        return try SystemAllocator.shared.allocateUninitialized(byteCount: byteCount, alignment: alignment)
    }

    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError) -> UnsafeMutableRawPointer {
        let block = try allocateUninitialized(byteCount: byteCount, alignment: alignment)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        return block
    }

    func reallocate(_ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        try SystemAllocator.shared.reallocate(pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
    }

    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        switch behaviour {
        case .freshZeroed:
            SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
            return
        case .returnsFreedBlock:
            break
        case .overwritesFirst16Bytes:
            pointer.initializeMemory(as: UInt8.self, repeating: 0xEE, count: Swift.min(16, byteCount))
        case .shiftedCopy:
            (pointer + 1).copyMemory(from: pointer, byteCount: byteCount - 1)
        case .constantFill(let byte):
            pointer.initializeMemory(as: UInt8.self, repeating: byte, count: byteCount)
        }
        if let old = parked { SystemAllocator.shared.deallocate(old.pointer, byteCount: old.size) }
        parked = (pointer, byteCount)
    }

    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int { SystemAllocator.shared.usableSize(of: pointer) }
    func statistics() -> AllocatorStatistics { AllocatorStatistics(backend: name, counters: counters, source: "test") }
}

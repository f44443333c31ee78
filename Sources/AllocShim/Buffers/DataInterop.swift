#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Foundation `Data` without copying. The memory is freed into the allocator (or slab) that
// made it when the `Data` and every copy of it are gone.

extension OwnedBytes {
    /// Moves the bytes into a `Data` without copying; the `Data` frees them into their allocator.
    public consuming func moveIntoData() -> Data {
        let shared = share()
        return shared.dataSharingMemory()
    }
}

extension SharedBytes {
    /// A `Data` over this buffer's memory, **not a copy**: writes through the buffer show in
    /// the `Data`. The memory stays allocated until both are gone.
    ///
    /// Exception: Foundation stores very small contents (up to 14 bytes on 64-bit) inline in
    /// the `Data` value itself, so for those it copies and later writes do not show through.
    public func dataSharingMemory() -> Data {
        guard count > 0 else { return Data() }
        checkExposure(convertingTo: "Data")
        let storage = self.storage
        return Data(bytesNoCopy: baseAddress, count: count, deallocator: .custom { _, _ in withExtendedLifetime(storage) {} })
    }

    /// A `Data` holding a copy of the bytes.
    public func dataCopy() -> Data {
        checkExposure(convertingTo: "Data")
        return withUnsafeBytes { Data($0) }
    }
}

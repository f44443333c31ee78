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
        // Safe without `unsafe` in the name: the consumed buffer was the only owner, so the
        // `Data` is now the only way to reach the bytes.
        let shared = share()
        return shared.unsafeDataSharingMemory()
    }
}

extension SharedBytes {
    /// A `Data` over this buffer's memory, **not a copy**: writes through the buffer show in
    /// the `Data`. The memory stays allocated until both are gone.
    ///
    /// **Unsafe across isolation domains**: `Data` is `Sendable` and this buffer is not, so the
    /// compiler lets the `Data` go to another task while this buffer (or a copy of it) keeps
    /// writing the same bytes — a data race it cannot see. Keep the `Data` where the buffer is,
    /// or send a ``dataCopy()`` or an ``OwnedBytes/moveIntoData()`` instead.
    ///
    /// Exception: Foundation stores very small contents (up to 14 bytes on 64-bit) inline in
    /// the `Data` value itself, so for those it copies and later writes do not show through.
    public func unsafeDataSharingMemory() -> Data {
        guard count > 0 else { return Data() }
        checkExposure(convertingTo: "Data")
        let storage = self.storage
        return Data(bytesNoCopy: baseAddress, count: count, deallocator: .custom { _, _ in withExtendedLifetime(storage) {} })
    }

    /// Renamed: a `Sendable` `Data` aliasing non-`Sendable` bytes let safe code race on them.
    @available(*, unavailable, renamed: "unsafeDataSharingMemory()", message: "the Data aliases this buffer's bytes and is Sendable: use dataCopy() to send, or unsafeDataSharingMemory() within one isolation domain")
    public func dataSharingMemory() -> Data { unsafeDataSharingMemory() }

    /// A `Data` holding a copy of the bytes.
    public func dataCopy() -> Data {
        checkExposure(convertingTo: "Data")
        return withUnsafeBytes { Data($0) }
    }
}

import AllocShim
import CAllocShims
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// AddressSanitizer must see AllocShim's own memory (issue 11): before, a write past a pooled
/// buffer's end, and any overflow of a `system` block (reached through `__libc_malloc`, which
/// ASan does not intercept), went unreported. Each test overflows by one byte in a child
/// process and expects ASan's report. Runs only in `make test-asan` builds.
@Suite("AddressSanitizer sees AllocShim's blocks", .enabled(if: CAllocShims_address_sanitizer_enabled != 0))
struct AddressSanitizerVisibilityTests {
    @Test("one byte past a pooled SharedBytes is reported")
    func pooledOverflow() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let buffer = try SharedBytes.allocUnsafe(16, using: BufferSource.backend(.system))
            precondition(buffer.isPooled)
            buffer.withUnsafeMutableBytes { bytes in
                // Raw pointer arithmetic: the buffer pointer's own bounds check must not fire first.
                (bytes.baseAddress! + 16).storeBytes(of: 0x41, as: UInt8.self)
            }
        }
        #expect(reported(result, "AddressSanitizer: use-after-poison"))
    }

    @Test("a pooled slice is poisoned again once released")
    func pooledUseAfterRelease() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let source = try BufferSource.backend(.system)
            let keepSlabAlive = try SharedBytes.allocUnsafe(8, using: source)
            var address: UnsafeMutableRawPointer?
            do {
                let buffer = try SharedBytes.allocUnsafe(64, using: source)
                address = buffer.withUnsafeMutableBytes { $0.baseAddress }
            }
            address!.storeBytes(of: 0x41, as: UInt8.self)
            withExtendedLifetime(keepSlabAlive) {}
        }
        #expect(reported(result, "AddressSanitizer: use-after-poison"))
    }

    @Test("one byte past a system block is reported")
    func systemBlockOverflow() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let block = try BackendRegistry.allocator(.system).allocateUninitialized(byteCount: 100)
            (block + 100).storeBytes(of: 0x41, as: UInt8.self)
        }
        #expect(reported(result, "AddressSanitizer: heap-buffer-overflow"))
    }

    @Test("one byte past an unpooled OwnedBytes on system is reported")
    func ownedOverflow() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var owned = try OwnedBytes(uninitializedUnpooledCount: 100, using: BufferSource.backend(.system))
            owned.withUnsafeMutableBytes { bytes in (bytes.baseAddress! + 100).storeBytes(of: 0x41, as: UInt8.self) }
        }
        #expect(reported(result, "AddressSanitizer: heap-buffer-overflow"))
    }

    @Test("one byte past a jemalloc block is reported (jemalloc loaded beside ASan, see jemalloc_sanitizer.c)")
    func jemallocBlockOverflow() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("ALLOCSHIM_SANITIZER_JEMALLOC", "1", 1)  // before jemalloc is first looked for
            guard let jemalloc = JemallocAllocator.shared else {
                // Exits cleanly, so the expectation of a failure fails and says why.
                print("jemalloc could not be loaded beside ASan: is GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536 set?")
                exit(0)
            }
            let block = try jemalloc.allocateUninitialized(byteCount: 100)
            (block + 100).storeBytes(of: 0x41, as: UInt8.self)
        }
        #expect(reported(result, "AddressSanitizer: use-after-poison"))
    }

    @Test("one byte past an OwnedBytes on jemalloc, and a write after its release, are reported")
    func jemallocOwnedOverflowAndUseAfterFree() async {
        let overflow = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("ALLOCSHIM_SANITIZER_JEMALLOC", "1", 1)
            var owned = try OwnedBytes(uninitializedUnpooledCount: 100, using: BufferSource.backend(.jemalloc))
            owned.withUnsafeMutableBytes { bytes in (bytes.baseAddress! + 100).storeBytes(of: 0x41, as: UInt8.self) }
        }
        #expect(reported(overflow, "AddressSanitizer: use-after-poison"))
        let afterFree = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setenv("ALLOCSHIM_SANITIZER_JEMALLOC", "1", 1)
            let jemalloc = try BackendRegistry.allocator(.jemalloc)
            let block = try jemalloc.allocateUninitialized(byteCount: 64)
            jemalloc.deallocate(block, byteCount: 64)
            block.storeBytes(of: 0x41, as: UInt8.self)
        }
        #expect(reported(afterFree, "AddressSanitizer: use-after-poison"))
    }

    @Test("in-bounds use of pooled buffers is not reported")
    func inBoundsIsQuiet() throws {
        let source = try BufferSource.backend(.system)
        var buffers: [SharedBytes] = []
        for size in [1, 7, 8, 9, 100, 1000, 4095] {
            let buffer = try SharedBytes.allocUnsafe(size, using: source)
            try buffer.fill(.byte(0x33))
            buffers.append(buffer)
        }
        #expect(buffers.allSatisfy { $0.allSatisfy { $0 == 0x33 } })
    }
}

/// Whether the child's standard error holds ASan's report `kind`.
private func reported(_ result: ExitTest.Result?, _ kind: String) -> Bool {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self).contains(kind)
}

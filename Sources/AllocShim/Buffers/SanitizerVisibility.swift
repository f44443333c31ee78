import CAllocShims

/// Makes memory that AllocShim hands out itself (pool slices) visible to AddressSanitizer.
///
/// ASan knows the blocks its interceptors made, not how a pool cuts them: a write past a
/// pooled buffer's end would land in its neighbour unreported. So, in ASan builds, a slab
/// is poisoned when made, each slice is unpoisoned exactly when handed out and poisoned
/// again when released. In other builds the flag is a constant 0 and this costs one load.
enum SanitizerVisibility {
    @inline(__always)
    static func handOut(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        if CAllocShims_address_sanitizer_enabled != 0 { CAllocShims_sanitizer_unpoison(pointer, byteCount) }
    }

    @inline(__always)
    static func takeBack(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        if CAllocShims_address_sanitizer_enabled != 0 { CAllocShims_sanitizer_poison(pointer, byteCount) }
    }
}

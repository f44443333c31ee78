// Direct allocation paths for the built-in backends, used by buffers on their hot path.
//
// A buffer that goes through the Swift `Allocator` existential pays reference counting on
// the allocator object at allocation and release (profiled: with the source's own reference
// counting, 45% of a 100-byte buffer's time). A CAllocShims_FastPath is a plain 16-byte value naming the backend's C calls and its
// counter slot, so a buffer can keep it inline and release without touching any object.
// Only for natural alignment (buffers never ask for more). Counters are recorded exactly as
// the Swift backends record them.
#ifndef CALLOCSHIMS_FAST_PATH_H
#define CALLOCSHIMS_FAST_PATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CAllocShims_fast_platform = 1,  // glibc through __libc_* (the `system` backend)
    CAllocShims_fast_jemalloc = 2,  // mallocx/sdallocx with `detail` as the flags
    CAllocShims_fast_table = 3,     // a loaded allocator; `detail` is its CAllocShims_DynamicAllocator*
};

typedef struct CAllocShims_FastPath {
    int32_t kind;
    int32_t counter_slot;  // a reserved counter slot (>= 0)
    uintptr_t detail;
} CAllocShims_FastPath;

/// `size` bytes (at least 1), zeroed when `zeroed` is non-zero; NULL when out of memory.
void *CAllocShims_fast_allocate(CAllocShims_FastPath path, size_t size, int zeroed);
/// Releases a block from CAllocShims_fast_allocate with the size it was asked for.
void CAllocShims_fast_deallocate(CAllocShims_FastPath path, void *pointer, size_t size);

#ifdef __cplusplus
}
#endif

#endif

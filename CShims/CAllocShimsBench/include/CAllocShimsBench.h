// Raw C allocation loops: the baseline the benchmarks compare the Swift layer against. A target
// of its own (CAllocShimsBench), used only by AllocShimMeasure: embedders never link it.
#ifndef CALLOCSHIMS_BASELINE_H
#define CALLOCSHIMS_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "CAllocShimsThreads.h"  // the C form of the thread sweep

#ifdef __cplusplus
extern "C" {
#endif

/// Which allocator the loop calls, directly (no Swift, no shim counters).
typedef enum CAllocShims_BaselineBackend {
    CAllocShims_BaselineSystem = 0,        // __libc_malloc / __libc_calloc / __libc_free
    CAllocShims_BaselineJemalloc = 1,      // mallocx / mallocx(MALLOCX_ZERO) / sdallocx
    CAllocShims_BaselineJemallocArena = 2, // the same with MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE
    CAllocShims_BaselineMimalloc = 3,      // mi_malloc / mi_calloc / mi_free
    CAllocShims_BaselineTcmalloc = 4,      // tc_malloc / tc_calloc / tc_free
} CAllocShims_BaselineBackend;

/// What each iteration does.
typedef enum CAllocShims_BaselineOperation {
    CAllocShims_BaselineUninitialized = 0, // allocate, write one byte, read it back, free
    CAllocShims_BaselineZeroed = 1,        // zeroed allocate, read one byte, free
    CAllocShims_BaselineCopy = 2,          // allocate, memcpy `size` bytes from a source, free
} CAllocShims_BaselineOperation;

/// Runs `iterations` of `operation` on blocks of `size` bytes. Each iteration writes a byte
/// derived from the loop index and adds a byte of the block to `*checksum`, so the compiler
/// cannot remove the allocation. `arena` is the jemalloc arena index for
/// CAllocShims_BaselineJemallocArena (ignored otherwise). Returns 0, ENOENT when the backend
/// is not available, ENOMEM when an allocation fails, EINVAL for bad arguments.
int CAllocShims_baseline_run(int backend, int operation, size_t size, size_t iterations, unsigned arena,
                             uint64_t *elapsed_ns, uint64_t *checksum);

#ifdef __cplusplus
}
#endif

#endif

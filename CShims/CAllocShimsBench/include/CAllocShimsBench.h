// Raw C allocation loops: the baseline the benchmarks compare the Swift layer against. A target
// of its own (CAllocShimsBench), used only by AllocShimMeasure: embedders never link it.
#ifndef CALLOCSHIMS_BASELINE_H
#define CALLOCSHIMS_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "CAllocShimsBackendCalls.h"
#include "CAllocShimsThreads.h"  // the C form of the thread sweep

#ifdef __cplusplus
extern "C" {
#endif

/// What each iteration does.
typedef enum CAllocShims_BaselineOperation {
    CAllocShims_BaselineUninitialized = 0, // allocate, write one byte, read it back, free
    CAllocShims_BaselineZeroed = 1,        // zeroed allocate, read one byte, free
    CAllocShims_BaselineCopy = 2,          // allocate, memcpy `size` bytes from a source, free
} CAllocShims_BaselineOperation;

/// Runs `iterations` of `operation` on blocks of `size` bytes through `calls` — the backend's
/// own value, so the loop does the library's work (its aligned-path rule, jemalloc's flags,
/// tcmalloc's sized free) minus the Swift layer, the shim counters and the pools. Blocks are
/// byte-aligned, as buffers ask. Each iteration writes a byte derived from the loop index and
/// adds a byte of the block to `*checksum`, so the compiler cannot remove the allocation.
/// Returns 0, ENOMEM when an allocation fails, EINVAL for bad arguments.
int CAllocShims_baseline_run(CAllocShims_BackendCalls calls, int operation, size_t size, size_t iterations,
                             uint64_t *elapsed_ns, uint64_t *checksum);

#ifdef __cplusplus
}
#endif

#endif

// The benchmark's baseline: the backend's own calls (CAllocShimsBackendCalls.h, the value its
// Swift allocator and buffers call through) in a plain C loop, so the cost of the Swift layer
// on top (nsPerOp / cNsPerOp) is visible. Each loop keeps every allocation
// observable — it writes a byte derived from the index and folds a byte into a checksum — so
// the optimizer cannot pair malloc with free and delete both.
#define _GNU_SOURCE
#include "CAllocShimsBench.h"
#include "CAllocShims.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

/// Buffers ask for byte alignment (RegionMaker); so does the loop, so both take the same path.
enum { buffer_alignment = 1 };

int CAllocShims_baseline_run(CAllocShims_BackendCalls calls, int operation, size_t size, size_t iterations,
                             uint64_t *elapsed_ns, uint64_t *checksum) {
    if (size == 0 || elapsed_ns == NULL || checksum == NULL || operation < 0 || operation > 2) return EINVAL;
    int status = 0;
    unsigned char *source = NULL;
    if (operation == CAllocShims_BaselineCopy) {
        source = CAllocShims_platform_malloc(size);
        if (source == NULL) return ENOMEM;
        memset(source, 'a', size);
    }
    uint64_t sum = 0;
    uint64_t start = now_ns();
    for (size_t index = 0; index < iterations; index++) {
        unsigned char *block = CAllocShims_backend_allocate(calls, size, buffer_alignment, operation == CAllocShims_BaselineZeroed);
        if (block == NULL) {
            status = ENOMEM;
            break;
        }
        switch (operation) {
        case CAllocShims_BaselineUninitialized:
            block[index % size] = (unsigned char)index;
            break;
        case CAllocShims_BaselineCopy:
            memcpy(block, source, size);
            break;
        default:
            break;
        }
        sum += block[index % size];
        CAllocShims_backend_deallocate(calls, block, size, buffer_alignment);
    }
    *elapsed_ns = now_ns() - start;
    *checksum = sum;
    if (source != NULL) CAllocShims_platform_free(source);
    return status;
}

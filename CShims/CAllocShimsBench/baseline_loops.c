// The benchmark's baseline: the allocator's own calls in a plain C loop, so the cost of the
// Swift layer on top (nsPerOp / cNsPerOp) is visible. Each loop keeps every allocation
// observable — it writes a byte derived from the index and folds a byte into a checksum — so
// the optimizer cannot pair malloc with free and delete both.
#define _GNU_SOURCE
#include "CAllocShimsBench.h"
#include "CAllocShims.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Calls {
    void *(*allocate)(size_t size, int zeroed, int flags);
    void (*release)(void *pointer, size_t size, int flags);
    int flags;
} Calls;

static const CAllocShims_DynamicAllocator *dynamic_table;

static void *system_allocate(size_t size, int zeroed, int flags) {
    (void)flags;
    return zeroed ? CAllocShims_platform_calloc(1, size) : CAllocShims_platform_malloc(size);
}
static void system_release(void *pointer, size_t size, int flags) {
    (void)size; (void)flags;
    CAllocShims_platform_free(pointer);
}
static void *jemalloc_allocate(size_t size, int zeroed, int flags) {
    return CAllocShims_jemalloc_mallocx(size, zeroed ? flags | CAllocShims_MALLOCX_ZERO() : flags);
}
static void jemalloc_release(void *pointer, size_t size, int flags) {
    CAllocShims_jemalloc_sdallocx(pointer, size, flags);
}
static void *dynamic_allocate(size_t size, int zeroed, int flags) {
    (void)flags;
    return zeroed ? dynamic_table->calloc(1, size) : dynamic_table->malloc(size);
}
static void dynamic_release(void *pointer, size_t size, int flags) {
    (void)size; (void)flags;
    dynamic_table->free(pointer);
}

static uint64_t now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

static int select_calls(int backend, unsigned arena, Calls *calls) {
    char error[256];
    switch (backend) {
    case CAllocShims_BaselineSystem:
        *calls = (Calls){system_allocate, system_release, 0};
        return 0;
    case CAllocShims_BaselineJemalloc:
    case CAllocShims_BaselineJemallocArena: {
        if (!CAllocShims_jemalloc_is_linked()) return ENOENT;
        int flags = 0;
        if (backend == CAllocShims_BaselineJemallocArena) {
            if (CAllocShims_jemalloc_arena_flags(arena, &flags) != 0) return EINVAL;
            flags |= CAllocShims_MALLOCX_TCACHE_NONE();
        }
        *calls = (Calls){jemalloc_allocate, jemalloc_release, flags};
        return 0;
    }
    case CAllocShims_BaselineMimalloc:
    case CAllocShims_BaselineTcmalloc:
        // One table at a time: a run is single-threaded and sets it before its loop.
        dynamic_table = backend == CAllocShims_BaselineMimalloc ? CAllocShims_load_mimalloc(error, sizeof error)
                                                                : CAllocShims_load_tcmalloc(error, sizeof error);
        if (dynamic_table == NULL) return ENOENT;
        *calls = (Calls){dynamic_allocate, dynamic_release, 0};
        return 0;
    default:
        return EINVAL;
    }
}

int CAllocShims_baseline_run(int backend, int operation, size_t size, size_t iterations, unsigned arena,
                             uint64_t *elapsed_ns, uint64_t *checksum) {
    if (size == 0 || elapsed_ns == NULL || checksum == NULL || operation < 0 || operation > 2) return EINVAL;
    Calls calls;
    int status = select_calls(backend, arena, &calls);
    if (status != 0) return status;
    unsigned char *source = NULL;
    if (operation == CAllocShims_BaselineCopy) {
        source = CAllocShims_platform_malloc(size);
        if (source == NULL) return ENOMEM;
        memset(source, 'a', size);
    }
    uint64_t sum = 0;
    uint64_t start = now_ns();
    for (size_t index = 0; index < iterations; index++) {
        unsigned char *block = calls.allocate(size, operation == CAllocShims_BaselineZeroed, calls.flags);
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
        calls.release(block, size, calls.flags);
    }
    *elapsed_ns = now_ns() - start;
    *checksum = sum;
    if (source != NULL) CAllocShims_platform_free(source);
    return status;
}

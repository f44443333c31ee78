// Direct allocation paths for buffers (see CAllocShimsFastPath.h).
#include "CAllocShimsFastPath.h"
#include "CAllocShims.h"
#include "CAllocShimsCounters.h"

void *CAllocShims_fast_allocate(CAllocShims_FastPath path, size_t requested, int zeroed) {
    size_t size = requested == 0 ? 1 : requested;  // a unique block, as the Swift backends do
    void *block = NULL;
    switch (path.kind) {
    case CAllocShims_fast_platform:
        block = zeroed ? CAllocShims_platform_calloc(1, size) : CAllocShims_platform_malloc(size);
        break;
    case CAllocShims_fast_jemalloc: {
        int flags = (int)path.detail;
        block = CAllocShims_jemalloc_mallocx(size, zeroed ? flags | CAllocShims_MALLOCX_ZERO() : flags);
        break;
    }
    case CAllocShims_fast_table: {
        const CAllocShims_DynamicAllocator *table = (const CAllocShims_DynamicAllocator *)path.detail;
        block = zeroed ? table->calloc(1, size) : table->malloc(size);
        break;
    }
    default:
        return NULL;
    }
    if (block) CAllocShims_counter_record_allocation(path.counter_slot, (int64_t)requested);
    return block;
}

void CAllocShims_fast_deallocate(CAllocShims_FastPath path, void *pointer, size_t requested) {
    size_t size = requested == 0 ? 1 : requested;
    switch (path.kind) {
    case CAllocShims_fast_platform:
        CAllocShims_platform_free(pointer);
        break;
    case CAllocShims_fast_jemalloc:
        CAllocShims_jemalloc_sdallocx(pointer, size, (int)path.detail);
        break;
    case CAllocShims_fast_table: {
        const CAllocShims_DynamicAllocator *table = (const CAllocShims_DynamicAllocator *)path.detail;
        if (table->free_sized) table->free_sized(pointer, size); else table->free(pointer);
        break;
    }
    default:
        return;
    }
    CAllocShims_counter_record_deallocation(path.counter_slot, (int64_t)requested);
}

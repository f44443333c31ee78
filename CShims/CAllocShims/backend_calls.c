// The out-of-line calls of CAllocShimsBackendCalls.h: aligned blocks, resizing, usable size.
#include "CAllocShimsBackendCalls.h"

static const CAllocShims_Jemalloc *jemalloc(CAllocShims_BackendCalls calls) { return calls.table; }
static const CAllocShims_DynamicAllocator *loaded(CAllocShims_BackendCalls calls) { return calls.table; }

void *CAllocShims_backend_allocate_aligned(CAllocShims_BackendCalls calls, size_t size, size_t alignment, int zeroed) {
    void *block = NULL;
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        block = CAllocShims_platform_aligned_alloc(alignment, size);  // glibc has no aligned calloc
        break;
    case CAllocShims_BackendJemalloc: {
        int flags = calls.flags | CAllocShims_MALLOCX_ALIGN(alignment);
        return jemalloc(calls)->mallocx(size, zeroed ? flags | CAllocShims_JEMALLOC_ZERO : flags);
    }
    case CAllocShims_BackendTable: {
        const CAllocShims_DynamicAllocator *table = loaded(calls);
        if (zeroed && table->aligned_zalloc) return table->aligned_zalloc(size, alignment);
        block = table->aligned_alloc(alignment, size);  // tcmalloc has no aligned calloc
        break;
    }
    default:
        return NULL;
    }
    if (block && zeroed) memset(block, 0, size);
    return block;
}

void CAllocShims_backend_deallocate_aligned(CAllocShims_BackendCalls calls, void *pointer, size_t size, size_t alignment) {
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        CAllocShims_platform_free(pointer);
        break;
    case CAllocShims_BackendJemalloc:
        // The alignment flag is part of the block's identity: sdallocx recomputes the size
        // class from (size, flags).
        jemalloc(calls)->sdallocx(pointer, size, calls.flags | CAllocShims_MALLOCX_ALIGN(alignment));
        break;
    case CAllocShims_BackendTable:
        // Sized free needs the block's exact size class, which only plain blocks have.
        loaded(calls)->free(pointer);
        break;
    default:
        break;
    }
}

/// Allocate, copy, release: for allocators whose realloc would lose what the block's release
/// relies on.
static void *reallocate_by_copy(CAllocShims_BackendCalls calls, void *pointer, size_t old_size, size_t new_size, size_t alignment) {
    void *block = CAllocShims_backend_allocate(calls, new_size, alignment, 0);
    if (block == NULL) return NULL;
    memcpy(block, pointer, old_size < new_size ? old_size : new_size);
    CAllocShims_backend_deallocate(calls, pointer, old_size, alignment);
    return block;
}

void *CAllocShims_backend_reallocate(CAllocShims_BackendCalls calls, void *pointer, size_t old_size, size_t new_size, size_t alignment) {
    int aligned = CAllocShims_backend_needs_aligned_path(old_size, alignment) || CAllocShims_backend_needs_aligned_path(new_size, alignment);
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        // realloc would not keep an alignment beyond malloc's.
        return aligned ? reallocate_by_copy(calls, pointer, old_size, new_size, alignment) : CAllocShims_platform_realloc(pointer, new_size);
    case CAllocShims_BackendJemalloc: {
        // rallocx keeps the alignment flag, so aligned blocks are resized in place where it can.
        int flags = calls.flags;
        if (CAllocShims_backend_needs_aligned_path(new_size, alignment)) flags |= CAllocShims_MALLOCX_ALIGN(alignment);
        return jemalloc(calls)->rallocx(pointer, new_size, flags);
    }
    case CAllocShims_BackendTable: {
        const CAllocShims_DynamicAllocator *table = loaded(calls);
        // tc_realloc keeps a block in place when it shrinks to at least half, so the block would
        // keep its old size class while its owner knows only the new size, and a later
        // tc_free_sized(block, new) would file it under a smaller class. Growing is safe: the
        // block moves, or stays because the new size still fits the class, which is then the
        // new size's class too. So: shrink by copy wherever release is sized.
        if (aligned || (table->free_sized && new_size < old_size)) {
            return reallocate_by_copy(calls, pointer, old_size, new_size, alignment);
        }
        return table->realloc(pointer, new_size);
    }
    default:
        return NULL;
    }
}

size_t CAllocShims_backend_usable_size(CAllocShims_BackendCalls calls, void *pointer) {
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        return CAllocShims_platform_usable_size(pointer);
    case CAllocShims_BackendJemalloc:
        return jemalloc(calls)->sallocx(pointer, calls.flags);
    case CAllocShims_BackendTable:
        return loaded(calls)->usable_size(pointer);
    default:
        return 0;
    }
}

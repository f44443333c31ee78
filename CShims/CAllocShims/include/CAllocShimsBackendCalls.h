// A built-in backend as one plain value: which C allocator's table to call, and how.
//
// `system`, `jemalloc`, `jemalloc-arena`, `mimalloc` and `tcmalloc` differ only in these calls;
// everything else (validation, out-of-memory errors, counting) is one generic Swift path
// (Sources/AllocShim/Backends/BackendCalls.swift) that both the `Allocator` objects and the
// buffers use. Buffers keep the value inline, so releasing one touches no object.
//
// The aligned-path rule lives here once: plain malloc guarantees its natural alignment (16) only
// for blocks of at least that size (jemalloc and tcmalloc serve an 8-byte request from an 8-byte
// class), so a request takes the aligned entry point when it asks for more than the natural
// alignment, or for more than 8 on a block smaller than its alignment. The rule depends only on
// (size, alignment), so allocation and sized release always agree on the path.
#ifndef CALLOCSHIMS_BACKEND_CALLS_H
#define CALLOCSHIMS_BACKEND_CALLS_H

#include "CAllocShims.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum CAllocShims_BackendKind {
    CAllocShims_BackendPlatform = 1,  // glibc through __libc_* (`system`); `table` is NULL
    CAllocShims_BackendJemalloc = 2,  // the mallocx family; `table` is CAllocShims_jemalloc_table()
    CAllocShims_BackendTable = 3,     // a loaded library; `table` is its CAllocShims_DynamicAllocator
} CAllocShims_BackendKind;

typedef struct CAllocShims_BackendCalls {
    int32_t kind;       // a CAllocShims_BackendKind
    int32_t flags;      // jemalloc: the flags of every call (arena, thread cache); 0 otherwise
    const void *table;  // see CAllocShims_BackendKind: valid for the life of the process
} CAllocShims_BackendCalls;

static inline int CAllocShims_backend_needs_aligned_path(size_t size, size_t alignment) {
    size_t natural = _Alignof(max_align_t);
    return alignment > natural || (alignment > 8 && size < alignment);
}

/// The aligned and the less common paths, out of line (backend_calls.c).
void *CAllocShims_backend_allocate_aligned(CAllocShims_BackendCalls calls, size_t size, size_t alignment, int zeroed);
void CAllocShims_backend_deallocate_aligned(CAllocShims_BackendCalls calls, void *pointer, size_t size, size_t alignment);
/// Resizes a block, keeping min(old, new) bytes; NULL when out of memory (the old block is
/// then untouched). Moves by copy where the allocator's realloc would break the block's
/// alignment or (tcmalloc) its sized free.
void *CAllocShims_backend_reallocate(CAllocShims_BackendCalls calls, void *pointer, size_t old_size, size_t new_size, size_t alignment);
/// The usable bytes of a live block (≥ its size).
size_t CAllocShims_backend_usable_size(CAllocShims_BackendCalls calls, void *pointer);

/// `size` bytes (callers pass at least 1) at `alignment` (a power of two), zeroed when
/// `zeroed` is non-zero; NULL when out of memory. Inline: a buffer's hot path.
static inline void *CAllocShims_backend_allocate(CAllocShims_BackendCalls calls, size_t size, size_t alignment, int zeroed) {
    if (__builtin_expect(CAllocShims_backend_needs_aligned_path(size, alignment), 0)) {
        return CAllocShims_backend_allocate_aligned(calls, size, alignment, zeroed);
    }
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        return zeroed ? CAllocShims_platform_calloc(1, size) : CAllocShims_platform_malloc(size);
    case CAllocShims_BackendJemalloc:
        return ((const CAllocShims_Jemalloc *)calls.table)->mallocx(size, zeroed ? calls.flags | CAllocShims_JEMALLOC_ZERO : calls.flags);
    case CAllocShims_BackendTable: {
        const CAllocShims_DynamicAllocator *table = (const CAllocShims_DynamicAllocator *)calls.table;
        return zeroed ? table->calloc(1, size) : table->malloc(size);
    }
    default:
        return NULL;
    }
}

/// Releases a block with the size and alignment it was allocated (or last resized) with.
static inline void CAllocShims_backend_deallocate(CAllocShims_BackendCalls calls, void *pointer, size_t size, size_t alignment) {
    if (__builtin_expect(CAllocShims_backend_needs_aligned_path(size, alignment), 0)) {
        CAllocShims_backend_deallocate_aligned(calls, pointer, size, alignment);
        return;
    }
    switch (calls.kind) {
    case CAllocShims_BackendPlatform:
        CAllocShims_platform_free(pointer);  // glibc has no sized free
        break;
    case CAllocShims_BackendJemalloc:
        ((const CAllocShims_Jemalloc *)calls.table)->sdallocx(pointer, size, calls.flags);
        break;
    case CAllocShims_BackendTable: {
        const CAllocShims_DynamicAllocator *table = (const CAllocShims_DynamicAllocator *)calls.table;
        if (table->free_sized) table->free_sized(pointer, size); else table->free(pointer);
        break;
    }
    default:
        break;
    }
}

#ifdef __cplusplus
}
#endif

#endif

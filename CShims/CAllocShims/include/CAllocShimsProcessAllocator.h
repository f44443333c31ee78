// The process allocator — whichever library `malloc` resolves to in this process (glibc,
// a linked or preloaded jemalloc, a preloaded mimalloc, tcmalloc or Scudo) — identified by
// symbol lookup, and asked to return its free memory to the operating system.
// See process_allocator.c.
#ifndef CALLOCSHIMS_PROCESS_ALLOCATOR_H
#define CALLOCSHIMS_PROCESS_ALLOCATOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which allocator family the process's `malloc` belongs to.
typedef enum CAllocShims_ProcessAllocatorKind {
    CAllocShims_ProcessAllocatorUnknown = 0,
    CAllocShims_ProcessAllocatorGlibc = 1,
    CAllocShims_ProcessAllocatorJemalloc = 2,
    CAllocShims_ProcessAllocatorMimalloc = 3,
    CAllocShims_ProcessAllocatorTcmalloc = 4,
    CAllocShims_ProcessAllocatorScudo = 5,
} CAllocShims_ProcessAllocatorKind;

/// The family of the object that defines the `malloc` this process calls (dlsym(RTLD_DEFAULT)
/// then dladdr). Writes that object's path into `path` (may be NULL) and returns the family.
CAllocShims_ProcessAllocatorKind CAllocShims_process_allocator(char *path, size_t length);

/// Asks the process allocator to return free memory to the OS: glibc malloc_trim(0), jemalloc
/// mallctl("arena.<all>.purge"), mimalloc mi_collect(true), tcmalloc
/// MallocExtension_ReleaseFreeMemory(), Scudo mallopt(M_PURGE). Returns the family it asked,
/// or CAllocShims_ProcessAllocatorUnknown (nothing called) when the entry point is missing.
/// `*status` (may be NULL) gets the call's own result where it has one (0 otherwise).
CAllocShims_ProcessAllocatorKind CAllocShims_process_allocator_release_free_memory(int *status);

#ifdef __cplusplus
}
#endif

#endif

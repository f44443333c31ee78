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

/// An allocator family: the C side of Swift's `ProcessAllocator.Family`, the one family type
/// (a backend's, a preloaded library's, the process `malloc`'s).
typedef enum CAllocShims_AllocatorFamily {
    CAllocShims_AllocatorFamilyUnknown = 0,
    CAllocShims_AllocatorFamilyGlibc = 1,
    CAllocShims_AllocatorFamilyJemalloc = 2,
    CAllocShims_AllocatorFamilyMimalloc = 3,
    CAllocShims_AllocatorFamilyTcmalloc = 4,
    CAllocShims_AllocatorFamilyScudo = 5,
} CAllocShims_AllocatorFamily;

/// The shared-library names a family's allocator is found under, preferred first,
/// NULL-terminated (empty for glibc and unknown: nothing to load). The one soname table: the
/// dlopen loaders (mimalloc, tcmalloc; jemalloc beside ASan), `allocshim run`'s LD_PRELOAD and
/// the residue table's preloaded rows all read it. Scudo's name carries this machine's
/// architecture, as LLVM names it.
const char *const *CAllocShims_allocator_family_sonames(CAllocShims_AllocatorFamily family);

/// The family a library belongs to, by its file name (`path` may be a bare name or a path;
/// NULL is unknown): glibc for libc.so*, the allocator whose name it contains otherwise.
CAllocShims_AllocatorFamily CAllocShims_allocator_family_of_path(const char *path);

/// The family of the object that defines the `malloc` this process calls (dlsym(RTLD_DEFAULT)
/// then dladdr). Writes that object's path into `path` (may be NULL) and returns the family.
CAllocShims_AllocatorFamily CAllocShims_process_allocator(char *path, size_t length);

/// Asks the process allocator to return free memory to the OS: glibc malloc_trim(0), jemalloc
/// mallctl("arena.<all>.purge"), mimalloc mi_collect(true), tcmalloc
/// MallocExtension_ReleaseFreeMemory(), Scudo mallopt(M_PURGE). Returns the family it asked,
/// or CAllocShims_AllocatorFamilyUnknown (nothing called) when the entry point is missing.
/// `*status` (may be NULL) gets the call's own result where it has one (0 otherwise).
CAllocShims_AllocatorFamily CAllocShims_process_allocator_release_free_memory(int *status);

#ifdef __cplusplus
}
#endif

#endif

// CAllocShims — the C side of AllocShim. Knows no Swift.
//
// Each .c file in this folder opens with a line saying what it holds (`head -1 *.c`); the
// benchmark's C loops live in CShims/CAllocShimsBench, linked only by the measurement layer.
// (A file list here went stale as files came and went.)
//
// Every function is prefixed `CAllocShims_`, takes and returns plain C types, and never
// aborts: failures are reported as NULL / a non-zero errno-style code.
#ifndef CALLOCSHIMS_H
#define CALLOCSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The cache line per-thread bookkeeping is laid out on (x86-64 and most arm64 cores: 64 bytes;
/// Apple's arm64 cores have 128-byte lines, where two 64-byte tables can still meet).
enum { CAllocShims_cache_line_size = 64 };

// MARK: - Platform allocator (glibc here; musl or macOS libc elsewhere)

/// Largest alignment the platform's plain malloc guarantees (alignof(max_align_t)).
size_t CAllocShims_platform_malloc_alignment(void);
void *CAllocShims_platform_malloc(size_t size);
void *CAllocShims_platform_calloc(size_t count, size_t size);
void *CAllocShims_platform_realloc(void *pointer, size_t size);
void CAllocShims_platform_free(void *pointer);
/// Aligned allocation, freed with CAllocShims_platform_free. `alignment` is a power of two.
void *CAllocShims_platform_aligned_alloc(size_t alignment, size_t size);
/// The platform allocator's own usable size, even when malloc_usable_size is jemalloc's.
size_t CAllocShims_platform_usable_size(void *pointer);
/// Returns memory to the OS where the platform can (glibc malloc_trim). 1 when something was released.
int CAllocShims_platform_trim(void);

/// glibc's mallinfo2 figures, in bytes. Returns 0 when the platform has no mallinfo2.
typedef struct CAllocShims_PlatformHeapInfo {
    size_t arena;      // bytes obtained with sbrk
    size_t mmapped;    // bytes in mmapped chunks
    size_t in_use;     // bytes in allocated chunks (uordblks)
    size_t free_bytes; // bytes in free chunks (fordblks)
    size_t releasable; // top-most releasable chunk (keepcost)
} CAllocShims_PlatformHeapInfo;
int CAllocShims_platform_heap_info(CAllocShims_PlatformHeapInfo *info);
/// Name and version of the C library, e.g. "glibc 2.36"; writes into buffer, returns it.
const char *CAllocShims_platform_library_version(char *buffer, size_t length);

// MARK: - jemalloc: a table of calls, linked, loaded under ASan, or absent

/// jemalloc's calls, as the loaded allocators' are a table (CAllocShims_DynamicAllocator):
/// valid for the life of the process. The allocating entries (mallocx, rallocx) give failure
/// injection its say first.
typedef struct CAllocShims_Jemalloc {
    void *(*mallocx)(size_t size, int flags);
    void *(*rallocx)(void *pointer, size_t size, int flags);
    void (*dallocx)(void *pointer, int flags);
    void (*sdallocx)(void *pointer, size_t size, int flags);
    size_t (*nallocx)(size_t size, int flags);
    size_t (*sallocx)(const void *pointer, int flags);
    int (*mallctl)(const char *name, void *old_value, size_t *old_length, void *new_value, size_t new_length);
    int (*mallctlnametomib)(const char *name, size_t *mib, size_t *mib_length);
    int (*mallctlbymib)(const size_t *mib, size_t mib_length, void *old_value, size_t *old_length,
                        void *new_value, size_t new_length);
} CAllocShims_Jemalloc;

/// jemalloc's table, or NULL when this process has none. With the package trait Jemalloc it
/// is the linked library (the process's malloc too); without it, NULL — except under
/// AddressSanitizer, where libjemalloc.so.2 is loaded with dlopen(RTLD_LOCAL) when
/// ALLOCSHIM_SANITIZER_JEMALLOC=1 is set before first use (jemalloc_sanitizer.c). Thread-safe.
const CAllocShims_Jemalloc *CAllocShims_jemalloc_table(void);
/// 1 when CAllocShims_jemalloc_table() has a table (linked, or loaded beside ASan), 0 otherwise.
int CAllocShims_jemalloc_is_linked(void);
/// The mallctl family through the table; they return 0 or an errno value (ENOENT when jemalloc is absent).
int CAllocShims_jemalloc_mallctl(const char *name, void *old_value, size_t *old_length,
                                 void *new_value, size_t new_length);
int CAllocShims_jemalloc_mallctlnametomib(const char *name, size_t *mib, size_t *mib_length);
int CAllocShims_jemalloc_mallctlbymib(const size_t *mib, size_t mib_length, void *old_value,
                                      size_t *old_length, void *new_value, size_t new_length);

/// MALLOCX_ZERO: jemalloc 5's encodings are part of its stable ABI (jemalloc/jemalloc.h), so
/// they are written once, whether jemalloc is linked, loaded or absent; jemalloc_shims.c checks
/// them against the header where it is linked.
enum { CAllocShims_JEMALLOC_ZERO = 0x40 };
/// MALLOCX_LG_ALIGN(lg), MALLOCX_ALIGN(alignment), MALLOCX_ZERO, MALLOCX_TCACHE(tc) and
/// MALLOCX_TCACHE_NONE, which Swift cannot import as macros.
int CAllocShims_MALLOCX_LG_ALIGN(unsigned lg_alignment);
int CAllocShims_MALLOCX_ALIGN(size_t alignment);
int CAllocShims_MALLOCX_ZERO(void);
int CAllocShims_MALLOCX_TCACHE(int tcache);
int CAllocShims_MALLOCX_TCACHE_NONE(void);
/// MALLOCX_ARENA(arena) without its signed-shift overflow: writes the flags and returns 0,
/// or returns EINVAL when `arena` is above CAllocShims_jemalloc_arena_index_limit() (the
/// largest index the flags' 12-bit arena field can carry; jemalloc never creates more).
int CAllocShims_jemalloc_arena_flags(unsigned arena, int *flags);
/// 4094: the largest arena index MALLOCX_ARENA can encode.
unsigned CAllocShims_jemalloc_arena_index_limit(void);
/// MALLCTL_ARENAS_ALL and MALLCTL_ARENAS_DESTROYED.
unsigned CAllocShims_MALLCTL_ARENAS_ALL(void);
unsigned CAllocShims_MALLCTL_ARENAS_DESTROYED(void);

// MARK: - Allocators loaded at run time (mimalloc, tcmalloc)

/// A loaded allocator: plain C function pointers, valid for the life of the process
/// (the library is never dlclose'd, since memory it handed out may still be live).
/// Optional entries are NULL when the library lacks them.
typedef struct CAllocShims_DynamicAllocator {
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t count, size_t size);
    void *(*realloc)(void *pointer, size_t size);
    void (*free)(void *pointer);
    void (*free_sized)(void *pointer, size_t size);                  // optional; set only where release must be sized (tcmalloc)
    void *(*aligned_alloc)(size_t alignment, size_t size);           // (alignment, size) order
    void *(*aligned_zalloc)(size_t size, size_t alignment);          // optional (mimalloc)
    size_t (*usable_size)(void *pointer);
    void (*collect)(void);                                           // optional: give memory back
    int (*numeric_property)(const char *name, size_t *value);        // optional (tcmalloc)
    char version[64];
    char library[64];                                                // the soname that loaded
} CAllocShims_DynamicAllocator;

/// Loads mimalloc (libmimalloc.so.2, or the path in ALLOCSHIM_MIMALLOC_LIBRARY) once; thread-safe. On failure returns NULL and writes
/// the dlopen/dlsym message into `error` (always NUL-terminated).
const CAllocShims_DynamicAllocator *CAllocShims_load_mimalloc(char *error, size_t error_length);
/// Loads tcmalloc (libtcmalloc.so.4, else libtcmalloc_minimal.so.4, or the path in
/// ALLOCSHIM_TCMALLOC_LIBRARY) once; thread-safe.
const CAllocShims_DynamicAllocator *CAllocShims_load_tcmalloc(char *error, size_t error_length);
/// mimalloc's process statistics (mi_process_info): current and peak RSS and commit, bytes.
int CAllocShims_mimalloc_process_info(size_t *current_rss, size_t *peak_rss,
                                      size_t *current_commit, size_t *peak_commit);

// MARK: - Process memory

/// Resident set size of this process in bytes (Linux: /proc/self/statm), 0 if unknown.
size_t CAllocShims_resident_bytes(void);
/// Peak resident set size in bytes (getrusage ru_maxrss), 0 if unknown.
size_t CAllocShims_peak_resident_bytes(void);
/// Overwrites `length` bytes with zeros in a way the optimizer may not remove
/// (explicit_bzero where present, else a volatile loop plus a compiler barrier).
void CAllocShims_secure_zero(void *pointer, size_t length);
/// mlock/munlock; return 0 or errno.
int CAllocShims_lock_memory(const void *pointer, size_t length);
int CAllocShims_unlock_memory(const void *pointer, size_t length);
/// Page size of this system.
size_t CAllocShims_page_size(void);
/// Constant-time comparison of two equal-length regions: 0 when equal.
int CAllocShims_constant_time_compare(const void *a, const void *b, size_t length);

#ifdef __cplusplus
}
#endif

#include "CAllocShimsCounters.h"
#include "CAllocShimsBackendCalls.h"
#include "CAllocShimsFailureInjection.h"
#include "CAllocShimsSanitizer.h"
#include "CAllocShimsThreadSlabs.h"
#include "CAllocShimsProcessAllocator.h"
#include "CAllocShimsArenaCaches.h"

#endif

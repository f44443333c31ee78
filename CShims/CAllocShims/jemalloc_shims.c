// jemalloc's own API, compiled in only when the package trait `Jemalloc` defines
// ALLOCSHIM_HAVE_JEMALLOC (and the CJemalloc system library is linked). Without it every
// entry point reports absence instead of failing to link.
//
// Flag encodings follow jemalloc 5.x's public header (jemalloc/jemalloc.h); they are part of
// its stable ABI, which is what lets Swift use them through these functions.
#include "CAllocShims.h"
#include "failure_injection_internal.h"
#include "sanitizer_detection.h"

#include <errno.h>
#include <strings.h>

// MALLOCX_ARENA(a) is `(((int)(a)) + 1) << 20`: for a >= 2047 the shift overflows a signed
// int, which is undefined behaviour. jemalloc decodes the field as unsigned (12 bits above
// bit 20, arena + 1), so the same bits are built here in unsigned arithmetic and converted
// once; indices whose arena + 1 does not fit the 12 bits are refused instead of wrapping
// into another arena's index (or into the flags' other fields).
enum { arena_shift = 20, arena_bits = 12 };

unsigned CAllocShims_jemalloc_arena_index_limit(void) { return (1u << arena_bits) - 2; }

int CAllocShims_jemalloc_arena_flags(unsigned arena, int *flags) {
    if (arena > CAllocShims_jemalloc_arena_index_limit()) return EINVAL;
    unsigned bits = (arena + 1u) << arena_shift;  // at most 0xFFF00000: no overflow
    // The conversion keeps the bit pattern (two's complement, as C23 requires and every
    // compiler we build with does); a negative int is what MALLOCX_ARENA yields in practice.
    *flags = (int)bits;
    return 0;
}

#ifdef ALLOCSHIM_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>

int CAllocShims_jemalloc_is_linked(void) { return 1; }
void *CAllocShims_jemalloc_mallocx(size_t size, int flags) { return injected_failure() ? NULL : mallocx(size, flags); }
void *CAllocShims_jemalloc_rallocx(void *pointer, size_t size, int flags) {
    return injected_failure() ? NULL : rallocx(pointer, size, flags);
}
void CAllocShims_jemalloc_dallocx(void *pointer, int flags) { dallocx(pointer, flags); }
void CAllocShims_jemalloc_sdallocx(void *pointer, size_t size, int flags) {
    sdallocx(pointer, size, flags);
}
size_t CAllocShims_jemalloc_nallocx(size_t size, int flags) { return nallocx(size, flags); }
size_t CAllocShims_jemalloc_sallocx(const void *pointer, int flags) { return sallocx(pointer, flags); }
int CAllocShims_jemalloc_mallctl(const char *name, void *old_value, size_t *old_length,
                                 void *new_value, size_t new_length) {
    return mallctl(name, old_value, old_length, new_value, new_length);
}
int CAllocShims_jemalloc_mallctlnametomib(const char *name, size_t *mib, size_t *mib_length) {
    return mallctlnametomib(name, mib, mib_length);
}
int CAllocShims_jemalloc_mallctlbymib(const size_t *mib, size_t mib_length, void *old_value,
                                      size_t *old_length, void *new_value, size_t new_length) {
    return mallctlbymib(mib, mib_length, old_value, old_length, new_value, new_length);
}
int CAllocShims_MALLOCX_LG_ALIGN(unsigned lg_alignment) { return MALLOCX_LG_ALIGN(lg_alignment); }
int CAllocShims_MALLOCX_ALIGN(size_t alignment) { return MALLOCX_ALIGN(alignment); }
int CAllocShims_MALLOCX_ZERO(void) { return MALLOCX_ZERO; }
int CAllocShims_MALLOCX_TCACHE(int tcache) { return MALLOCX_TCACHE(tcache); }
int CAllocShims_MALLOCX_TCACHE_NONE(void) { return MALLOCX_TCACHE_NONE; }
unsigned CAllocShims_MALLCTL_ARENAS_ALL(void) { return MALLCTL_ARENAS_ALL; }
unsigned CAllocShims_MALLCTL_ARENAS_DESTROYED(void) { return MALLCTL_ARENAS_DESTROYED; }

#else // jemalloc not linked: every call reports absence...
#if !ALLOCSHIM_ADDRESS_SANITIZER  // ...except under ASan, where jemalloc_sanitizer.c may load it

int CAllocShims_jemalloc_is_linked(void) { return 0; }
void *CAllocShims_jemalloc_mallocx(size_t size, int flags) { (void)size; (void)flags; return NULL; }
void *CAllocShims_jemalloc_rallocx(void *pointer, size_t size, int flags) {
    (void)pointer; (void)size; (void)flags;
    return NULL;
}
void CAllocShims_jemalloc_dallocx(void *pointer, int flags) { (void)pointer; (void)flags; }
void CAllocShims_jemalloc_sdallocx(void *pointer, size_t size, int flags) {
    (void)pointer; (void)size; (void)flags;
}
size_t CAllocShims_jemalloc_nallocx(size_t size, int flags) { (void)size; (void)flags; return 0; }
size_t CAllocShims_jemalloc_sallocx(const void *pointer, int flags) { (void)pointer; (void)flags; return 0; }
int CAllocShims_jemalloc_mallctl(const char *name, void *old_value, size_t *old_length,
                                 void *new_value, size_t new_length) {
    (void)name; (void)old_value; (void)old_length; (void)new_value; (void)new_length;
    return ENOENT;
}
int CAllocShims_jemalloc_mallctlnametomib(const char *name, size_t *mib, size_t *mib_length) {
    (void)name; (void)mib; (void)mib_length;
    return ENOENT;
}
int CAllocShims_jemalloc_mallctlbymib(const size_t *mib, size_t mib_length, void *old_value,
                                      size_t *old_length, void *new_value, size_t new_length) {
    (void)mib; (void)mib_length; (void)old_value; (void)old_length; (void)new_value; (void)new_length;
    return ENOENT;
}
#endif
// Same encodings as jemalloc 5.x, so flag values stay meaningful in diagnostics.
int CAllocShims_MALLOCX_LG_ALIGN(unsigned lg_alignment) { return (int)lg_alignment; }
int CAllocShims_MALLOCX_ALIGN(size_t alignment) { return ffs((int)alignment) - 1; }
int CAllocShims_MALLOCX_ZERO(void) { return 0x40; }
int CAllocShims_MALLOCX_TCACHE(int tcache) { return (tcache + 2) << 8; }
int CAllocShims_MALLOCX_TCACHE_NONE(void) { return CAllocShims_MALLOCX_TCACHE(-1); }
unsigned CAllocShims_MALLCTL_ARENAS_ALL(void) { return 4096; }
unsigned CAllocShims_MALLCTL_ARENAS_DESTROYED(void) { return 4097; }
#endif

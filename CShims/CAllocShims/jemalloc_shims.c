// jemalloc as one table of calls (CAllocShims_Jemalloc), filled one of three ways: from the
// linked library (package trait `Jemalloc`, which defines ALLOCSHIM_HAVE_JEMALLOC and links
// the CJemalloc system library), from libjemalloc.so.2 loaded beside AddressSanitizer
// (jemalloc_sanitizer.c), or not at all. Everything else here — flag encodings, the mallctl
// entry points — is written once and goes through the table.
//
// Flag encodings follow jemalloc 5.x's public header (jemalloc/jemalloc.h); they are part of
// its stable ABI, which is what lets them hold whichever way the table was filled.
#include "CAllocShims.h"
#include "failure_injection_internal.h"
#include "jemalloc_internal.h"
#include "sanitizer_detection.h"

#include <errno.h>
#include <limits.h>
#include <strings.h>

// MARK: The table

#ifdef ALLOCSHIM_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>

// The encodings written below, checked against the header of the jemalloc we link.
_Static_assert(MALLOCX_ZERO == CAllocShims_JEMALLOC_ZERO, "MALLOCX_ZERO");
_Static_assert(MALLOCX_LG_ALIGN(12) == 12, "MALLOCX_LG_ALIGN");
_Static_assert(MALLOCX_TCACHE(5) == (5 + 2) << 8 && MALLOCX_TCACHE_NONE == 1 << 8, "MALLOCX_TCACHE");
_Static_assert(MALLCTL_ARENAS_ALL == 4096 && MALLCTL_ARENAS_DESTROYED == 4097, "MALLCTL_ARENAS_*");

static void *injecting_mallocx(size_t size, int flags) { return injected_failure() ? NULL : mallocx(size, flags); }
// An injected failure leaves the block untouched, as a real failed rallocx does.
static void *injecting_rallocx(void *pointer, size_t size, int flags) {
    return injected_failure() ? NULL : rallocx(pointer, size, flags);
}

static const CAllocShims_Jemalloc linked = {
    injecting_mallocx, injecting_rallocx, dallocx, sdallocx, nallocx, sallocx, mallctl, mallctlnametomib, mallctlbymib,
};

const CAllocShims_Jemalloc *CAllocShims_jemalloc_table(void) { return &linked; }
#elif ALLOCSHIM_ADDRESS_SANITIZER
const CAllocShims_Jemalloc *CAllocShims_jemalloc_table(void) { return CAllocShims_jemalloc_load_beside_sanitizer(); }
#else
const CAllocShims_Jemalloc *CAllocShims_jemalloc_table(void) { return NULL; }
#endif

int CAllocShims_jemalloc_is_linked(void) { return CAllocShims_jemalloc_table() != NULL; }

int CAllocShims_jemalloc_mallctl(const char *name, void *old_value, size_t *old_length,
                                 void *new_value, size_t new_length) {
    const CAllocShims_Jemalloc *jemalloc = CAllocShims_jemalloc_table();
    return jemalloc ? jemalloc->mallctl(name, old_value, old_length, new_value, new_length) : ENOENT;
}
int CAllocShims_jemalloc_mallctlnametomib(const char *name, size_t *mib, size_t *mib_length) {
    const CAllocShims_Jemalloc *jemalloc = CAllocShims_jemalloc_table();
    return jemalloc ? jemalloc->mallctlnametomib(name, mib, mib_length) : ENOENT;
}
int CAllocShims_jemalloc_mallctlbymib(const size_t *mib, size_t mib_length, void *old_value,
                                      size_t *old_length, void *new_value, size_t new_length) {
    const CAllocShims_Jemalloc *jemalloc = CAllocShims_jemalloc_table();
    return jemalloc ? jemalloc->mallctlbymib(mib, mib_length, old_value, old_length, new_value, new_length) : ENOENT;
}

// MARK: Flags

int CAllocShims_MALLOCX_LG_ALIGN(unsigned lg_alignment) { return (int)lg_alignment; }
// jemalloc's 64-bit MALLOCX_ALIGN: the alignment's log2, taken in two halves.
int CAllocShims_MALLOCX_ALIGN(size_t alignment) {
    return alignment < (size_t)INT_MAX ? ffs((int)alignment) - 1 : ffs((int)(alignment >> 32)) + 31;
}
int CAllocShims_MALLOCX_ZERO(void) { return CAllocShims_JEMALLOC_ZERO; }
int CAllocShims_MALLOCX_TCACHE(int tcache) { return (tcache + 2) << 8; }
int CAllocShims_MALLOCX_TCACHE_NONE(void) { return CAllocShims_MALLOCX_TCACHE(-1); }
unsigned CAllocShims_MALLCTL_ARENAS_ALL(void) { return 4096; }
unsigned CAllocShims_MALLCTL_ARENAS_DESTROYED(void) { return 4097; }

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

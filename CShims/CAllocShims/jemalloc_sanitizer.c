// jemalloc's table under AddressSanitizer, so that ASan can see jemalloc blocks too.
//
// Linked into an ASan process, jemalloc fights ASan for `malloc` (the first run aborted with
// bad-free), so ASan builds leave the Jemalloc trait off. jemalloc can still be *loaded* with
// dlopen(RTLD_LOCAL): its `malloc` then stays private and only these entry points reach it.
// It uses initial-exec TLS, so the process must start with room in glibc's static TLS block
// (GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536, which `make test-asan` sets), and it
// is loaded only when ALLOCSHIM_SANITIZER_JEMALLOC=1 is set before first use: the sanitizer
// suite otherwise keeps its jemalloc-less shape.
//
// Every block gets a 16-byte redzone: ASan sees [size, usable) as poisoned while the block
// is live and the whole block as poisoned once freed. jemalloc's own code is not instrumented,
// so its writes to poisoned memory (metadata, junk filling) are never reported.
#include "CAllocShims.h"
#include "failure_injection_internal.h"
#include "jemalloc_internal.h"
#include "sanitizer_detection.h"

#if !defined(ALLOCSHIM_HAVE_JEMALLOC) && ALLOCSHIM_ADDRESS_SANITIZER
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

enum { redzone = 16 };

/// The library's own entries; the published table wraps the ones that hand out or take back
/// blocks, and passes the mallctl family through.
static CAllocShims_Jemalloc je;
static CAllocShims_Jemalloc published;
static int loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/// Marks a live block: `size` bytes handed out, the rest of its usable size a redzone.
static void *handed_out(void *block, size_t size) {
    if (block == NULL) return NULL;
    size_t usable = je.sallocx(block, 0);
    ASAN_UNPOISON_MEMORY_REGION(block, size);
    ASAN_POISON_MEMORY_REGION((char *)block + size, usable - size);
    return block;
}

/// Marks a block about to be freed: nothing of it may be touched any more.
static void taken_back(void *block) { ASAN_POISON_MEMORY_REGION(block, je.sallocx(block, 0)); }

/// A new block of `size` bytes handed out. Zeroing is done here, not by jemalloc: its memset
/// (intercepted by ASan) would write into memory poisoned when a block there was last freed.
static void *redzoned_new_block(size_t size, int flags) {
    int zero = CAllocShims_MALLOCX_ZERO();
    void *block = handed_out(je.mallocx(size + redzone, flags & ~zero), size);
    if (block != NULL && (flags & zero) != 0) memset(block, 0, size);
    return block;
}

static void *redzoned_mallocx(size_t size, int flags) {
    return injected_failure() ? NULL : redzoned_new_block(size, flags);
}
static void *redzoned_rallocx(void *pointer, size_t size, int flags) {
    if (injected_failure()) return NULL;
    // Never jemalloc's own rallocx here: when it moves a block it copies the old block's whole
    // usable size (redzone included) into a new block that may still be poisoned from an earlier
    // free, through memcpy, which ASan intercepts — a use-after-poison on either side. A block
    // that fits its size class stays; otherwise it is moved by hand: a new block with the same
    // flags (arena, cache), the bytes that can have been handed out copied, the old one freed.
    size_t old_usable = je.sallocx(pointer, 0);
    if (je.nallocx(size + redzone, flags) == old_usable) return handed_out(pointer, size);
    void *moved = redzoned_new_block(size, flags);
    if (moved == NULL) return NULL;  // the old block is untouched, its marks still true
    size_t kept = old_usable - redzone < size ? old_usable - redzone : size;
    ASAN_UNPOISON_MEMORY_REGION(pointer, kept);  // the old block's slack may be poisoned
    memcpy(moved, pointer, kept);
    taken_back(pointer);
    je.dallocx(pointer, flags & ~CAllocShims_MALLOCX_ZERO());
    return moved;
}
static void redzoned_dallocx(void *pointer, int flags) {
    taken_back(pointer);
    je.dallocx(pointer, flags);
}
static void redzoned_sdallocx(void *pointer, size_t size, int flags) {
    taken_back(pointer);
    je.sdallocx(pointer, size + redzone, flags);
}
static size_t redzoned_nallocx(size_t size, int flags) { return je.nallocx(size + redzone, flags) - redzone; }
static size_t redzoned_sallocx(const void *pointer, int flags) { return je.sallocx(pointer, flags) - redzone; }

static void load(void) {
    const char *wanted = getenv("ALLOCSHIM_SANITIZER_JEMALLOC");
    if (wanted == NULL || strcmp(wanted, "1") != 0) return;
    void *library = dlopen(CAllocShims_allocator_family_sonames(CAllocShims_AllocatorFamilyJemalloc)[0], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return;  // e.g. no static TLS room: jemalloc stays absent
    *(void **)&je.mallocx = dlsym(library, "mallocx");
    *(void **)&je.rallocx = dlsym(library, "rallocx");
    *(void **)&je.dallocx = dlsym(library, "dallocx");
    *(void **)&je.sdallocx = dlsym(library, "sdallocx");
    *(void **)&je.nallocx = dlsym(library, "nallocx");
    *(void **)&je.sallocx = dlsym(library, "sallocx");
    *(void **)&je.mallctl = dlsym(library, "mallctl");
    *(void **)&je.mallctlnametomib = dlsym(library, "mallctlnametomib");
    *(void **)&je.mallctlbymib = dlsym(library, "mallctlbymib");
    if (!(je.mallocx && je.rallocx && je.dallocx && je.sdallocx && je.nallocx && je.sallocx && je.mallctl &&
          je.mallctlnametomib && je.mallctlbymib))
        return;
    published = (CAllocShims_Jemalloc){
        redzoned_mallocx, redzoned_rallocx, redzoned_dallocx, redzoned_sdallocx, redzoned_nallocx, redzoned_sallocx,
        je.mallctl, je.mallctlnametomib, je.mallctlbymib,
    };
    loaded = 1;
}

const CAllocShims_Jemalloc *CAllocShims_jemalloc_load_beside_sanitizer(void) {
    pthread_once(&load_once, load);
    return loaded ? &published : NULL;
}
#endif

// The platform's own allocator, reachable even when jemalloc is linked.
//
// Debian's jemalloc has no symbol prefix, so linking it makes `malloc`, `free` and
// `malloc_usable_size` jemalloc's for the whole process. glibc keeps its own allocator
// callable as __libc_malloc/__libc_calloc/__libc_realloc/__libc_free, and its remaining entry
// points (memalign, malloc_usable_size, mallinfo2, malloc_trim) are looked up in libc.so.6
// itself with dlsym on libc's handle, which no interposer can intercept. (__libc_memalign is
// not used: AddressSanitizer intercepts it, and its blocks must not reach glibc's free.)
// Elsewhere (musl, macOS) the plain names are the platform allocator.
#define _GNU_SOURCE
#include "CAllocShims.h"
#include "failure_injection_internal.h"
#include "sanitizer_detection.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdalign.h>

#if defined(__GLIBC__)
#include <dlfcn.h>
#include <malloc.h>
#include <gnu/libc-version.h>
#include <pthread.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

static void *(*glibc_memalign)(size_t, size_t);
static size_t (*glibc_usable_size)(void *);
static struct mallinfo2 (*glibc_mallinfo2)(void);
static int (*glibc_malloc_trim)(size_t);
static pthread_once_t glibc_once = PTHREAD_ONCE_INIT;

__attribute__((unused)) static void resolve_glibc_entry_points(void) {
    // RTLD_NOLOAD: libc is always loaded already; this only takes a handle to it.
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (libc == NULL) return;
    glibc_memalign = (void *(*)(size_t, size_t))dlsym(libc, "memalign");
    glibc_usable_size = (size_t (*)(void *))dlsym(libc, "malloc_usable_size");
    glibc_mallinfo2 = (struct mallinfo2 (*)(void))dlsym(libc, "mallinfo2");
    glibc_malloc_trim = (int (*)(size_t))dlsym(libc, "malloc_trim");
}
#elif defined(__APPLE__)
#include <malloc/malloc.h>
#else
#include <malloc.h>
#endif

size_t CAllocShims_platform_malloc_alignment(void) { return alignof(max_align_t); }

// Under AddressSanitizer the `system` backend is ASan's allocator, reached through the calls
// it intercepts (the plain names, below): __libc_* would bypass it, and ASan could not see
// overflows of our blocks. ASan owns malloc in such builds anyway (jemalloc cannot be linked
// beside it).
#if defined(__GLIBC__) && !ALLOCSHIM_ADDRESS_SANITIZER
// glibc sets its allocator up on the first call of its malloc family (ptmalloc_init), assuming
// no second thread exists yet: it checks `__malloc_initialized` without a lock and hands the
// calling thread the main arena without counting it as attached (the count's initial 1 is the
// main thread's). That holds when glibc is the process malloc, which runs at start-up; here,
// when jemalloc is the process malloc, glibc's first call is the `system` backend's first
// block, and it can come from many threads at once (a thread sweep starting 16 threads; six
// NIO event loops falling back to `system` under tenant eviction). Two threads then both
// initialized it and both held the main arena on one count, and the second to exit aborted:
// "__malloc_arena_thread_freeres: a->attached_threads > 0" (glibc 2.36 on 2 cores, 2.39 on
// 16; issue 21, item 11). So set it up at load, on the loading thread, before any of our
// threads can call it: once initialized, glibc counts every later thread's arena correctly.
__attribute__((constructor)) static void initialize_glibc_malloc_before_any_thread(void) {
    __libc_free(__libc_malloc(1));
}

void *CAllocShims_platform_malloc(size_t size) { return injected_failure() ? NULL : __libc_malloc(size); }
void *CAllocShims_platform_calloc(size_t count, size_t size) {
    return injected_failure() ? NULL : __libc_calloc(count, size);
}
// An injected failure leaves the block untouched, as a real failed realloc does.
void *CAllocShims_platform_realloc(void *pointer, size_t size) {
    return injected_failure() ? NULL : __libc_realloc(pointer, size);
}
void CAllocShims_platform_free(void *pointer) { __libc_free(pointer); }
void *CAllocShims_platform_aligned_alloc(size_t alignment, size_t size) {
    if (injected_failure()) return NULL;
    pthread_once(&glibc_once, resolve_glibc_entry_points);
    return glibc_memalign != NULL ? glibc_memalign(alignment, size) : NULL;
}
size_t CAllocShims_platform_usable_size(void *pointer) {
    pthread_once(&glibc_once, resolve_glibc_entry_points);
    return glibc_usable_size != NULL ? glibc_usable_size(pointer) : 0;
}
int CAllocShims_platform_trim(void) {
    pthread_once(&glibc_once, resolve_glibc_entry_points);
    return glibc_malloc_trim != NULL ? glibc_malloc_trim(0) : 0;
}
int CAllocShims_platform_heap_info(CAllocShims_PlatformHeapInfo *info) {
    pthread_once(&glibc_once, resolve_glibc_entry_points);
    if (glibc_mallinfo2 == NULL) return 0;
    struct mallinfo2 m = glibc_mallinfo2();
    info->arena = m.arena;
    info->mmapped = m.hblkhd;
    info->in_use = m.uordblks;
    info->free_bytes = m.fordblks;
    info->releasable = m.keepcost;
    return 1;
}
const char *CAllocShims_platform_library_version(char *buffer, size_t length) {
    snprintf(buffer, length, "glibc %s", gnu_get_libc_version());
    return buffer;
}
#else  // the plain names: musl, macOS, and glibc under AddressSanitizer
void *CAllocShims_platform_malloc(size_t size) { return injected_failure() ? NULL : malloc(size); }
void *CAllocShims_platform_calloc(size_t count, size_t size) { return injected_failure() ? NULL : calloc(count, size); }
void *CAllocShims_platform_realloc(void *pointer, size_t size) { return injected_failure() ? NULL : realloc(pointer, size); }
void CAllocShims_platform_free(void *pointer) { free(pointer); }
void *CAllocShims_platform_aligned_alloc(size_t alignment, size_t size) {
    if (injected_failure()) return NULL;
    void *result = NULL;
    if (alignment < sizeof(void *)) alignment = sizeof(void *);
    return posix_memalign(&result, alignment, size) == 0 ? result : NULL;
}
size_t CAllocShims_platform_usable_size(void *pointer) {
#if defined(__APPLE__)
    return malloc_size(pointer);
#else
    return malloc_usable_size(pointer);
#endif
}
int CAllocShims_platform_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
int CAllocShims_platform_heap_info(CAllocShims_PlatformHeapInfo *info) {
    (void)info;
    return 0;
}
const char *CAllocShims_platform_library_version(char *buffer, size_t length) {
#if defined(__GLIBC__)
    snprintf(buffer, length, "glibc %s (allocator: AddressSanitizer)", gnu_get_libc_version());
#elif defined(__APPLE__)
    snprintf(buffer, length, "Apple libmalloc");
#else
    snprintf(buffer, length, "libc (unknown)");
#endif
    return buffer;
}
#endif

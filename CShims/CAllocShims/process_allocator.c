// The process allocator: identification by symbol lookup, and release of free memory.
//
// Why symbol lookup: `malloc` is whatever the dynamic linker bound first — a preloaded library
// (LD_PRELOAD), a linked jemalloc (trait Jemalloc), or glibc. dladdr on the address dlsym
// returns for RTLD_DEFAULT names the object that really serves malloc calls. The release entry
// points are then looked up in that same object (dlopen RTLD_NOLOAD: no new load, so the
// static-TLS libraries jemalloc and Scudo are never dlopened for real).
#define _GNU_SOURCE
#include "CAllocShimsProcessAllocator.h"

#include <dlfcn.h>
#include <string.h>

#if defined(__linux__)
#include <malloc.h>
#endif

#if defined(__x86_64__)
#define LLVM_ARCHITECTURE "x86_64"
#elif defined(__aarch64__)
#define LLVM_ARCHITECTURE "aarch64"
#elif defined(__i386__)
#define LLVM_ARCHITECTURE "i386"
#else
#define LLVM_ARCHITECTURE "unknown"
#endif

const char *const *CAllocShims_allocator_family_sonames(CAllocShims_AllocatorFamily family) {
    static const char *const none[] = {NULL};
    static const char *const jemalloc[] = {"libjemalloc.so.2", NULL};
    static const char *const mimalloc[] = {"libmimalloc.so.2", "libmimalloc.so", "libmimalloc.2.dylib", NULL};
    static const char *const tcmalloc[] = {"libtcmalloc.so.4", "libtcmalloc_minimal.so.4", NULL};
    static const char *const scudo[] = {"libclang_rt.scudo_standalone-" LLVM_ARCHITECTURE ".so", NULL};
    switch (family) {
    case CAllocShims_AllocatorFamilyJemalloc: return jemalloc;
    case CAllocShims_AllocatorFamilyMimalloc: return mimalloc;
    case CAllocShims_AllocatorFamilyTcmalloc: return tcmalloc;
    case CAllocShims_AllocatorFamilyScudo: return scudo;
    default: return none;
    }
}

CAllocShims_AllocatorFamily CAllocShims_allocator_family_of_path(const char *path) {
    if (path == NULL) return CAllocShims_AllocatorFamilyUnknown;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strstr(base, "jemalloc")) return CAllocShims_AllocatorFamilyJemalloc;
    if (strstr(base, "mimalloc")) return CAllocShims_AllocatorFamilyMimalloc;
    if (strstr(base, "tcmalloc")) return CAllocShims_AllocatorFamilyTcmalloc;
    if (strstr(base, "scudo")) return CAllocShims_AllocatorFamilyScudo;
    if (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0) return CAllocShims_AllocatorFamilyGlibc;
    return CAllocShims_AllocatorFamilyUnknown;
}

/// The object defining the bound `malloc`, or NULL.
static const char *malloc_object(void **handle_out) {
    void *address = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;
    if (address == NULL || dladdr(address, &info) == 0 || info.dli_fname == NULL) return NULL;
    if (handle_out) {
        // RTLD_NOLOAD: the object is already mapped (it serves malloc); this only takes a
        // reference to it, so static TLS is never allocated anew.
        *handle_out = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    }
    return info.dli_fname;
}

CAllocShims_AllocatorFamily CAllocShims_process_allocator(char *path, size_t length) {
    const char *object = malloc_object(NULL);
    if (path && length > 0) {
        if (object) {
            strncpy(path, object, length - 1);
            path[length - 1] = 0;
        } else {
            path[0] = 0;
        }
    }
    CAllocShims_AllocatorFamily kind = CAllocShims_allocator_family_of_path(object);
    // A jemalloc linked statically into the executable has no library name: its mallctl is the
    // tell-tale (glibc has none).
    if (kind == CAllocShims_AllocatorFamilyUnknown && dlsym(RTLD_DEFAULT, "mallctl") != NULL)
        kind = CAllocShims_AllocatorFamilyJemalloc;
    return kind;
}

typedef int (*mallctl_function)(const char *, void *, size_t *, void *, size_t);
typedef void (*mi_collect_function)(_Bool);
typedef void (*release_function)(void);
typedef int (*mallopt_function)(int, int);

// Scudo's mallopt parameter for "release to OS now" (compiler-rt scudo/standalone/include/
// scudo/interface.h: M_PURGE = -101).
#define SCUDO_M_PURGE (-101)

CAllocShims_AllocatorFamily CAllocShims_process_allocator_release_free_memory(int *status) {
    if (status) *status = 0;
    void *handle = NULL;
    const char *object = malloc_object(&handle);
    CAllocShims_AllocatorFamily kind = CAllocShims_allocator_family_of_path(object);
    void *lookup = handle ? handle : RTLD_DEFAULT;
    CAllocShims_AllocatorFamily asked = CAllocShims_AllocatorFamilyUnknown;
    switch (kind) {
    case CAllocShims_AllocatorFamilyGlibc:
    case CAllocShims_AllocatorFamilyUnknown: {
        if (kind == CAllocShims_AllocatorFamilyUnknown) {
            // Statically linked jemalloc (no library name) still answers mallctl.
            mallctl_function mallctl = (mallctl_function)dlsym(RTLD_DEFAULT, "mallctl");
            if (mallctl) {
                // 4096 is MALLCTL_ARENAS_ALL (jemalloc 5): every arena.
                int result = mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
                if (status) *status = result;
                asked = CAllocShims_AllocatorFamilyJemalloc;
                break;
            }
            break;
        }
#if defined(__GLIBC__)
        int released = malloc_trim(0);
        if (status) *status = released;
        asked = CAllocShims_AllocatorFamilyGlibc;
#endif
        break;
    }
    case CAllocShims_AllocatorFamilyJemalloc: {
        mallctl_function mallctl = (mallctl_function)dlsym(lookup, "mallctl");
        if (mallctl) {
            int result = mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
            if (status) *status = result;
            asked = kind;
        }
        break;
    }
    case CAllocShims_AllocatorFamilyMimalloc: {
        mi_collect_function collect = (mi_collect_function)dlsym(lookup, "mi_collect");
        if (collect) {
            collect(1);  // force: also frees abandoned and delayed-free pages
            asked = kind;
        }
        break;
    }
    case CAllocShims_AllocatorFamilyTcmalloc: {
        release_function release = (release_function)dlsym(lookup, "MallocExtension_ReleaseFreeMemory");
        if (release) {
            release();
            asked = kind;
        }
        break;
    }
    case CAllocShims_AllocatorFamilyScudo: {
        mallopt_function scudo_mallopt = (mallopt_function)dlsym(lookup, "mallopt");
        if (scudo_mallopt) {
            int result = scudo_mallopt(SCUDO_M_PURGE, 0);
            if (status) *status = result;
            asked = kind;
        }
        break;
    }
    }
    if (handle) dlclose(handle);  // drops only the RTLD_NOLOAD reference taken above
    return asked;
}

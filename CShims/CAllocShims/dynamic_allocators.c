// mimalloc and tcmalloc, loaded on first use with dlopen(RTLD_LOCAL).
//
// RTLD_LOCAL keeps their `malloc`/`free` out of the global symbol scope, so loading them
// never replaces the process allocator: only calls made through the tables below reach them.
// A library that fails to load is not an error until its backend is asked for; the failure
// text is kept so the Swift side can say why. Libraries are never dlclose'd: blocks they
// handed out may outlive any owner we could track.
#define _GNU_SOURCE
#include "CAllocShims.h"
#include "failure_injection_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct LoadState {
    pthread_once_t once;
    int loaded;
    CAllocShims_DynamicAllocator table;
    char error[512];
} LoadState;

static LoadState mimalloc_state = {PTHREAD_ONCE_INIT, 0, {0}, {0}};
static LoadState tcmalloc_state = {PTHREAD_ONCE_INIT, 0, {0}, {0}};

// The library's own allocating entries. The published tables point at the wrappers below,
// which give failure injection its say first (one thread-local load when not armed), so
// every caller — the Swift backend, the buffers' fast path, the baseline loops — is covered.
typedef struct AllocatingEntries {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*aligned_zalloc)(size_t, size_t);
} AllocatingEntries;

#define INJECTING_WRAPPERS(prefix, entries)                                                       \
    static AllocatingEntries entries;                                                             \
    static void *prefix##_malloc(size_t size) { return injected_failure() ? NULL : entries.malloc(size); } \
    static void *prefix##_calloc(size_t count, size_t size) {                                     \
        return injected_failure() ? NULL : entries.calloc(count, size);                           \
    }                                                                                             \
    static void *prefix##_realloc(void *pointer, size_t size) {                                   \
        return injected_failure() ? NULL : entries.realloc(pointer, size);                        \
    }                                                                                             \
    static void *prefix##_aligned_alloc(size_t alignment, size_t size) {                          \
        return injected_failure() ? NULL : entries.aligned_alloc(alignment, size);                \
    }                                                                                             \
    static void *prefix##_aligned_zalloc(size_t size, size_t alignment) {                         \
        return injected_failure() ? NULL : entries.aligned_zalloc(size, alignment);               \
    }                                                                                             \
    /* Moves the library's entries aside and publishes the wrappers in their place. */          \
    static void prefix##_install_wrappers(CAllocShims_DynamicAllocator *table) {                  \
        entries = (AllocatingEntries){table->malloc, table->calloc, table->realloc,               \
                                      table->aligned_alloc, table->aligned_zalloc};               \
        table->malloc = prefix##_malloc;                                                          \
        table->calloc = prefix##_calloc;                                                          \
        table->realloc = prefix##_realloc;                                                        \
        table->aligned_alloc = prefix##_aligned_alloc;                                            \
        if (table->aligned_zalloc != NULL) table->aligned_zalloc = prefix##_aligned_zalloc;       \
    }

INJECTING_WRAPPERS(mimalloc_injecting, mimalloc_entries)
INJECTING_WRAPPERS(tcmalloc_injecting, tcmalloc_entries)

/// Opens the first library of `names` that loads; otherwise records every dlerror.
/// When the environment variable `override_variable` is set, only the path it names is tried
/// (for a custom build, or to see how a missing library is reported).
static void *open_first(const char *const *default_names, const char *override_variable, LoadState *state) {
    char attempts[480] = {0};
    // An empty value means unset, as for every ALLOCSHIM_* variable (dlopen("") would
    // return the main program, which has no allocator symbols of its own).
    const char *override = getenv(override_variable);
    const char *override_names[] = {override != NULL && override[0] != '\0' ? override : NULL, NULL};
    const char *const *names = override_names[0] != NULL ? override_names : default_names;
    for (const char *const *name = names; *name != NULL; name++) {
        void *handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
        if (handle != NULL) {
            snprintf(state->table.library, sizeof state->table.library, "%s", *name);
            return handle;
        }
        const char *message = dlerror();
        size_t used = strlen(attempts);
        snprintf(attempts + used, sizeof attempts - used, "%s%s", used ? "; " : "",
                 message ? message : *name);
    }
    snprintf(state->error, sizeof state->error, "%s", attempts);
    return NULL;
}

/// dlsym into `*slot`; a missing required symbol records why and returns 0.
static int resolve(void *handle, const char *name, void **slot, int required, LoadState *state) {
    *slot = dlsym(handle, name);
    if (*slot == NULL && required) {
        snprintf(state->error, sizeof state->error, "%s has no symbol %s", state->table.library, name);
        return 0;
    }
    return 1;
}

static const CAllocShims_DynamicAllocator *finish(LoadState *state, char *error, size_t length) {
    if (state->loaded) return &state->table;
    if (error != NULL && length > 0) snprintf(error, length, "%s", state->error);
    return NULL;
}

// MARK: mimalloc

static void *(*mi_malloc_aligned_fn)(size_t size, size_t alignment);
static void (*mi_collect_fn)(bool force);
static void (*mi_process_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                                  size_t *, size_t *);

// The table's aligned slot takes (alignment, size); mimalloc's takes (size, alignment).
static void *mimalloc_aligned_alloc(size_t alignment, size_t size) {
    return mi_malloc_aligned_fn(size, alignment);
}
static void mimalloc_collect(void) { mi_collect_fn(true); }

static void load_mimalloc(void) {
    LoadState *state = &mimalloc_state;
    const char *const *names = CAllocShims_allocator_family_sonames(CAllocShims_AllocatorFamilyMimalloc);
    void *handle = open_first(names, "ALLOCSHIM_MIMALLOC_LIBRARY", state);
    if (handle == NULL) return;
    CAllocShims_DynamicAllocator *t = &state->table;
    int ok = resolve(handle, "mi_malloc", (void **)&t->malloc, 1, state) &&
             resolve(handle, "mi_calloc", (void **)&t->calloc, 1, state) &&
             resolve(handle, "mi_realloc", (void **)&t->realloc, 1, state) &&
             resolve(handle, "mi_free", (void **)&t->free, 1, state) &&
             resolve(handle, "mi_malloc_aligned", (void **)&mi_malloc_aligned_fn, 1, state) &&
             resolve(handle, "mi_zalloc_aligned", (void **)&t->aligned_zalloc, 0, state) &&
             resolve(handle, "mi_usable_size", (void **)&t->usable_size, 1, state) &&
             resolve(handle, "mi_collect", (void **)&mi_collect_fn, 0, state) &&
             resolve(handle, "mi_process_info", (void **)&mi_process_info_fn, 0, state);
    if (!ok) return;
    t->aligned_alloc = mimalloc_aligned_alloc;
    t->collect = mi_collect_fn ? mimalloc_collect : NULL;
    mimalloc_injecting_install_wrappers(t);
    int (*version)(void) = (int (*)(void))dlsym(handle, "mi_version");
    int v = version ? version() : 0; // e.g. 209 for 2.0.9
    snprintf(t->version, sizeof t->version, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
    state->loaded = 1;
}

const CAllocShims_DynamicAllocator *CAllocShims_load_mimalloc(char *error, size_t error_length) {
    pthread_once(&mimalloc_state.once, load_mimalloc);
    return finish(&mimalloc_state, error, error_length);
}

int CAllocShims_mimalloc_process_info(size_t *current_rss, size_t *peak_rss,
                                      size_t *current_commit, size_t *peak_commit) {
    if (!mimalloc_state.loaded || mi_process_info_fn == NULL) return 0;
    size_t elapsed, user, system, page_faults;
    mi_process_info_fn(&elapsed, &user, &system, current_rss, peak_rss, current_commit,
                       peak_commit, &page_faults);
    return 1;
}

// MARK: tcmalloc (gperftools)

static int (*tc_property_fn)(const char *, size_t *);
static void (*tc_release_fn)(void);

static void tcmalloc_collect(void) { tc_release_fn(); }

// A thread's tcmalloc cache is made by its first allocation; a thread that only frees (a
// consumer of blocks made elsewhere: a NIO event loop handed buffers, a queue's reader) has
// none, and gperftools 2.10 files every such free straight into the central free list of its
// size class, one block at a time under that list's spin lock (tcmalloc.cc,
// do_free_with_callback: `heap == NULL` → `central_cache()[cl].InsertRange(ptr, ptr, 1)`),
// sized or not. With 8 such threads the lock is the whole cost (issue 23: producer-consumer
// 24.8 → 1.7 million/s from 1 to 16 threads). So the first release on a thread makes its cache
// first; frees then land in it and go to the central lists in batches, as they do for any
// thread that allocates. The cache is tcmalloc's own, freed by its thread-exit destructor.
static void (*tc_free_fn)(void *);
static void (*tc_free_sized_fn)(void *, size_t);
static void (*tc_mark_thread_busy_fn)(void);
static _Thread_local int tcmalloc_thread_has_cache __attribute__((tls_model("initial-exec")));

static __attribute__((noinline)) void tcmalloc_make_thread_cache(void) {
    tcmalloc_thread_has_cache = 1;
    // MarkThreadBusy allocates and frees one block without running hooks; the fallback does
    // the same through the library's own entries (not the failure-injecting wrappers).
    if (tc_mark_thread_busy_fn != NULL) tc_mark_thread_busy_fn(); else tc_free_fn(tcmalloc_entries.malloc(1));
}
static void tcmalloc_free(void *pointer) {
    if (__builtin_expect(!tcmalloc_thread_has_cache, 0)) tcmalloc_make_thread_cache();
    tc_free_fn(pointer);
}
static void tcmalloc_free_sized(void *pointer, size_t size) {
    if (__builtin_expect(!tcmalloc_thread_has_cache, 0)) tcmalloc_make_thread_cache();
    tc_free_sized_fn(pointer, size);
}

static void load_tcmalloc(void) {
    LoadState *state = &tcmalloc_state;
    const char *const *names = CAllocShims_allocator_family_sonames(CAllocShims_AllocatorFamilyTcmalloc);
    void *handle = open_first(names, "ALLOCSHIM_TCMALLOC_LIBRARY", state);
    if (handle == NULL) return;
    CAllocShims_DynamicAllocator *t = &state->table;
    int ok = resolve(handle, "tc_malloc", (void **)&t->malloc, 1, state) &&
             resolve(handle, "tc_calloc", (void **)&t->calloc, 1, state) &&
             resolve(handle, "tc_realloc", (void **)&t->realloc, 1, state) &&
             resolve(handle, "tc_free", (void **)&t->free, 1, state) &&
             resolve(handle, "tc_free_sized", (void **)&t->free_sized, 0, state) &&
             resolve(handle, "tc_memalign", (void **)&t->aligned_alloc, 1, state) &&
             resolve(handle, "tc_malloc_size", (void **)&t->usable_size, 1, state) &&
             resolve(handle, "MallocExtension_GetNumericProperty", (void **)&tc_property_fn, 0, state) &&
             resolve(handle, "MallocExtension_ReleaseFreeMemory", (void **)&tc_release_fn, 0, state) &&
             resolve(handle, "MallocExtension_MarkThreadBusy", (void **)&tc_mark_thread_busy_fn, 0, state);
    if (!ok) return;
    t->numeric_property = tc_property_fn;
    t->collect = tc_release_fn ? tcmalloc_collect : NULL;
    tcmalloc_injecting_install_wrappers(t);
    // After the wrappers: the fallback in tcmalloc_make_thread_cache uses the library's malloc.
    tc_free_fn = t->free;
    t->free = tcmalloc_free;
    tc_free_sized_fn = t->free_sized;
    if (t->free_sized != NULL) t->free_sized = tcmalloc_free_sized;
    const char *(*version)(int *, int *, const char **) =
        (const char *(*)(int *, int *, const char **))dlsym(handle, "tc_version");
    if (version != NULL) {
        int major = 0, minor = 0;
        const char *patch = NULL;
        version(&major, &minor, &patch);
        snprintf(t->version, sizeof t->version, "%d.%d%s", major, minor, patch ? patch : "");
    }
    state->loaded = 1;
}

const CAllocShims_DynamicAllocator *CAllocShims_load_tcmalloc(char *error, size_t error_length) {
    pthread_once(&tcmalloc_state.once, load_tcmalloc);
    return finish(&tcmalloc_state, error, error_length);
}

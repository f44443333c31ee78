// Thread caches dedicated to one jemalloc arena: see CAllocShimsArenaCaches.h for the contract.
//
// Each thread has a two-level table, arena index → its cache of that arena, read without a
// lock on every call (a thread-local load and two indexed loads). Everything else — creating
// a cache, destroying the caches of an arena, a thread's exit — is rare and happens under one
// module lock, which also guards each arena's list of caches (entries living in their threads'
// tables). A thread's table is freed only at its exit, after its entries left those lists under
// the lock, so a releasing thread never follows a list into freed memory.
//
// jemalloc calls go through CAllocShims_jemalloc_mallctl, so this works alike with jemalloc
// linked (the Jemalloc trait) and loaded under ASan (jemalloc_sanitizer.c), and falls back to
// no cache where jemalloc is absent.
#include "failure_injection_internal.h"
#include "CAllocShims.h"
#include "CAllocShimsArenaCaches.h"

#include <pthread.h>
#include <stdatomic.h>

enum {
    arena_slots = 4096,  // every index MALLOCX_ARENA can carry (CAllocShims_jemalloc_arena_index_limit)
    chunk_bits = 6,
    chunk_entries = 1 << chunk_bits,
    chunk_count = arena_slots / chunk_entries,
};

typedef struct CacheEntry {
    // The owner reads this on every call without the lock. It is written under the lock by the
    // owner (a cache made) and by a releaser (caches destroyed), and a releaser writes it only
    // while the owner cannot be using the arena (the header's contract); relaxed atomics keep
    // even a broken contract free of undefined behaviour. 0 while the pair has no cache.
    _Atomic int flags;
    unsigned tcache;         // jemalloc's index of the cache while `flags` is set (under the lock)
    unsigned refused_epoch;  // owner only: release_epoch + 1 when a cache was last refused
    unsigned arena;
    struct CacheEntry *next, *previous;  // the arena's list of caches (under the lock)
} CacheEntry;

typedef struct ThreadCaches {
    CacheEntry *chunks[chunk_count];  // owner only; a chunk is made on first use of its 64 arenas
} ThreadCaches;

static pthread_mutex_t module_lock = PTHREAD_MUTEX_INITIALIZER;
static CacheEntry *arena_caches[arena_slots];  // heads of the arenas' lists, under the lock
static size_t live_caches;                     // under the lock
static size_t cache_limit;                     // under the lock; 0: only jemalloc's own limit
// Advanced whenever caches are destroyed, so that refused pairs try again (jemalloc's limit
// counts every explicit cache in the process).
static _Atomic unsigned release_epoch;

static _Thread_local ThreadCaches *this_thread_caches __attribute__((tls_model("initial-exec")));
static pthread_key_t thread_exit_key;
static pthread_once_t thread_exit_key_once = PTHREAD_ONCE_INIT;

/// Destroys `entry`'s cache (its blocks go back to their arena) and takes it off its arena's
/// list. Under the lock.
static void destroy_locked(CacheEntry *entry) {
    unsigned tcache = entry->tcache;
    (void)CAllocShims_jemalloc_mallctl("tcache.destroy", NULL, NULL, &tcache, sizeof tcache);
    if (entry->previous != NULL) entry->previous->next = entry->next; else arena_caches[entry->arena] = entry->next;
    if (entry->next != NULL) entry->next->previous = entry->previous;
    entry->next = entry->previous = NULL;
    atomic_store_explicit(&entry->flags, 0, memory_order_relaxed);
    live_caches--;
}

/// Thread exit: the thread's caches are destroyed, so that exited threads hold none of
/// jemalloc's limited explicit caches and no arena memory.
static void release_thread_caches(void *value) {
    ThreadCaches *caches = value;
    int destroyed = 0;
    pthread_mutex_lock(&module_lock);
    for (int chunk = 0; chunk < chunk_count; chunk++) {
        if (caches->chunks[chunk] == NULL) continue;
        for (int slot = 0; slot < chunk_entries; slot++) {
            CacheEntry *entry = &caches->chunks[chunk][slot];
            if (atomic_load_explicit(&entry->flags, memory_order_relaxed) != 0) {
                destroy_locked(entry);
                destroyed = 1;
            }
        }
    }
    if (destroyed) atomic_fetch_add_explicit(&release_epoch, 1, memory_order_relaxed);
    pthread_mutex_unlock(&module_lock);
    for (int chunk = 0; chunk < chunk_count; chunk++) CAllocShims_platform_free(caches->chunks[chunk]);
    CAllocShims_platform_free(caches);
    // A later destructor that allocates from an arena starts a fresh table (and key value).
    if (this_thread_caches == caches) this_thread_caches = NULL;
}

static void make_thread_exit_key(void) { (void)pthread_key_create(&thread_exit_key, release_thread_caches); }

/// This thread's entry for `arena`, making its table and chunk on first use; NULL when out of memory.
static CacheEntry *own_entry(unsigned arena, int create) {
    ThreadCaches *caches = this_thread_caches;
    if (caches == NULL) {
        if (!create) return NULL;
        pthread_once(&thread_exit_key_once, make_thread_exit_key);
        caches = CAllocShims_bookkeeping_calloc(1, sizeof *caches);
        if (caches == NULL) return NULL;
        if (pthread_setspecific(thread_exit_key, caches) != 0) {
            CAllocShims_platform_free(caches);
            return NULL;
        }
        this_thread_caches = caches;
    }
    CacheEntry **chunk = &caches->chunks[arena >> chunk_bits];
    if (*chunk == NULL) {
        if (!create) return NULL;
        CacheEntry *made = CAllocShims_bookkeeping_calloc(chunk_entries, sizeof *made);
        if (made == NULL) return NULL;
        for (unsigned slot = 0; slot < chunk_entries; slot++) made[slot].arena = (arena & ~(unsigned)(chunk_entries - 1)) + slot;
        *chunk = made;
    }
    return &(*chunk)[arena & (chunk_entries - 1)];
}

static __attribute__((noinline)) int cache_flags_slow(unsigned arena) {
    int none = CAllocShims_MALLOCX_TCACHE_NONE();
    if (arena >= arena_slots) return none;
    CacheEntry *entry = own_entry(arena, 1);
    if (entry == NULL) return none;
    unsigned epoch = atomic_load_explicit(&release_epoch, memory_order_relaxed);
    if (entry->refused_epoch == epoch + 1) return none;  // refused, and nothing released since
    int flags = none;
    pthread_mutex_lock(&module_lock);
    if (cache_limit == 0 || live_caches < cache_limit) {
        unsigned tcache = 0;
        size_t length = sizeof tcache;
        // Fails with EFAULT once jemalloc's explicit caches are all taken (about 4093).
        if (CAllocShims_jemalloc_mallctl("tcache.create", &tcache, &length, NULL, 0) == 0) {
            entry->tcache = tcache;
            entry->previous = NULL;
            entry->next = arena_caches[arena];
            if (entry->next != NULL) entry->next->previous = entry;
            arena_caches[arena] = entry;
            live_caches++;
            flags = CAllocShims_MALLOCX_TCACHE((int)tcache);
            atomic_store_explicit(&entry->flags, flags, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&module_lock);
    entry->refused_epoch = flags == none ? epoch + 1 : 0;
    return flags;
}

int CAllocShims_arena_cache_flags(unsigned arena) {
    ThreadCaches *caches = this_thread_caches;
    if (__builtin_expect(caches != NULL && arena < arena_slots, 1)) {
        CacheEntry *chunk = caches->chunks[arena >> chunk_bits];
        if (__builtin_expect(chunk != NULL, 1)) {
            int flags = atomic_load_explicit(&chunk[arena & (chunk_entries - 1)].flags, memory_order_relaxed);
            if (__builtin_expect(flags != 0, 1)) return flags;
        }
    }
    return cache_flags_slow(arena);
}

void CAllocShims_arena_caches_release(unsigned arena) {
    if (arena >= arena_slots) return;
    pthread_mutex_lock(&module_lock);
    int destroyed = arena_caches[arena] != NULL;
    while (arena_caches[arena] != NULL) destroy_locked(arena_caches[arena]);
    if (destroyed) atomic_fetch_add_explicit(&release_epoch, 1, memory_order_relaxed);
    pthread_mutex_unlock(&module_lock);
}

void CAllocShims_arena_cache_flush_own(unsigned arena) {
    if (arena >= arena_slots) return;
    CacheEntry *entry = own_entry(arena, 0);
    if (entry == NULL) return;
    // Under the lock: a releaser destroying this cache at the same time holds it too.
    pthread_mutex_lock(&module_lock);
    if (atomic_load_explicit(&entry->flags, memory_order_relaxed) != 0) {
        unsigned tcache = entry->tcache;
        (void)CAllocShims_jemalloc_mallctl("tcache.flush", NULL, NULL, &tcache, sizeof tcache);
    }
    pthread_mutex_unlock(&module_lock);
}

size_t CAllocShims_arena_caches_live(void) {
    pthread_mutex_lock(&module_lock);
    size_t live = live_caches;
    pthread_mutex_unlock(&module_lock);
    return live;
}

size_t CAllocShims_arena_caches_of(unsigned arena) {
    if (arena >= arena_slots) return 0;
    size_t count = 0;
    pthread_mutex_lock(&module_lock);
    for (CacheEntry *entry = arena_caches[arena]; entry != NULL; entry = entry->next) count++;
    pthread_mutex_unlock(&module_lock);
    return count;
}

int CAllocShims_arena_cache_held_by_caller(unsigned arena) {
    if (arena >= arena_slots) return 0;
    CacheEntry *entry = own_entry(arena, 0);
    if (entry == NULL) return 0;
    pthread_mutex_lock(&module_lock);  // a releaser clears the flags under it
    int held = atomic_load_explicit(&entry->flags, memory_order_relaxed) != 0;
    pthread_mutex_unlock(&module_lock);
    return held;
}

size_t CAllocShims_arena_caches_set_limit(size_t limit) {
    pthread_mutex_lock(&module_lock);
    size_t previous = cache_limit;
    cache_limit = limit;
    pthread_mutex_unlock(&module_lock);
    atomic_fetch_add_explicit(&release_epoch, 1, memory_order_relaxed);  // refused pairs may try again
    return previous;
}

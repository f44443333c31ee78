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

/// One (thread, arena) pair: exactly one cache line (chunks of them start a line), so the
/// owner's writes to its share below never touch a line another thread writes.
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
    // This thread's share of the arena's live-block count: +1 for each block it acquired, -1 for
    // each it released (a block may be released on another thread, so one share can be
    // negative; only the sum over threads means anything). Written by the owner only (a
    // sequentially consistent read-modify-write on its own line, see the count section below),
    // read by summers under the lock.
    _Atomic long live;
    int counted;  // owner only, set under the lock: the entry is on its arena's counted list
    struct CacheEntry *counted_next, *counted_previous;  // the arena's counted list (under the lock)
} CacheEntry;
_Static_assert(sizeof(CacheEntry) == CAllocShims_cache_line_size, "a cache entry is one cache line");

typedef struct ThreadCaches {
    CacheEntry *chunks[chunk_count];  // owner only; a chunk is made on first use of its 64 arenas
} ThreadCaches;

static pthread_mutex_t module_lock = PTHREAD_MUTEX_INITIALIZER;
static CacheEntry *arena_caches[arena_slots];  // heads of the arenas' lists, under the lock
static CacheEntry *arena_counted[arena_slots];  // heads of the arenas' counted lists, under the lock
// The part of each arena's live-block count not held by a listed entry: shares of exited
// threads (folded in at their exit, under the lock) and of threads that could get no entry.
static _Atomic long arena_unlisted_live[arena_slots];
// An orphaned arena's token (its Swift owner's retained core) until it is reaped; NULL otherwise.
static void *_Atomic arena_orphan_token[arena_slots];
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

/// Takes `entry` off its arena's counted list. Under the lock.
static void unlink_counted_locked(CacheEntry *entry) {
    if (entry->counted_previous != NULL) entry->counted_previous->counted_next = entry->counted_next;
    else arena_counted[entry->arena] = entry->counted_next;
    if (entry->counted_next != NULL) entry->counted_next->counted_previous = entry->counted_previous;
    entry->counted_next = entry->counted_previous = NULL;
    entry->counted = 0;
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
            if (entry->counted) {
                // The share outlives the thread: blocks it acquired may be released elsewhere.
                long share = atomic_load_explicit(&entry->live, memory_order_seq_cst);
                atomic_fetch_add_explicit(&arena_unlisted_live[entry->arena], share, memory_order_seq_cst);
                unlink_counted_locked(entry);
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
        caches = CAllocShims_bookkeeping_zeroed_lines(1, sizeof *caches);
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
        CacheEntry *made = CAllocShims_bookkeeping_zeroed_lines(chunk_entries, sizeof *made);
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

const void *CAllocShims_arena_entry_of_caller(unsigned arena) {
    return arena < arena_slots ? own_entry(arena, 0) : NULL;
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

// MARK: Live-block counts
//
// Why per thread: an arena's live-block count was one atomic word that every thread using the
// arena wrote twice per block (a compare-and-swap to acquire, a subtract to release), the one
// cache line all of a tenant's threads fought over. Each thread now counts on its own entry.
//
// Why sequentially consistent: a reset, destroy or reaping must never run while a block is
// live, and a block must never be made while one runs. The two sides are a Dekker pair:
//   allocating thread:  share += 1 (seq_cst RMW);  then load the arena's state (seq_cst)
//   exclusive side:     set the state (seq_cst);   then sum the shares (seq_cst loads)
// In the single total order of seq_cst operations either the increment comes first, and the
// sum sees it (the exclusive side gives up: in use), or the state change does, and the
// allocating thread sees it (it takes its increment back and refuses). The same pairing
// orders a release's decrement against an orphaning: the releaser decrements, then loads the
// orphan token; the orphaning side stores the token, then sums; at least one of them sees the
// count at zero with the token set, and whoever takes the token under the lock reaps. The RMW
// is on the thread's own line, so no other thread's work writes it.

/// This thread's listed entry for `arena`, listing it on first use; NULL when none can be had.
static __attribute__((noinline)) CacheEntry *counted_entry_slow(unsigned arena) {
    CacheEntry *entry = own_entry(arena, 1);
    if (entry == NULL) return NULL;
    if (!entry->counted) {
        pthread_mutex_lock(&module_lock);
        entry->counted_previous = NULL;
        entry->counted_next = arena_counted[arena];
        if (entry->counted_next != NULL) entry->counted_next->counted_previous = entry;
        arena_counted[arena] = entry;
        entry->counted = 1;
        pthread_mutex_unlock(&module_lock);
    }
    return entry;
}

/// The word this thread counts `arena`'s blocks on: its entry's share, or the arena's unlisted
/// word when no entry can be had (out of memory).
static inline _Atomic long *count_word(unsigned arena) {
    ThreadCaches *caches = this_thread_caches;
    if (__builtin_expect(caches != NULL, 1)) {
        CacheEntry *chunk = caches->chunks[arena >> chunk_bits];
        if (__builtin_expect(chunk != NULL, 1)) {
            CacheEntry *entry = &chunk[arena & (chunk_entries - 1)];
            if (__builtin_expect(entry->counted, 1)) return &entry->live;
        }
    }
    CacheEntry *entry = counted_entry_slow(arena);
    return entry != NULL ? &entry->live : &arena_unlisted_live[arena];
}

void CAllocShims_arena_count_acquire(unsigned arena) {
    if (arena >= arena_slots) return;
    atomic_fetch_add_explicit(count_word(arena), 1, memory_order_seq_cst);
}

int CAllocShims_arena_count_release(unsigned arena) {
    if (arena >= arena_slots) return 0;
    atomic_fetch_sub_explicit(count_word(arena), 1, memory_order_seq_cst);
    return atomic_load_explicit(&arena_orphan_token[arena], memory_order_seq_cst) != NULL;
}

/// The sum of the shares. Under the lock.
static long count_sum_locked(unsigned arena) {
    long sum = atomic_load_explicit(&arena_unlisted_live[arena], memory_order_seq_cst);
    for (CacheEntry *entry = arena_counted[arena]; entry != NULL; entry = entry->counted_next)
        sum += atomic_load_explicit(&entry->live, memory_order_seq_cst);
    return sum;
}

long CAllocShims_arena_count_sum(unsigned arena) {
    if (arena >= arena_slots) return 0;
    pthread_mutex_lock(&module_lock);
    long sum = count_sum_locked(arena);
    pthread_mutex_unlock(&module_lock);
    return sum;
}

void CAllocShims_arena_orphan(unsigned arena, void *token) {
    if (arena >= arena_slots) return;
    atomic_store_explicit(&arena_orphan_token[arena], token, memory_order_seq_cst);
}

void *CAllocShims_arena_reap(unsigned arena) {
    if (arena >= arena_slots) return NULL;
    void *token = NULL;
    pthread_mutex_lock(&module_lock);
    if (atomic_load_explicit(&arena_orphan_token[arena], memory_order_seq_cst) != NULL && count_sum_locked(arena) == 0)
        token = atomic_exchange_explicit(&arena_orphan_token[arena], NULL, memory_order_seq_cst);
    pthread_mutex_unlock(&module_lock);
    return token;
}

// Thread caches dedicated to one jemalloc arena (arena_thread_caches.c).
//
// A dedicated arena used without a thread cache takes the arena's bin lock on every call; a
// thread cache that serves several arenas would hand one arena's freed block to another's
// user. So each (thread, arena) pair in use gets an explicit jemalloc cache (`tcache.create`)
// that is only ever passed with that arena's blocks: whatever it caches can only go back to,
// or be handed out again by, that arena.
//
// Caller's contract, which JemallocArena's lifecycle count provides: a thread calls
// CAllocShims_arena_cache_flags(arena) and uses the flags only while it holds a counted block
// of the arena (between acquiring the count and allocating, or between freeing and giving the
// count back), and CAllocShims_arena_caches_release(arena) runs only while nobody holds one
// (the arena taken exclusively, or its last reference gone). A release therefore never meets
// a thread in the middle of using the cache it destroys, and the count's acquire/release
// ordering makes the destroy visible to the thread's next use.
#ifndef CALLOCSHIMS_ARENA_CACHES_H
#define CALLOCSHIMS_ARENA_CACHES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The tcache field of the mallocx/sdallocx/rallocx flags for this thread and `arena`:
/// MALLOCX_TCACHE(tc) of this thread's cache of that arena, created on first use, or
/// MALLOCX_TCACHE_NONE when none can be had (jemalloc absent, its explicit-cache limit of
/// about 4093 reached, or this module's limit, see below). A refused pair tries again after
/// some cache was destroyed.
int CAllocShims_arena_cache_flags(unsigned arena);

/// Flushes every thread's cache of `arena` back to the arena and destroys them. Call before
/// `arena.<i>.reset` and `arena.<i>.destroy` (jemalloc requires every cache used with the
/// arena flushed first), under the contract above.
void CAllocShims_arena_caches_release(unsigned arena);

/// Flushes the calling thread's own cache of `arena`, if any, back to the arena (before a
/// purge, so that blocks this thread freed count as the arena's free memory). Safe at any
/// time from the owning thread.
void CAllocShims_arena_cache_flush_own(unsigned arena);

/// Explicit caches this module holds now, over all threads and arenas.
size_t CAllocShims_arena_caches_live(void);

/// Caches of `arena` held now, over all threads (one per thread that used it since its last
/// reset or destroy and has not exited).
size_t CAllocShims_arena_caches_of(unsigned arena);

/// Whether the calling thread holds a cache of `arena` now. Unlike the count above, it cannot
/// see another thread's cache of an arena that took a destroyed arena's index (for tests).
int CAllocShims_arena_cache_held_by_caller(unsigned arena);

/// The calling thread's entry for `arena` (its cache and its share of the live-block count),
/// NULL before the thread used any arena of the same 64 (its table is made per 64): for tests
/// of its layout.
const void *CAllocShims_arena_entry_of_caller(unsigned arena);

/// The most caches this module creates at once (default: no limit below jemalloc's own).
/// For tests of the fallback; 0 restores the default. Returns the previous limit.
size_t CAllocShims_arena_caches_set_limit(size_t limit);

// MARK: Live-block counts per (thread, arena)
//
// An arena's live-block count is the sum of per-thread shares (each thread writes only its
// own), plus what exited threads left. See arena_thread_caches.c for why the operations are
// sequentially consistent and how they pair with the arena's state (JemallocArena's core).

/// Counts one more live block of `arena` on the calling thread's share (seq_cst). The caller
/// then loads the arena's state (seq_cst) and, if it may not allocate, releases the count again.
void CAllocShims_arena_count_acquire(unsigned arena);

/// Counts one block of `arena` fewer on the calling thread's share (seq_cst); returns nonzero
/// when the arena is orphaned (its owner is gone): the caller then tries
/// CAllocShims_arena_reap. Touch nothing of the arena's owner after this call: once the count
/// may be zero, a reaper on another thread may free it.
int CAllocShims_arena_count_release(unsigned arena);

/// The arena's live blocks now: the sum of the shares (under the module lock).
long CAllocShims_arena_count_sum(unsigned arena);

/// Marks `arena` orphaned, with `token` (non-NULL) for whoever reaps it (seq_cst store). The
/// caller then tries CAllocShims_arena_reap itself.
void CAllocShims_arena_orphan(unsigned arena, void *token);

/// When `arena` is orphaned and has no live block: takes and returns its token (exactly one
/// caller gets it), else NULL. The taker destroys the arena's caches and the arena.
void *CAllocShims_arena_reap(unsigned arena);

#ifdef __cplusplus
}
#endif

#endif

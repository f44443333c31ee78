// Per-thread allocation counters: the shim's own statistics without shared atomic traffic.
#ifndef CALLOCSHIMS_COUNTERS_H
#define CALLOCSHIMS_COUNTERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Number of counter slots a process can hold (one per allocator object that asks).
enum { CAllocShims_counter_slot_capacity = 256 };

/// Reserves a slot; returns its index, or -1 when all are taken (the caller then counts
/// some other way). A slot reused after CAllocShims_counter_slot_release reads zero.
int CAllocShims_counter_slot_reserve(void);
/// Returns a slot when its owner dies: its counts are cleared in every thread and in the
/// retired totals, and it goes back on the free list. Call it only once nothing can record
/// into the slot any more. Releasing a slot that is not reserved is ignored.
void CAllocShims_counter_slot_release(int slot);
/// How many slots are reserved now (for tests and diagnostics).
int CAllocShims_counter_slots_in_use(void);

/// One slot's counts in one thread's block. Only the owning thread writes them.
typedef struct CAllocShims_Counts {
    int64_t allocations, deallocations, live_bytes;
} CAllocShims_Counts;

/// One thread's counts for every slot, linked into the registry that readers walk.
typedef struct CAllocShims_CounterBlock {
    CAllocShims_Counts slots[CAllocShims_counter_slot_capacity];
    struct CAllocShims_CounterBlock *next, *previous;
} CAllocShims_CounterBlock;

/// The calling thread's block (NULL before its first count): for tests of its layout.
const void *CAllocShims_counter_block_of_caller(void);

/// This thread's block, or NULL before its first count and after the thread-exit fold.
/// initial-exec: one %fs-relative load (a general-dynamic access called __tls_get_addr on
/// every count, which showed in profiles); small enough for glibc's static TLS surplus.
extern _Thread_local CAllocShims_CounterBlock *CAllocShims_counter_this_thread __attribute__((tls_model("initial-exec")));

/// The out-of-line paths: the first count on a thread (allocates its block), counts after the
/// thread's block was folded at exit (from later thread-exit destructors), and a failed block
/// allocation; these go to the thread's new block or to the retired totals.
void CAllocShims_counter_record_slow(int slot, int64_t allocations, int64_t deallocations, int64_t bytes);

/// Only this thread writes its block, so load-add-store cannot lose an update; relaxed atomics
/// (a plain mov, no lock prefix) because readers on other threads load the same words.
static inline void CAllocShims_counter_bump(int64_t *counter, int64_t delta) {
    // Unsigned arithmetic: counts wrap modulo 2^64 (documented) instead of overflowing, which
    // for signed integers is undefined behaviour.
    __atomic_store_n(counter, (int64_t)((uint64_t)__atomic_load_n(counter, __ATOMIC_RELAXED) + (uint64_t)delta), __ATOMIC_RELAXED);
}

/// Adds to this thread's counts for `slot`: inline, no lock prefix, so threads never contend.
/// Slots outside 0..<capacity are ignored.
static inline void CAllocShims_counter_record(int slot, int64_t allocations, int64_t deallocations, int64_t bytes) {
    if ((unsigned)slot >= (unsigned)CAllocShims_counter_slot_capacity) return;
    CAllocShims_CounterBlock *block = CAllocShims_counter_this_thread;
    if (__builtin_expect(block == NULL, 0)) {
        CAllocShims_counter_record_slow(slot, allocations, deallocations, bytes);
        return;
    }
    CAllocShims_Counts *counts = &block->slots[slot];
    if (allocations) CAllocShims_counter_bump(&counts->allocations, allocations);
    if (deallocations) CAllocShims_counter_bump(&counts->deallocations, deallocations);
    CAllocShims_counter_bump(&counts->live_bytes, bytes);
}

static inline void CAllocShims_counter_record_allocation(int slot, int64_t bytes) { CAllocShims_counter_record(slot, 1, 0, bytes); }
static inline void CAllocShims_counter_record_deallocation(int slot, int64_t bytes) { CAllocShims_counter_record(slot, 0, 1, -bytes); }
static inline void CAllocShims_counter_record_resize(int slot, int64_t delta_bytes) { CAllocShims_counter_record(slot, 0, 0, delta_bytes); }

/// Sums a slot over live threads and threads that have exited.
void CAllocShims_counter_read(int slot, int64_t *allocations, int64_t *deallocations, int64_t *live_bytes);

#ifdef __cplusplus
}
#endif

#endif

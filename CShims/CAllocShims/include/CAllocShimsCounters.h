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

/// Adds to this thread's counts for `slot`: plain stores to thread-owned memory, no lock
/// prefix, so threads never contend. The first call on a thread allocates its block. Calls
/// made after the thread's block was folded at thread exit (from later thread-exit
/// destructors), or when the block could not be allocated, go to the retired totals.
void CAllocShims_counter_record_allocation(int slot, int64_t bytes);
void CAllocShims_counter_record_deallocation(int slot, int64_t bytes);
void CAllocShims_counter_record_resize(int slot, int64_t delta_bytes);

/// Sums a slot over live threads and threads that have exited.
void CAllocShims_counter_read(int slot, int64_t *allocations, int64_t *deallocations, int64_t *live_bytes);

#ifdef __cplusplus
}
#endif

#endif

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
/// some other way). Slots are never returned: allocator objects that want one are few.
int CAllocShims_counter_slot_reserve(void);

/// Adds to this thread's counts for `slot`: plain stores to thread-owned memory, no lock
/// prefix, so threads never contend. The first call on a thread allocates its block.
void CAllocShims_counter_record_allocation(int slot, int64_t bytes);
void CAllocShims_counter_record_deallocation(int slot, int64_t bytes);
void CAllocShims_counter_record_resize(int slot, int64_t delta_bytes);

/// Sums a slot over live threads and threads that have exited.
void CAllocShims_counter_read(int slot, int64_t *allocations, int64_t *deallocations, int64_t *live_bytes);

#ifdef __cplusplus
}
#endif

#endif

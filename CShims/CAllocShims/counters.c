// Per-thread allocation counters. Each thread owns a block of counts; only the owner writes
// it (relaxed atomic load + store: a plain mov, no lock prefix), readers sum every block
// under the registry lock with relaxed loads, so sums are exact for everything that happened
// before the read. A thread's block is folded into `retired` when the thread exits.
//
// Two lifetimes meet here, and both are handled explicitly:
// - A thread's exit. Its block is folded and freed by a pthread key destructor, but other
//   destructors (pthread keys created after ours, Swift thread-locals) may still run on the
//   thread afterwards and release buffers. So the fold also clears the thread's pointer and
//   marks the thread as exited: counts recorded after the fold go straight into `retired`
//   with atomic read-modify-writes (several exiting threads may do this at once). The same
//   shared path takes counts when a thread's block cannot be allocated at all.
// - A slot owner's death. Slots are returned with CAllocShims_counter_slot_release: under
//   the registry lock the slot is zeroed in `retired` and in every live thread's block, then
//   put on a free list. No thread can be writing the slot then (its owner is gone, and only
//   the owner's calls write it), and whoever reserves it next synchronises through the same
//   lock, so a reused slot starts from zero and never shows a dead owner's counts.
#include "CAllocShims.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct Counts {
    _Atomic int64_t allocations, deallocations, live_bytes;
} Counts;

typedef struct ThreadBlock {
    Counts slots[CAllocShims_counter_slot_capacity];
    struct ThreadBlock *next, *previous;
} ThreadBlock;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static ThreadBlock *registry;
static Counts retired[CAllocShims_counter_slot_capacity];
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local ThreadBlock *this_thread;
/// Set by the fold: this thread's destructors are running, its block is gone for good.
static _Thread_local bool this_thread_has_exited;

// Slot allocation, under registry_lock: slots never handed out are [next_unused, capacity);
// returned slots form a stack in free_slots[0..<free_count].
static int next_unused;
static int free_slots[CAllocShims_counter_slot_capacity];
static int free_count;
static int reserved_count;

static void add_into(Counts *into, const Counts *from) {
    atomic_fetch_add_explicit(&into->allocations, atomic_load_explicit(&from->allocations, memory_order_relaxed), memory_order_relaxed);
    atomic_fetch_add_explicit(&into->deallocations, atomic_load_explicit(&from->deallocations, memory_order_relaxed), memory_order_relaxed);
    atomic_fetch_add_explicit(&into->live_bytes, atomic_load_explicit(&from->live_bytes, memory_order_relaxed), memory_order_relaxed);
}

static void clear(Counts *counts) {
    atomic_store_explicit(&counts->allocations, 0, memory_order_relaxed);
    atomic_store_explicit(&counts->deallocations, 0, memory_order_relaxed);
    atomic_store_explicit(&counts->live_bytes, 0, memory_order_relaxed);
}

static void fold_on_exit(void *argument) {
    ThreadBlock *block = argument;
    pthread_mutex_lock(&registry_lock);
    for (int slot = 0; slot < CAllocShims_counter_slot_capacity; slot++) add_into(&retired[slot], &block->slots[slot]);
    if (block->previous) block->previous->next = block->next; else registry = block->next;
    if (block->next) block->next->previous = block->previous;
    pthread_mutex_unlock(&registry_lock);
    // Before the free: a destructor that runs after this one must not find the block.
    this_thread = NULL;
    this_thread_has_exited = true;
    free(block);
}

static void make_key(void) { pthread_key_create(&exit_key, fold_on_exit); }

/// This thread's block, or NULL when counts must go to `retired` directly (the thread has
/// exited, or its block could not be allocated).
static ThreadBlock *block_for_this_thread(void) {
    if (this_thread != NULL) return this_thread;
    if (this_thread_has_exited) return NULL;
    pthread_once(&key_once, make_key);
    ThreadBlock *block = calloc(1, sizeof *block);
    if (block == NULL) return NULL;
    if (pthread_setspecific(exit_key, block) != 0) {  // no fold would ever see it
        free(block);
        return NULL;
    }
    pthread_mutex_lock(&registry_lock);
    block->next = registry;
    if (registry) registry->previous = block;
    registry = block;
    pthread_mutex_unlock(&registry_lock);
    this_thread = block;
    return block;
}

int CAllocShims_counter_slot_reserve(void) {
    int slot = -1;
    pthread_mutex_lock(&registry_lock);
    if (free_count > 0) {
        slot = free_slots[--free_count];
    } else if (next_unused < CAllocShims_counter_slot_capacity) {
        slot = next_unused++;
    }
    if (slot >= 0) reserved_count++;
    pthread_mutex_unlock(&registry_lock);
    return slot;
}

void CAllocShims_counter_slot_release(int slot) {
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    pthread_mutex_lock(&registry_lock);
    // Refuse a slot that is not reserved (a double release would hand it out twice).
    bool reserved = slot < next_unused;
    for (int index = 0; reserved && index < free_count; index++) reserved = free_slots[index] != slot;
    if (reserved) {
        clear(&retired[slot]);
        for (ThreadBlock *block = registry; block != NULL; block = block->next) clear(&block->slots[slot]);
        free_slots[free_count++] = slot;
        reserved_count--;
    }
    pthread_mutex_unlock(&registry_lock);
}

int CAllocShims_counter_slots_in_use(void) {
    pthread_mutex_lock(&registry_lock);
    int count = reserved_count;
    pthread_mutex_unlock(&registry_lock);
    return count;
}

// Only this thread writes its block, so load-add-store cannot lose an update.
static inline void bump(_Atomic int64_t *counter, int64_t delta) {
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + delta, memory_order_relaxed);
}

/// The counts this thread writes for `slot`, or NULL for the shared `retired` path.
static inline Counts *counts_for_this_thread(int slot) {
    ThreadBlock *block = block_for_this_thread();
    return block != NULL ? &block->slots[slot] : NULL;
}

void CAllocShims_counter_record_allocation(int slot, int64_t bytes) {
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    Counts *counts = counts_for_this_thread(slot);
    if (counts != NULL) {
        bump(&counts->allocations, 1);
        bump(&counts->live_bytes, bytes);
    } else {
        atomic_fetch_add_explicit(&retired[slot].allocations, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&retired[slot].live_bytes, bytes, memory_order_relaxed);
    }
}

void CAllocShims_counter_record_deallocation(int slot, int64_t bytes) {
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    Counts *counts = counts_for_this_thread(slot);
    if (counts != NULL) {
        bump(&counts->deallocations, 1);
        bump(&counts->live_bytes, -bytes);
    } else {
        atomic_fetch_add_explicit(&retired[slot].deallocations, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&retired[slot].live_bytes, bytes, memory_order_relaxed);
    }
}

void CAllocShims_counter_record_resize(int slot, int64_t delta_bytes) {
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    Counts *counts = counts_for_this_thread(slot);
    if (counts != NULL) {
        bump(&counts->live_bytes, delta_bytes);
    } else {
        atomic_fetch_add_explicit(&retired[slot].live_bytes, delta_bytes, memory_order_relaxed);
    }
}

void CAllocShims_counter_read(int slot, int64_t *allocations, int64_t *deallocations, int64_t *live_bytes) {
    *allocations = *deallocations = *live_bytes = 0;
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    pthread_mutex_lock(&registry_lock);
    int64_t a = atomic_load_explicit(&retired[slot].allocations, memory_order_relaxed);
    int64_t d = atomic_load_explicit(&retired[slot].deallocations, memory_order_relaxed);
    int64_t l = atomic_load_explicit(&retired[slot].live_bytes, memory_order_relaxed);
    for (ThreadBlock *block = registry; block != NULL; block = block->next) {
        a += atomic_load_explicit(&block->slots[slot].allocations, memory_order_relaxed);
        d += atomic_load_explicit(&block->slots[slot].deallocations, memory_order_relaxed);
        l += atomic_load_explicit(&block->slots[slot].live_bytes, memory_order_relaxed);
    }
    pthread_mutex_unlock(&registry_lock);
    *allocations = a;
    *deallocations = d;
    *live_bytes = l;
}

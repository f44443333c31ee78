// Per-thread allocation counters. Each thread owns a block of counts; only the owner writes
// it (relaxed atomic load + store: a plain mov, no lock prefix), readers sum every block
// under the registry lock with relaxed loads, so sums are exact for everything that happened
// before the read. A thread's block is folded into `retired` when the thread exits.
#include "CAllocShims.h"

#include <pthread.h>
#include <stdatomic.h>
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
static _Atomic int next_slot;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local ThreadBlock *this_thread;

static void fold_on_exit(void *argument) {
    ThreadBlock *block = argument;
    pthread_mutex_lock(&registry_lock);
    for (int slot = 0; slot < CAllocShims_counter_slot_capacity; slot++) {
        atomic_fetch_add_explicit(&retired[slot].allocations, atomic_load_explicit(&block->slots[slot].allocations, memory_order_relaxed), memory_order_relaxed);
        atomic_fetch_add_explicit(&retired[slot].deallocations, atomic_load_explicit(&block->slots[slot].deallocations, memory_order_relaxed), memory_order_relaxed);
        atomic_fetch_add_explicit(&retired[slot].live_bytes, atomic_load_explicit(&block->slots[slot].live_bytes, memory_order_relaxed), memory_order_relaxed);
    }
    if (block->previous) block->previous->next = block->next; else registry = block->next;
    if (block->next) block->next->previous = block->previous;
    pthread_mutex_unlock(&registry_lock);
    free(block);
}

static void make_key(void) { pthread_key_create(&exit_key, fold_on_exit); }

static ThreadBlock *block_for_this_thread(void) {
    if (this_thread != NULL) return this_thread;
    pthread_once(&key_once, make_key);
    ThreadBlock *block = calloc(1, sizeof *block);
    if (block == NULL) return NULL;
    pthread_mutex_lock(&registry_lock);
    block->next = registry;
    if (registry) registry->previous = block;
    registry = block;
    pthread_mutex_unlock(&registry_lock);
    pthread_setspecific(exit_key, block);
    this_thread = block;
    return block;
}

int CAllocShims_counter_slot_reserve(void) {
    int slot = atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed);
    return slot < CAllocShims_counter_slot_capacity ? slot : -1;
}

// Only this thread writes its block, so load-add-store cannot lose an update.
static inline void bump(_Atomic int64_t *counter, int64_t delta) {
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + delta, memory_order_relaxed);
}

void CAllocShims_counter_record_allocation(int slot, int64_t bytes) {
    ThreadBlock *block = block_for_this_thread();
    if (block == NULL || slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    bump(&block->slots[slot].allocations, 1);
    bump(&block->slots[slot].live_bytes, bytes);
}

void CAllocShims_counter_record_deallocation(int slot, int64_t bytes) {
    ThreadBlock *block = block_for_this_thread();
    if (block == NULL || slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    bump(&block->slots[slot].deallocations, 1);
    bump(&block->slots[slot].live_bytes, -bytes);
}

void CAllocShims_counter_record_resize(int slot, int64_t delta_bytes) {
    ThreadBlock *block = block_for_this_thread();
    if (block == NULL || slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    bump(&block->slots[slot].live_bytes, delta_bytes);
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

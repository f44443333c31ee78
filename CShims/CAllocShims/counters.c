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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef CAllocShims_Counts Counts;
typedef CAllocShims_CounterBlock ThreadBlock;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static ThreadBlock *registry;
static Counts retired[CAllocShims_counter_slot_capacity];
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
_Thread_local ThreadBlock *CAllocShims_counter_this_thread __attribute__((tls_model("initial-exec")));
/// Set by the fold: this thread's destructors are running, its block is gone for good.
static _Thread_local bool this_thread_has_exited;

// Slot allocation, under registry_lock: slots never handed out are [next_unused, capacity);
// returned slots form a stack in free_slots[0..<free_count].
static int next_unused;
static int free_slots[CAllocShims_counter_slot_capacity];
static int free_count;
static int reserved_count;

// The counts are plain int64_t shared with the inline writers in the header, so every access
// here is a __atomic builtin: relaxed loads and read-modify-writes, visible to ThreadSanitizer.
static int64_t load(const int64_t *counter) { return __atomic_load_n(counter, __ATOMIC_RELAXED); }
static void add(int64_t *counter, int64_t delta) { __atomic_fetch_add(counter, delta, __ATOMIC_RELAXED); }

static void add_into(Counts *into, const Counts *from) {
    add(&into->allocations, load(&from->allocations));
    add(&into->deallocations, load(&from->deallocations));
    add(&into->live_bytes, load(&from->live_bytes));
}

static void clear(Counts *counts) {
    __atomic_store_n(&counts->allocations, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counts->deallocations, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counts->live_bytes, 0, __ATOMIC_RELAXED);
}

static void fold_on_exit(void *argument) {
    ThreadBlock *block = argument;
    pthread_mutex_lock(&registry_lock);
    for (int slot = 0; slot < CAllocShims_counter_slot_capacity; slot++) add_into(&retired[slot], &block->slots[slot]);
    if (block->previous) block->previous->next = block->next; else registry = block->next;
    if (block->next) block->next->previous = block->previous;
    pthread_mutex_unlock(&registry_lock);
    // Before the free: a destructor that runs after this one must not find the block.
    CAllocShims_counter_this_thread = NULL;
    this_thread_has_exited = true;
    free(block);
}

static void make_key(void) { pthread_key_create(&exit_key, fold_on_exit); }

/// This thread's block, or NULL when counts must go to `retired` directly (the thread has
/// exited, or its block could not be allocated).
static ThreadBlock *block_for_this_thread(void) {
    if (CAllocShims_counter_this_thread != NULL) return CAllocShims_counter_this_thread;
    if (this_thread_has_exited) return NULL;
    pthread_once(&key_once, make_key);
    // Whole cache lines of its own: the counts are written on every allocation, and a line
    // shared with the heap's next block (another thread's, say) would be written by both.
    size_t bytes = (sizeof(ThreadBlock) + CAllocShims_cache_line_size - 1) & ~(size_t)(CAllocShims_cache_line_size - 1);
    ThreadBlock *block = aligned_alloc(CAllocShims_cache_line_size, bytes);
    if (block == NULL) return NULL;
    memset(block, 0, bytes);
    if (pthread_setspecific(exit_key, block) != 0) {  // no fold would ever see it
        free(block);
        return NULL;
    }
    pthread_mutex_lock(&registry_lock);
    block->next = registry;
    if (registry) registry->previous = block;
    registry = block;
    pthread_mutex_unlock(&registry_lock);
    CAllocShims_counter_this_thread = block;
    return block;
}

const void *CAllocShims_counter_block_of_caller(void) { return CAllocShims_counter_this_thread; }

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

void CAllocShims_counter_record_slow(int slot, int64_t allocations, int64_t deallocations, int64_t bytes) {
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    ThreadBlock *block = block_for_this_thread();
    if (block != NULL) {
        CAllocShims_counter_record(slot, allocations, deallocations, bytes);  // now the inline path
        return;
    }
    // Several exiting threads may land here at once: read-modify-writes.
    add(&retired[slot].allocations, allocations);
    add(&retired[slot].deallocations, deallocations);
    add(&retired[slot].live_bytes, bytes);
}

void CAllocShims_counter_read(int slot, int64_t *allocations, int64_t *deallocations, int64_t *live_bytes) {
    *allocations = *deallocations = *live_bytes = 0;
    if (slot < 0 || slot >= CAllocShims_counter_slot_capacity) return;
    pthread_mutex_lock(&registry_lock);
    int64_t a = load(&retired[slot].allocations);
    int64_t d = load(&retired[slot].deallocations);
    int64_t l = load(&retired[slot].live_bytes);
    for (ThreadBlock *block = registry; block != NULL; block = block->next) {
        a += load(&block->slots[slot].allocations);
        d += load(&block->slots[slot].deallocations);
        l += load(&block->slots[slot].live_bytes);
    }
    pthread_mutex_unlock(&registry_lock);
    *allocations = a;
    *deallocations = d;
    *live_bytes = l;
}

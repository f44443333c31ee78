// Per-thread slabs (see CAllocShimsThreadSlabs.h).
//
// Lifetime: an entry owns one reference to its slab object. When the thread exits, a
// pthread key destructor drops every reference the thread still holds; the slab itself is
// freed by whoever drops its last reference (a live buffer may still use it). If a later
// destructor of the same thread cuts again, the entry is re-armed: pthread runs destructors
// again for keys set during destruction.
#include "CAllocShimsThreadSlabs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

_Thread_local CAllocShims_ThreadSlab CAllocShims_thread_slab_entries[CAllocShims_thread_slab_slot_capacity]
    __attribute__((tls_model("initial-exec")));
_Thread_local int CAllocShims_thread_slab_armed __attribute__((tls_model("initial-exec")));

_Thread_local uint32_t CAllocShims_thread_number_storage __attribute__((tls_model("initial-exec")));
static _Atomic uint32_t next_thread_number;

uint32_t CAllocShims_thread_number_assign(void) {
    // Wraps after 4 billion threads, skipping 0 (which means "not numbered yet").
    uint32_t number = atomic_fetch_add_explicit(&next_thread_number, 1, memory_order_relaxed) + 1;
    if (number == 0) number = atomic_fetch_add_explicit(&next_thread_number, 1, memory_order_relaxed) + 1;
    CAllocShims_thread_number_storage = number;
    return number;
}

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static int next_slot;
static int free_slots[CAllocShims_thread_slab_slot_capacity];
static int free_count;
static void (*_Atomic release_slab)(void *slab, uint64_t cuts);
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void release_thread_slabs(void *unused) {
    (void)unused;
    CAllocShims_thread_slab_armed = 0;  // a later cut on this thread arms again
    void (*release)(void *, uint64_t) = atomic_load_explicit(&release_slab, memory_order_acquire);
    for (int slot = 0; slot < CAllocShims_thread_slab_slot_capacity; slot++) {
        void *slab = CAllocShims_thread_slab_entries[slot].slab;
        uint64_t cuts = CAllocShims_thread_slab_entries[slot].cuts;
        memset(&CAllocShims_thread_slab_entries[slot], 0, sizeof CAllocShims_thread_slab_entries[slot]);
        if (slab != NULL && release != NULL) release(slab, cuts);
    }
}

static void make_key(void) { pthread_key_create(&exit_key, release_thread_slabs); }

int CAllocShims_thread_slab_slot_reserve(void) {
    int slot = -1;
    pthread_mutex_lock(&slots_lock);
    if (free_count > 0) slot = free_slots[--free_count];
    else if (next_slot < CAllocShims_thread_slab_slot_capacity) slot = next_slot++;
    pthread_mutex_unlock(&slots_lock);
    return slot;
}

void CAllocShims_thread_slab_slot_release(int slot) {
    if (slot < 0 || slot >= CAllocShims_thread_slab_slot_capacity) return;
    pthread_mutex_lock(&slots_lock);
    if (free_count < CAllocShims_thread_slab_slot_capacity) free_slots[free_count++] = slot;
    pthread_mutex_unlock(&slots_lock);
}

void CAllocShims_thread_slab_arm(void) {
    pthread_once(&key_once, make_key);
    pthread_setspecific(exit_key, (void *)1);  // any non-NULL value runs the destructor
    CAllocShims_thread_slab_armed = 1;
}

void CAllocShims_thread_slab_set_release(void (*release)(void *slab, uint64_t cuts)) {
    atomic_store_explicit(&release_slab, release, memory_order_release);
}

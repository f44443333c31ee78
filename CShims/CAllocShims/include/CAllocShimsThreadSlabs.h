// Per-thread slabs for the buffer pools of the built-in backends: each thread cuts small
// buffers from its own current slab, with no lock (a shared cursor under a mutex collapsed
// from 25 to 8 million buffers/s when a second thread joined).
#ifndef CALLOCSHIMS_THREAD_SLABS_H
#define CALLOCSHIMS_THREAD_SLABS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Pools that can have per-thread slabs in one process (the shared pool of each built-in
/// backend needs one; others use the pool's shared cursor).
enum { CAllocShims_thread_slab_slot_capacity = 16 };

/// One thread's current slab for one pool. Only its thread reads or writes it.
typedef struct CAllocShims_ThreadSlab {
    uint64_t pool_id;   // the pool the slab belongs to: a number never reused, unlike an address
    void *slab;         // the slab object, owned by this entry (see SlabPool.swift), or NULL
    char *cursor;       // the next free byte
    size_t remaining;   // free bytes from `cursor` to the slab's end
    uint64_t cuts;      // slices cut from `slab` and not released on this thread since: handed to the slab when the entry lets go
} CAllocShims_ThreadSlab;

/// Reserves a slot for a pool; -1 when all are taken.
int CAllocShims_thread_slab_slot_reserve(void);
/// Returns a dead pool's slot. Threads still holding a slab of it in that slot drop it on
/// their next cut there (the pool id differs) or when they exit.
void CAllocShims_thread_slab_slot_release(int slot);

/// Every thread's entries, and whether its exit destructor is armed. initial-exec: a plain
/// %fs-relative access instead of a __tls_get_addr call on each cut (it showed in profiles);
/// small enough for glibc's static TLS surplus even in a library loaded later.
extern _Thread_local CAllocShims_ThreadSlab CAllocShims_thread_slab_entries[CAllocShims_thread_slab_slot_capacity]
    __attribute__((tls_model("initial-exec")));
extern _Thread_local int CAllocShims_thread_slab_armed __attribute__((tls_model("initial-exec")));

/// This thread's entry for `slot` without arming anything: for a release to check whether its
/// slab is still this thread's current one (an unarmed thread's entries are all empty).
static inline CAllocShims_ThreadSlab *CAllocShims_thread_slab_peek(int slot) {
    return &CAllocShims_thread_slab_entries[slot];
}

/// Arranges for this thread's slabs to be released when it exits (out of line, once per thread).
void CAllocShims_thread_slab_arm(void);

/// This thread's entry for `slot`; never NULL for a reserved slot. Inline: every pooled cut
/// calls it. The first call on a thread arms its exit destructor.
static inline CAllocShims_ThreadSlab *CAllocShims_thread_slab(int slot) {
    if (__builtin_expect(!CAllocShims_thread_slab_armed, 0)) CAllocShims_thread_slab_arm();
    return &CAllocShims_thread_slab_entries[slot];
}

/// This thread's number, 1-based, 0 until it is first asked for. initial-exec, as above.
extern _Thread_local uint32_t CAllocShims_thread_number_storage __attribute__((tls_model("initial-exec")));

/// Numbers this thread (out of line, once per thread: one atomic increment on a shared word).
uint32_t CAllocShims_thread_number_assign(void);

/// A small number for this thread, given in the order threads first ask (0, 1, 2, ...) and
/// never reused: pools with cursor stripes (SlabPool) pick stripe `number % stripes`, so the
/// first `stripes` threads that cut from a pool never share a stripe.
static inline uint32_t CAllocShims_thread_number(void) {
    uint32_t number = CAllocShims_thread_number_storage;
    if (__builtin_expect(number == 0, 0)) number = CAllocShims_thread_number_assign();
    return number - 1;
}

/// The function that lets go of an entry's slab at thread exit, given the slices cut from it
/// (set once, by Swift).
void CAllocShims_thread_slab_set_release(void (*release)(void *slab, uint64_t cuts));

#ifdef __cplusplus
}
#endif

#endif

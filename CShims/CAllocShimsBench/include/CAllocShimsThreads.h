// The C form of `allocshim threads`: the sweep's three workloads (pairs, larson,
// producer-consumer) written in C on a backend's own call table (CAllocShims_BackendCalls), so
// every Swift form's scaling can be read as a fraction of what the bare allocator calls reach
// doing the same work. Threads are started and timed by the Swift harness (ThreadGroup), exactly
// as for the Swift forms; each function below is one thread's whole share of a run.
//
// Each workload does what its Swift twin does (Sources/AllocShimMeasure/Threads): the same
// sizes, random sequence (SplitMix64 with the same seeds), marks on the first and last byte read
// back before every free, batches through a bounded queue, working sets swapped through a
// locked exchange. Blocks are asked for at the platform malloc's alignment, as the Swift
// `allocator` form asks for `naturalAlignment`, so both take the same (plain or aligned) path.
#ifndef CALLOCSHIMS_THREADS_H
#define CALLOCSHIMS_THREADS_H

#include "CAllocShimsBackendCalls.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What one thread (or the set-up and clean-up around a run) did; the harness adds them up.
typedef struct CAllocShimsBench_ThreadCounts {
    /// Sum of the marks written into blocks (each block: 2 × its mark).
    uint64_t marks_written;
    /// Sum of the first and last byte of every block, read just before it was freed.
    uint64_t marks_read;
    /// Blocks allocated and freed through the backend's calls.
    int64_t allocations;
    int64_t frees;
    /// Frees by a thread other than the one that allocated the block.
    int64_t cross_thread_frees;
    /// Non-zero when an allocation returned NULL (the run then stops allocating).
    int32_t failed;
} CAllocShimsBench_ThreadCounts;

/// One thread of `pairs`: `operations` times, allocate `size` bytes, write the mark
/// (uint8)(index + thread) to the first and last byte, read both back, free.
void CAllocShimsBench_pairs_thread(CAllocShims_BackendCalls calls, size_t size, int64_t operations, int64_t thread,
                                   CAllocShimsBench_ThreadCounts *counts);

/// A larson run's shared state: the exchange where working sets wait, and the failure flag.
typedef struct CAllocShimsBench_Larson CAllocShimsBench_Larson;

/// Makes a larson run for `threads` threads; with more than one thread, fills the spare working
/// set (random sizes from SplitMix64(seed − 1), as the Swift harness does) into `setup`. NULL
/// when the harness's own memory (malloc) runs out.
CAllocShimsBench_Larson *CAllocShimsBench_larson_create(CAllocShims_BackendCalls calls, int64_t threads, uint64_t seed,
                                                        int64_t slots_per_thread, int64_t hand_over_interval, int64_t min_size,
                                                        int64_t max_size, CAllocShimsBench_ThreadCounts *setup);
/// One thread of larson: fill `slots_per_thread` blocks, then `operations` replacements of a
/// random one, handing the whole set over every `hand_over_interval` steps; frees what it holds
/// at the end.
void CAllocShimsBench_larson_thread(CAllocShimsBench_Larson *larson, int64_t thread, int64_t operations,
                                    CAllocShimsBench_ThreadCounts *counts);
/// After the timed run: frees the set left in the exchange, reading its marks into `counts`.
void CAllocShimsBench_larson_free_waiting(CAllocShimsBench_Larson *larson, CAllocShimsBench_ThreadCounts *counts);
/// Frees whatever is left (the waiting set, when free_waiting was not called) and the run.
void CAllocShimsBench_larson_destroy(CAllocShimsBench_Larson *larson);

/// A producer-consumer run's bounded queue of batches.
typedef struct CAllocShimsBench_ProducerConsumer CAllocShimsBench_ProducerConsumer;

/// A queue of `capacity` batches of up to `batch_size` blocks of `size` bytes, through which
/// `total_blocks` blocks pass from ⌈threads / 2⌉ producers to the other threads (one thread:
/// both in turn). NULL when the harness's own memory runs out.
CAllocShimsBench_ProducerConsumer *CAllocShimsBench_producer_consumer_create(CAllocShims_BackendCalls calls, int64_t threads,
                                                                            int64_t total_blocks, uint64_t seed, size_t size,
                                                                            int64_t batch_size, int64_t capacity);
/// One thread of producer-consumer: a producer allocates and marks its share and pushes it in
/// batches; a consumer reads and frees batches until every batch is claimed.
void CAllocShimsBench_producer_consumer_thread(CAllocShimsBench_ProducerConsumer *run, int64_t thread,
                                               CAllocShimsBench_ThreadCounts *counts);
/// Frees any batch still queued (none after a complete run) and the queue.
void CAllocShimsBench_producer_consumer_destroy(CAllocShimsBench_ProducerConsumer *run);

#ifdef __cplusplus
}
#endif

#endif

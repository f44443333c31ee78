// The C form of the thread sweep's workloads (CAllocShimsThreads.h says what each does and why).
// Kept step for step beside their Swift twins in Sources/AllocShimMeasure/Threads so the two do
// the same work: change one, change the other.
#define _GNU_SOURCE
#include "CAllocShimsThreads.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>

/// The Swift `allocator` form asks for `naturalAlignment` (the platform malloc's); so does this.
#define BLOCK_ALIGNMENT _Alignof(max_align_t)

/// SplitMix64, as Sources/AllocShimMeasure/Support/SplitMix64.swift: the same seeds give the
/// same sizes and marks.
static inline uint64_t next_random(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ull;
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// The per-thread seed of the Swift workloads: seed &+ thread &* 0x9E37_79B9.
static inline uint64_t thread_seed(uint64_t seed, int64_t thread) { return seed + (uint64_t)thread * 0x9E3779B9ull; }

static inline unsigned char *allocate_block(CAllocShims_BackendCalls calls, size_t size, CAllocShimsBench_ThreadCounts *counts) {
    unsigned char *block = CAllocShims_backend_allocate(calls, size, BLOCK_ALIGNMENT, 0);
    if (block == NULL) {
        counts->failed = 1;
    } else {
        counts->allocations += 1;
    }
    return block;
}

// ThreadSanitizer does not see the system backend's allocator as it is called here
// (glibc's __libc_malloc/__libc_free are not intercepted), so a block freed on one thread and
// handed out again on another looks like a race between the two threads' marks. The marks are
// this file's only accesses to the blocks, so only they go unchecked; the Swift forms, the
// queues and the counts stay under TSan.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MARKS_UNCHECKED_BY_TSAN __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef MARKS_UNCHECKED_BY_TSAN
#define MARKS_UNCHECKED_BY_TSAN
#endif

/// Writes `mark` to the first and last byte. The empty asm makes the compiler assume the bytes
/// are read elsewhere, so neither the stores nor the later loads are folded away (cscale.c does
/// the same).
MARKS_UNCHECKED_BY_TSAN static inline void write_mark(unsigned char *block, size_t size, uint8_t mark, CAllocShimsBench_ThreadCounts *counts) {
    block[0] = mark;
    block[size - 1] = mark;
    __asm__ volatile("" : : "r"(block) : "memory");
    counts->marks_written += 2 * (uint64_t)mark;
}

/// Reads the marks back and frees the block on `thread` (-1: set-up or clean-up, whose frees
/// are not cross-thread frees of the run).
MARKS_UNCHECKED_BY_TSAN static inline void free_block(CAllocShims_BackendCalls calls, unsigned char *block, size_t size, int64_t allocated_by, int64_t thread,
                              CAllocShimsBench_ThreadCounts *counts) {
    counts->marks_read += (uint64_t)block[0] + (uint64_t)block[size - 1];
    if (thread != -1 && allocated_by != thread) counts->cross_thread_frees += 1;
    CAllocShims_backend_deallocate(calls, block, size, BLOCK_ALIGNMENT);
    counts->frees += 1;
}

// MARK: - pairs

void CAllocShimsBench_pairs_thread(CAllocShims_BackendCalls calls, size_t size, int64_t operations, int64_t thread,
                                   CAllocShimsBench_ThreadCounts *counts) {
    for (int64_t index = 0; index < operations; index++) {
        unsigned char *block = allocate_block(calls, size, counts);
        if (block == NULL) return;
        write_mark(block, size, (uint8_t)(index + thread), counts);
        free_block(calls, block, size, thread, thread, counts);
    }
}

// MARK: - larson

typedef struct LiveBlock {
    unsigned char *pointer;  // NULL: an empty slot
    size_t size;
    int64_t allocated_by;
} LiveBlock;

struct CAllocShimsBench_Larson {
    CAllocShims_BackendCalls calls;
    int64_t threads;
    uint64_t seed;
    int64_t slots;
    int64_t hand_over_interval;
    int64_t min_size;
    int64_t size_count;
    atomic_int failed;
    pthread_mutex_t lock;
    // Guarded by `lock`: the set waiting in the exchange and the thread that left it.
    LiveBlock *waiting;
    int64_t left_by;
};

static int larson_allocate(CAllocShimsBench_Larson *larson, LiveBlock *slot, int64_t thread, uint64_t *random,
                           CAllocShimsBench_ThreadCounts *counts) {
    size_t size = (size_t)(larson->min_size + (int64_t)(next_random(random) % (uint64_t)larson->size_count));
    unsigned char *block = allocate_block(larson->calls, size, counts);
    if (block == NULL) {
        atomic_store_explicit(&larson->failed, 1, memory_order_release);
        return 0;
    }
    write_mark(block, size, (uint8_t)next_random(random), counts);
    *slot = (LiveBlock){block, size, thread};
    return 1;
}

static void larson_free_all(CAllocShimsBench_Larson *larson, LiveBlock *set, int64_t thread, CAllocShimsBench_ThreadCounts *counts) {
    for (int64_t slot = 0; slot < larson->slots; slot++) {
        if (set[slot].pointer != NULL) free_block(larson->calls, set[slot].pointer, set[slot].size, set[slot].allocated_by, thread, counts);
        set[slot].pointer = NULL;
    }
}

static int larson_has_failed(CAllocShimsBench_Larson *larson) { return atomic_load_explicit(&larson->failed, memory_order_acquire); }

CAllocShimsBench_Larson *CAllocShimsBench_larson_create(CAllocShims_BackendCalls calls, int64_t threads, uint64_t seed,
                                                        int64_t slots_per_thread, int64_t hand_over_interval, int64_t min_size,
                                                        int64_t max_size, CAllocShimsBench_ThreadCounts *setup) {
    if (threads < 1 || slots_per_thread < 1 || hand_over_interval < 1 || min_size < 1 || max_size < min_size) return NULL;
    CAllocShimsBench_Larson *larson = calloc(1, sizeof *larson);
    if (larson == NULL) return NULL;
    larson->waiting = calloc((size_t)slots_per_thread, sizeof(LiveBlock));
    if (larson->waiting == NULL) {
        free(larson);
        return NULL;
    }
    larson->calls = calls;
    larson->threads = threads;
    larson->seed = seed;
    larson->slots = slots_per_thread;
    larson->hand_over_interval = hand_over_interval;
    larson->min_size = min_size;
    larson->size_count = max_size - min_size + 1;
    larson->left_by = -1;
    atomic_init(&larson->failed, 0);
    pthread_mutex_init(&larson->lock, NULL);
    // One thread has no one to hand to; with more, the first to hand over already receives
    // blocks it did not allocate.
    if (threads > 1) {
        uint64_t random = seed - 1;
        for (int64_t slot = 0; slot < slots_per_thread; slot++) {
            if (!larson_allocate(larson, &larson->waiting[slot], -1, &random, setup)) break;
        }
    }
    return larson;
}

void CAllocShimsBench_larson_thread(CAllocShimsBench_Larson *larson, int64_t thread, int64_t operations,
                                    CAllocShimsBench_ThreadCounts *counts) {
    uint64_t random = thread_seed(larson->seed, thread);
    LiveBlock *held = calloc((size_t)larson->slots, sizeof(LiveBlock));
    if (held == NULL) {
        counts->failed = 1;
        atomic_store_explicit(&larson->failed, 1, memory_order_release);
        return;
    }
    int ok = 1;
    for (int64_t slot = 0; slot < larson->slots && ok && !larson_has_failed(larson); slot++) {
        ok = larson_allocate(larson, &held[slot], thread, &random, counts);
    }
    int64_t steps = operations > 1 ? operations : 1;
    for (int64_t step = 1; step <= steps && ok; step++) {
        if (larson_has_failed(larson)) break;
        int64_t slot = (int64_t)(next_random(&random) % (uint64_t)larson->slots);
        if (held[slot].pointer != NULL) {
            free_block(larson->calls, held[slot].pointer, held[slot].size, held[slot].allocated_by, thread, counts);
            held[slot].pointer = NULL;
        }
        ok = larson_allocate(larson, &held[slot], thread, &random, counts);
        if (ok && larson->threads > 1 && step % larson->hand_over_interval == 0) {
            pthread_mutex_lock(&larson->lock);
            // Taking back one's own set would hand nothing over (LarsonWorkload.Exchange).
            if (larson->left_by != thread) {
                LiveBlock *received = larson->waiting;
                larson->waiting = held;
                held = received;
                larson->left_by = thread;
            }
            pthread_mutex_unlock(&larson->lock);
        }
    }
    larson_free_all(larson, held, thread, counts);
    free(held);
}

void CAllocShimsBench_larson_free_waiting(CAllocShimsBench_Larson *larson, CAllocShimsBench_ThreadCounts *counts) {
    pthread_mutex_lock(&larson->lock);
    larson_free_all(larson, larson->waiting, -1, counts);
    pthread_mutex_unlock(&larson->lock);
}

void CAllocShimsBench_larson_destroy(CAllocShimsBench_Larson *larson) {
    if (larson == NULL) return;
    CAllocShimsBench_ThreadCounts ignored = {0};
    larson_free_all(larson, larson->waiting, -1, &ignored);
    pthread_mutex_destroy(&larson->lock);
    free(larson->waiting);
    free(larson);
}

// MARK: - producer-consumer

typedef struct Batch {
    int64_t producer;
    int64_t count;
    unsigned char *blocks[];
} Batch;

/// Stands in for a batch the harness could not allocate, so consumers still get one batch per
/// claim and none waits for a batch that never comes. Never written, never freed.
static Batch empty_batch = {.producer = -1, .count = 0};

struct CAllocShimsBench_ProducerConsumer {
    CAllocShims_BackendCalls calls;
    int64_t threads;
    int64_t producers;
    int64_t total_blocks;
    uint64_t seed;
    size_t size;
    int64_t batch_size;
    int64_t capacity;
    atomic_int failed;
    /// Batches still to be claimed by a consumer (BatchQueue.unclaimedBatches).
    atomic_llong unclaimed;
    // Counting semaphores as BatchQueue's DispatchSemaphores: waiting sleeps, never spins.
    sem_t free_spaces;
    sem_t queued;
    pthread_mutex_t lock;
    // Guarded by `lock`.
    Batch **ring;
    int64_t first;
    int64_t count;
};

static int64_t producer_share(const CAllocShimsBench_ProducerConsumer *run, int64_t producer) {
    return run->total_blocks / run->producers + (producer < run->total_blocks % run->producers ? 1 : 0);
}

static void wait_on(sem_t *semaphore) {
    while (sem_wait(semaphore) != 0 && errno == EINTR) {}
}

CAllocShimsBench_ProducerConsumer *CAllocShimsBench_producer_consumer_create(CAllocShims_BackendCalls calls, int64_t threads,
                                                                            int64_t total_blocks, uint64_t seed, size_t size,
                                                                            int64_t batch_size, int64_t capacity) {
    if (threads < 1 || total_blocks < 0 || size < 1 || batch_size < 1 || capacity < 1) return NULL;
    CAllocShimsBench_ProducerConsumer *run = calloc(1, sizeof *run);
    if (run == NULL) return NULL;
    run->ring = calloc((size_t)capacity, sizeof(Batch *));
    if (run->ring == NULL) {
        free(run);
        return NULL;
    }
    run->calls = calls;
    run->threads = threads;
    run->producers = threads == 1 ? 1 : (threads + 1) / 2;
    run->total_blocks = total_blocks;
    run->seed = seed;
    run->size = size;
    run->batch_size = batch_size;
    run->capacity = capacity;
    long long batches = 0;
    for (int64_t producer = 0; producer < run->producers; producer++) {
        batches += (producer_share(run, producer) + batch_size - 1) / batch_size;
    }
    atomic_init(&run->failed, 0);
    atomic_init(&run->unclaimed, batches);
    sem_init(&run->free_spaces, 0, (unsigned)capacity);
    sem_init(&run->queued, 0, 0);
    pthread_mutex_init(&run->lock, NULL);
    return run;
}

static void push(CAllocShimsBench_ProducerConsumer *run, Batch *batch) {
    wait_on(&run->free_spaces);
    pthread_mutex_lock(&run->lock);
    run->ring[(run->first + run->count) % run->capacity] = batch;
    run->count += 1;
    pthread_mutex_unlock(&run->lock);
    sem_post(&run->queued);
}

/// Claims a batch still to come and waits for it; NULL when every batch has been claimed.
static Batch *next_batch(CAllocShimsBench_ProducerConsumer *run) {
    if (atomic_fetch_sub_explicit(&run->unclaimed, 1, memory_order_relaxed) - 1 < 0) return NULL;
    wait_on(&run->queued);
    pthread_mutex_lock(&run->lock);
    Batch *oldest = run->ring[run->first];
    run->first = (run->first + 1) % run->capacity;
    run->count -= 1;
    pthread_mutex_unlock(&run->lock);
    sem_post(&run->free_spaces);
    return oldest;
}

static void consume(CAllocShimsBench_ProducerConsumer *run, Batch *batch, int64_t thread, CAllocShimsBench_ThreadCounts *counts) {
    for (int64_t index = 0; index < batch->count; index++) {
        free_block(run->calls, batch->blocks[index], run->size, batch->producer, thread, counts);
    }
    if (batch != &empty_batch) free(batch);
}

void CAllocShimsBench_producer_consumer_thread(CAllocShimsBench_ProducerConsumer *run, int64_t thread,
                                               CAllocShimsBench_ThreadCounts *counts) {
    uint64_t random = thread_seed(run->seed, thread);
    if (run->threads == 1 || thread < run->producers) {
        int64_t share = producer_share(run, thread);
        for (int64_t made = 0; made < share;) {
            int64_t wanted = share - made < run->batch_size ? share - made : run->batch_size;
            Batch *batch = malloc(sizeof(Batch) + sizeof(unsigned char *) * (size_t)run->batch_size);
            if (batch == NULL) {
                counts->failed = 1;
                atomic_store_explicit(&run->failed, 1, memory_order_release);
                batch = &empty_batch;
            } else {
                batch->producer = thread;
                batch->count = 0;
                // After a failure anywhere, batches still go out (empty), so consumers never wait in vain.
                while (batch->count < wanted && !atomic_load_explicit(&run->failed, memory_order_acquire)) {
                    unsigned char *block = allocate_block(run->calls, run->size, counts);
                    if (block == NULL) {
                        atomic_store_explicit(&run->failed, 1, memory_order_release);
                        break;
                    }
                    write_mark(block, run->size, (uint8_t)next_random(&random), counts);
                    batch->blocks[batch->count++] = block;
                }
            }
            made += wanted;
            push(run, batch);
            if (run->threads == 1) {
                Batch *own = next_batch(run);
                if (own != NULL) consume(run, own, thread, counts);
            }
        }
    } else {
        Batch *batch;
        while ((batch = next_batch(run)) != NULL) consume(run, batch, thread, counts);
    }
}

void CAllocShimsBench_producer_consumer_destroy(CAllocShimsBench_ProducerConsumer *run) {
    if (run == NULL) return;
    CAllocShimsBench_ThreadCounts ignored = {0};
    while (run->count > 0) {
        Batch *batch = run->ring[run->first];
        run->first = (run->first + 1) % run->capacity;
        run->count -= 1;
        consume(run, batch, -1, &ignored);
    }
    sem_destroy(&run->free_spaces);
    sem_destroy(&run->queued);
    pthread_mutex_destroy(&run->lock);
    free(run->ring);
    free(run);
}

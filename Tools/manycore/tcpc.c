/* Producer-consumer on tcmalloc loaded with dlopen(RTLD_LOCAL), as AllocShim loads it: half the
 * threads allocate 100-byte blocks and hand them in batches to a consumer thread that only
 * frees (tc_free_sized). With WARM=1 each consumer first makes its thread cache
 * (MallocExtension_MarkThreadBusy), as the fixed backend does on a thread's first release.
 * Prints one JSON line: threads, warm, million frees per second. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
enum { BATCH = 64, SLOTS = 256 };
static void *(*tmalloc)(size_t); static void (*tfree_sized)(void *, size_t); static void (*busy)(void);
static long OPS; static int WARM;
typedef struct { _Atomic long head, tail; void *slot[SLOTS][BATCH]; } Queue;
static Queue *queues;
static void *producer(void *arg) {
    Queue *q = &queues[(long)arg];
    for (long done = 0; done < OPS; done += BATCH) {
        while (atomic_load(&q->head) - atomic_load(&q->tail) >= SLOTS) {}
        long h = atomic_load(&q->head);
        for (int i = 0; i < BATCH; i++) { unsigned char *p = tmalloc(100); p[0] = 1; p[99] = 2; q->slot[h % SLOTS][i] = p; }
        atomic_store(&q->head, h + 1);
    }
    return NULL;
}
static void *consumer(void *arg) {
    Queue *q = &queues[(long)arg];
    if (WARM) busy();
    for (long done = 0; done < OPS; done += BATCH) {
        while (atomic_load(&q->tail) == atomic_load(&q->head)) {}
        long t = atomic_load(&q->tail);
        for (int i = 0; i < BATCH; i++) tfree_sized(q->slot[t % SLOTS][i], 100);
        atomic_store(&q->tail, t + 1);
    }
    return NULL;
}
int main(int argc, char **argv) {
    int pairs = atoi(argv[2]); OPS = atol(argv[3]); WARM = atoi(argv[4]);
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    tmalloc = dlsym(h, "tc_malloc"); tfree_sized = dlsym(h, "tc_free_sized"); busy = dlsym(h, "MallocExtension_MarkThreadBusy");
    queues = calloc(pairs, sizeof(Queue));
    pthread_t t[2 * 64];
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < pairs; i++) { pthread_create(&t[2 * i], 0, producer, (void *)i); pthread_create(&t[2 * i + 1], 0, consumer, (void *)i); }
    for (int i = 0; i < 2 * pairs; i++) pthread_join(t[i], 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("{\"threads\": %d, \"warm\": %d, \"mfrees_per_s\": %.2f}\n", 2 * pairs, WARM, pairs * OPS / s / 1e6);
    return 0;
}

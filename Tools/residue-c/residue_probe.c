// The residue probe in C only, for C libraries Swift does not run on here: built with
// musl-gcc (static) it measures musl's mallocng, the allocator of Alpine-style systems; built
// with gcc it measures glibc and cross-checks the Swift probe. Same method as the Swift probe
// (Sources/AllocShimMeasure/Residue): a secret derived from a random per-run key, the round and
// each byte's position, compared in 8-byte units at their original offsets, with no
// allocation between release and reuse (results go into arrays allocated beforehand; nothing
// is printed until the end).
//
//   residue-probe [--scenario NAME]... [--size N]... [--rounds N] [--neighbours N] [--churn] [--self-test]
//   residue-probe --cost
//
// Heap history (--neighbours, --churn): the same measurement after N live blocks of the
// measured size were allocated (and kept) before the secret, on a fresh heap or after a churn
// of mixed-size allocations that stay partly live. --cost prints the CPU time of malloc/free
// pairs instead; run under LD_PRELOAD, both measure the preloaded allocator (Scudo, a debug
// tcmalloc, jemalloc with MALLOC_CONF...) through the same code.
//
// Prints a JSON array of {backend, scenario, size, rounds, recoveredPercent, minPercent,
// maxPercent, lostOffsets, applicable}.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
static const char *backend_name = "glibc (C probe)";
#else
static const char *backend_name = "musl (C probe)";
#endif

enum { UNIT = 8, MAX_ROUNDS = 100000, SPRAY = 64 };

static const char *scenario_names[] = {"same-size", "different-size", "spray", "cross-thread", "alloc-zeroed"};
enum { SAME_SIZE, DIFFERENT_SIZE, SPRAY_SCENARIO, CROSS_THREAD, ALLOC_ZEROED, SCENARIO_COUNT };

// An allocator as the probe sees it, so the self-test can substitute ones with known behaviour.
typedef struct Allocator {
    void *(*allocate)(size_t size);
    void *(*allocate_zeroed)(size_t size);
    void (*release)(void *pointer, size_t size);
} Allocator;

static void *libc_allocate(size_t size) { return malloc(size); }
static void *libc_allocate_zeroed(size_t size) { return calloc(1, size); }
static void libc_release(void *pointer, size_t size) { (void)size; free(pointer); }
static const Allocator libc_allocator = {libc_allocate, libc_allocate_zeroed, libc_release};

static uint64_t key;

static uint64_t split_mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t secret_word(int round, size_t offset) {
    return split_mix(key ^ (uint64_t)round * 0x9E3779B97F4A7C15ull ^ (uint64_t)offset * 0xD1B54A32D192ED03ull);
}

static void plant(int round, unsigned char *block, size_t size) {
    for (size_t offset = 0; offset < size; offset += UNIT) {
        uint64_t word = secret_word(round, offset);
        memcpy(block + offset, &word, size - offset < UNIT ? size - offset : UNIT);
    }
}

/// Bytes of the round's secret found at their offsets; marks found units in `found_units`.
static size_t recovered(int round, const unsigned char *block, size_t size, unsigned char *found_units) {
    size_t found = 0, unit = 0;
    for (size_t offset = 0; offset < size; offset += UNIT, unit++) {
        uint64_t word = secret_word(round, offset);
        size_t length = size - offset < UNIT ? size - offset : UNIT;
        int match = memcmp(block + offset, &word, length) == 0;
        if (match) found += length;
        if (found_units) found_units[unit] = (unsigned char)match;
    }
    return found;
}

typedef struct Ledger {
    size_t *found;         // per round
    unsigned *lost_count;  // per unit, over rounds that found anything
    unsigned char *flags;  // per unit, scratch
    int rounds_with_recovery;
} Ledger;

static void record(Ledger *ledger, int round, const unsigned char *block, size_t size) {
    size_t found = recovered(round, block, size, ledger->flags);
    ledger->found[round] = found;
    if (found == 0) return;
    ledger->rounds_with_recovery++;
    for (size_t unit = 0; unit < (size + UNIT - 1) / UNIT; unit++)
        if (!ledger->flags[unit]) ledger->lost_count[unit]++;
}

// Cross-thread: the worker plants and frees; the main thread allocates.
typedef struct Worker {
    const Allocator *allocator;
    size_t size;
    int round, stop, failed;
    sem_t go, done;
} Worker;

static void *worker_main(void *argument) {
    Worker *worker = argument;
    for (;;) {
        sem_wait(&worker->go);
        if (worker->stop) break;
        unsigned char *block = worker->allocator->allocate(worker->size);
        if (block == NULL) {
            worker->failed = 1;
        } else {
            plant(worker->round, block, worker->size);
            worker->allocator->release(block, worker->size);
        }
        sem_post(&worker->done);
    }
    return NULL;
}

/// Runs one (scenario, size); returns 0, or -1 when an allocation failed.
static int run(const Allocator *allocator, int scenario, size_t size, int rounds, Ledger *ledger) {
    void *spray[SPRAY];
    Worker worker = {.allocator = allocator, .size = size};
    pthread_t thread;
    if (scenario == CROSS_THREAD) {
        sem_init(&worker.go, 0, 0);
        sem_init(&worker.done, 0, 0);
        if (pthread_create(&thread, NULL, worker_main, &worker) != 0) return -1;
    }
    int status = 0;
    size_t reuse_size = scenario == DIFFERENT_SIZE ? size * 2 + 64 : size;
    for (int round = 0; round < rounds && status == 0; round++) {
        if (scenario == CROSS_THREAD) {
            worker.round = round;
            sem_post(&worker.go);
            sem_wait(&worker.done);
            if (worker.failed) { status = -1; break; }
        } else {
            unsigned char *planted = allocator->allocate(size);
            if (planted == NULL) { status = -1; break; }
            plant(round, planted, size);
            allocator->release(planted, size);
        }
        if (scenario == SPRAY_SCENARIO) {
            size_t best = 0, best_index = 0;
            for (int i = 0; i < SPRAY; i++) {
                spray[i] = allocator->allocate(size);
                if (spray[i] == NULL) { status = -1; break; }
            }
            if (status != 0) break;
            for (int i = 0; i < SPRAY; i++) {
                size_t found = recovered(round, spray[i], size, NULL);
                if (found > best) { best = found; best_index = (size_t)i; }
            }
            record(ledger, round, spray[best_index], size);
            for (int i = 0; i < SPRAY; i++) allocator->release(spray[i], size);
        } else {
            unsigned char *reused = scenario == ALLOC_ZEROED ? allocator->allocate_zeroed(reuse_size) : allocator->allocate(reuse_size);
            if (reused == NULL) { status = -1; break; }
            record(ledger, round, reused, size);
            allocator->release(reused, reuse_size);
        }
    }
    if (scenario == CROSS_THREAD) {
        worker.stop = 1;
        sem_post(&worker.go);
        pthread_join(thread, NULL);
    }
    return status;
}

typedef struct Summary {
    double mean, min, max;
    char lost[256];
} Summary;

static Summary summarize(const Ledger *ledger, size_t size, int rounds) {
    Summary summary = {0, 100, 0, ""};
    for (int round = 0; round < rounds; round++) {
        double percent = (double)ledger->found[round] * 100.0 / (double)size;
        summary.mean += percent / rounds;
        if (percent < summary.min) summary.min = percent;
        if (percent > summary.max) summary.max = percent;
    }
    if (ledger->rounds_with_recovery > 0) {
        size_t units = (size + UNIT - 1) / UNIT, used = 0;
        long start = -1;
        for (size_t unit = 0; unit <= units; unit++) {
            int lost = unit < units && ledger->lost_count[unit] * 2 > (unsigned)ledger->rounds_with_recovery;
            if (lost && start < 0) start = (long)unit;
            if (!lost && start >= 0) {
                size_t end = unit * UNIT < size ? unit * UNIT : size;
                used += (size_t)snprintf(summary.lost + used, sizeof summary.lost - used, "%s%ld-%zu", used ? "," : "",
                                         start * UNIT, end - 1);
                if (used >= sizeof summary.lost) break;
                start = -1;
            }
        }
    }
    return summary;
}

static int measure(const Allocator *allocator, int scenario, size_t size, int rounds, Summary *summary) {
    size_t units = (size + UNIT - 1) / UNIT;
    Ledger ledger = {calloc((size_t)rounds, sizeof(size_t)), calloc(units, sizeof(unsigned)), calloc(units, 1), 0};
    if (!ledger.found || !ledger.lost_count || !ledger.flags) return -1;
    int status = run(allocator, scenario, size, rounds, &ledger);
    if (status == 0) *summary = summarize(&ledger, size, rounds);
    free(ledger.found);
    free(ledger.lost_count);
    free(ledger.flags);
    return status;
}

// MARK: self-test allocators with known behaviour

static void *parked;
static size_t parked_size;
static int behaviour; // 0: hands back the freed block; 1: fresh zeroed; 2: overwrites the first 16 bytes

static void *test_allocate(size_t size) {
    if (behaviour != 1 && parked && parked_size == size) {
        void *block = parked;
        parked = NULL;
        return block;
    }
    return behaviour == 1 ? calloc(1, size) : malloc(size);
}
static void *test_allocate_zeroed(size_t size) { return calloc(1, size); }
static void test_release(void *pointer, size_t size) {
    if (behaviour == 1) { free(pointer); return; }
    if (behaviour == 2) memset(pointer, 0xEE, size < 16 ? size : 16);
    free(parked);
    parked = pointer;
    parked_size = size;
}
static const Allocator test_allocator = {test_allocate, test_allocate_zeroed, test_release};

static int self_test(void) {
    int passed = 0, failed = 0;
    const size_t sizes[] = {16, 100, 1024};
    for (int b = 0; b < 3; b++) {
        behaviour = b;
        for (size_t i = 0; i < 3; i++) {
            Summary summary;
            double expected = b == 0 ? 100.0 : b == 1 ? 0.0 : (double)(sizes[i] - 16) * 100.0 / (double)sizes[i];
            int ok = measure(&test_allocator, SAME_SIZE, sizes[i], 20, &summary) == 0 && summary.mean > expected - 1e-9 &&
                     summary.mean < expected + 1e-9;
            printf("%s: behaviour %d, size %zu: %.2f%% (expected %.2f%%)\n", ok ? "pass" : "FAIL", b, sizes[i], summary.mean, expected);
            ok ? passed++ : failed++;
        }
    }
    free(parked);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

static void usage_error(const char *message, const char *value) {
    fprintf(stderr, "residue-probe: %s '%s'; scenarios: same-size, different-size, spray, cross-thread, alloc-zeroed; sizes: 1 to 268435456\n",
            message, value);
    exit(2);
}

// MARK: heap history and cost

/// Mixed-size allocations and frees (deterministic), leaving about half of 256 slots live.
static void **churn_heap(void) {
    void **slots = calloc(256, sizeof(void *));
    if (!slots) return NULL;
    uint64_t state = 0x5EED;
    for (int step = 0; step < 20000; step++) {
        state = split_mix(state);
        size_t slot = state % 256, size = 16 + (state >> 8) % 4096;
        free(slots[slot]);
        slots[slot] = (state >> 40) & 1 ? malloc(size) : NULL;
        if (slots[slot]) memset(slots[slot], (int)(state >> 48), size);
    }
    return slots;
}

static double thread_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/// Median over 7 repetitions of the thread CPU time per malloc+free pair of `size` bytes
/// (the block is touched once, as a caller would).
static double cost_per_pair(size_t size) {
    enum { REPETITIONS = 7, PAIRS = 20000 };
    double samples[REPETITIONS];
    for (int r = 0; r < REPETITIONS; r++) {
        double start = thread_ns();
        for (int i = 0; i < PAIRS; i++) {
            volatile unsigned char *block = malloc(size);
            if (!block) return -1;
            block[0] = (unsigned char)i;
            free((void *)block);
        }
        samples[r] = (thread_ns() - start) / PAIRS;
    }
    qsort(samples, REPETITIONS, sizeof samples[0], compare_doubles);
    return samples[REPETITIONS / 2];
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--cost") == 0) {
        printf("{\"cNsPerOp100B\": %.2f, \"cNsPerOp10KiB\": %.2f}\n", cost_per_pair(100), cost_per_pair(10240));
        return 0;
    }
    int scenarios[SCENARIO_COUNT], scenario_count = 0, rounds = 100, neighbours = 0, churn = 0;
    size_t sizes[64];
    int size_count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--self-test") == 0) return self_test();
        if (strcmp(argv[i], "--churn") == 0) { churn = 1; continue; }
        if (i + 1 >= argc) usage_error("missing value after", argv[i]);
        const char *value = argv[++i];
        if (strcmp(argv[i - 1], "--scenario") == 0) {
            int found = -1;
            for (int s = 0; s < SCENARIO_COUNT; s++)
                if (strcmp(value, scenario_names[s]) == 0) found = s;
            if (found < 0) usage_error("unknown scenario", value);
            if (scenario_count < SCENARIO_COUNT) scenarios[scenario_count++] = found;
        } else if (strcmp(argv[i - 1], "--size") == 0) {
            char *end;
            long long size = strtoll(value, &end, 10);
            if (*end || size < 1 || size > (256 << 20)) usage_error("invalid size", value);
            if (size_count < 64) sizes[size_count++] = (size_t)size;
        } else if (strcmp(argv[i - 1], "--rounds") == 0) {
            char *end;
            long count = strtol(value, &end, 10);
            if (*end || count < 1 || count > MAX_ROUNDS) usage_error("invalid rounds", value);
            rounds = (int)count;
        } else if (strcmp(argv[i - 1], "--neighbours") == 0) {
            char *end;
            long count = strtol(value, &end, 10);
            if (*end || count < 0 || count > 4096) usage_error("invalid neighbours (0 to 4096)", value);
            neighbours = (int)count;
        } else {
            usage_error("unknown argument", argv[i - 1]);
        }
    }
    if (scenario_count == 0)
        for (int s = 0; s < SCENARIO_COUNT; s++) scenarios[scenario_count++] = s;
    if (size_count == 0) {
        const size_t defaults[] = {16, 64, 100, 200, 1024, 4096, 10240, 65536, 1048576};
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) sizes[size_count++] = defaults[i];
    }
    int random = open("/dev/urandom", O_RDONLY);
    if (random < 0 || read(random, &key, sizeof key) != (ssize_t)sizeof key) {
        fprintf(stderr, "residue-probe: cannot read /dev/urandom: %s\n", strerror(errno));
        return 1;
    }
    close(random);
    void **churned = churn ? churn_heap() : NULL;
    if (churn && !churned) return 1;
    printf("[");
    int first = 1;
    for (int s = 0; s < scenario_count; s++) {
        for (int z = 0; z < size_count; z++) {
            Summary summary;
            int size_rounds = sizes[z] >= (1u << 20) && rounds > 4 ? rounds / 4 : rounds;
            // Live neighbours of the measured size, allocated before the secret and kept
            // until the cell is measured.
            void *live[4096];
            for (int n = 0; n < neighbours; n++) {
                live[n] = malloc(sizes[z]);
                if (!live[n]) return 1;
                memset(live[n], 0x11, sizes[z]);
            }
            if (measure(&libc_allocator, scenarios[s], sizes[z], size_rounds, &summary) != 0) {
                fprintf(stderr, "residue-probe: allocation failed (%s, %zu bytes)\n", scenario_names[scenarios[s]], sizes[z]);
                return 1;
            }
            printf("%s\n  {\"backend\": \"%s\", \"scenario\": \"%s\", \"size\": %zu, \"rounds\": %d, \"recoveredPercent\": %.4f, "
                   "\"minPercent\": %.4f, \"maxPercent\": %.4f, \"lostOffsets\": \"%s\", \"applicable\": true}",
                   first ? "" : ",", backend_name, scenario_names[scenarios[s]], sizes[z], size_rounds, summary.mean, summary.min,
                   summary.max, summary.lost);
            first = 0;
            for (int n = 0; n < neighbours; n++) free(live[n]);
        }
    }
    printf("\n]\n");
    return 0;
}

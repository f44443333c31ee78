// AllocShimNIO's routing slots, their allocate functions and the readers' registry
// (see include/CAllocShimsNIO.h and Sources/AllocShimNIO/NIORouteTable.swift).
#include "CAllocShimsNIO.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

static _Atomic(uintptr_t) slots[CALLOCSHIMSNIO_ROUTE_CAPACITY];
static _Atomic(CAllocShimsNIO_RouteAllocate) route_allocate;

int CAllocShimsNIO_route_capacity(void) { return CALLOCSHIMSNIO_ROUTE_CAPACITY; }

void CAllocShimsNIO_set_route_allocate(CAllocShimsNIO_RouteAllocate allocate) {
    atomic_store_explicit(&route_allocate, allocate, memory_order_release);
}

// Sequentially consistent: with the seq_cst store of CAllocShimsNIO_read_begin before it, a
// reader either finds a word published after a writer's exchange or is seen reading by that
// writer's CAllocShimsNIO_wait_for_readers (Dekker's pattern). On x86-64 it is a plain load.
uintptr_t CAllocShimsNIO_slot_load(int slot) { return atomic_load_explicit(&slots[slot], memory_order_seq_cst); }

uintptr_t CAllocShimsNIO_slot_exchange(int slot, uintptr_t word) {
    return atomic_exchange_explicit(&slots[slot], word, memory_order_seq_cst);
}

// One allocate function per slot. The slot number is spelled in octal digits so that the
// preprocessor can build both the function's name (allocate_0017) and its value (00017 == 15)
// from the same tokens: two groups of 512 (leading digit 0 or 1) make the 1024 slots.
#define ALLOCATE_FUNCTION(digits)                                                                       \
    static void *allocate_##digits(size_t byteCount) {                                               \
        uintptr_t word = atomic_load_explicit(&slots[0##digits], memory_order_seq_cst);                \
        return atomic_load_explicit(&route_allocate, memory_order_acquire)(word, 0##digits, byteCount); \
    }
#define TABLE_ENTRY(digits) allocate_##digits,
#define OCTAL_8(M, p) M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7)
#define OCTAL_64(M, p) \
    OCTAL_8(M, p##0) OCTAL_8(M, p##1) OCTAL_8(M, p##2) OCTAL_8(M, p##3) OCTAL_8(M, p##4) OCTAL_8(M, p##5) OCTAL_8(M, p##6) OCTAL_8(M, p##7)
#define OCTAL_512(M, p) \
    OCTAL_64(M, p##0) OCTAL_64(M, p##1) OCTAL_64(M, p##2) OCTAL_64(M, p##3) OCTAL_64(M, p##4) OCTAL_64(M, p##5) OCTAL_64(M, p##6) OCTAL_64(M, p##7)
#define EVERY_SLOT(M) OCTAL_512(M, 0) OCTAL_512(M, 1)

EVERY_SLOT(ALLOCATE_FUNCTION)

static const CAllocShimsNIO_AllocateFunction allocate_functions[] = {EVERY_SLOT(TABLE_ENTRY)};
_Static_assert(sizeof allocate_functions / sizeof allocate_functions[0] == CALLOCSHIMSNIO_ROUTE_CAPACITY,
               "one allocate function per slot");

CAllocShimsNIO_AllocateFunction CAllocShimsNIO_allocate_function(int slot) {
    return allocate_functions[(unsigned)slot % CALLOCSHIMSNIO_ROUTE_CAPACITY];
}

// Readers. Each thread that reads a mortal route owns one record: `sequence` is odd while it
// reads. Records sit on their own cache lines, are never freed (a grace period walks the list
// without a lock) and are reused by later threads once their thread has exited.
typedef struct Reader {
    _Alignas(64) _Atomic(uint64_t) sequence;
    _Atomic(bool) claimed;
    struct Reader *next;
} Reader;

static _Atomic(Reader *) readers;
static _Thread_local Reader *this_thread_reader;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

// A thread's exit gives its record back. It cannot be inside a read then (reads are a few
// instructions of its own code); should a later destructor of this thread read again, it
// claims a record again and re-arms the key.
static void release_reader(void *record) {
    this_thread_reader = NULL;
    atomic_store_explicit(&((Reader *)record)->claimed, false, memory_order_release);
}

static void make_key(void) { pthread_key_create(&exit_key, release_reader); }

static Reader *claim_reader(void) {
    pthread_once(&key_once, make_key);
    Reader *reader = NULL;
    for (Reader *candidate = atomic_load_explicit(&readers, memory_order_acquire); candidate; candidate = candidate->next) {
        bool expected = false;
        if (atomic_compare_exchange_strong_explicit(&candidate->claimed, &expected, true, memory_order_acquire, memory_order_relaxed)) {
            reader = candidate;
            break;
        }
    }
    if (reader == NULL) {
        reader = aligned_alloc(64, sizeof(Reader));
        if (reader == NULL) abort();  // a few bytes once per thread; NIO's allocate cannot fail either
        atomic_init(&reader->sequence, 0);
        atomic_init(&reader->claimed, true);
        reader->next = atomic_load_explicit(&readers, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&readers, &reader->next, reader, memory_order_release, memory_order_relaxed)) {}
    }
    pthread_setspecific(exit_key, reader);
    this_thread_reader = reader;
    return reader;
}

uint64_t *CAllocShimsNIO_read_begin(void) {
    Reader *reader = this_thread_reader;
    if (reader == NULL) reader = claim_reader();
    uint64_t odd = atomic_load_explicit(&reader->sequence, memory_order_relaxed) + 1;  // only this thread writes it
    atomic_store_explicit(&reader->sequence, odd, memory_order_seq_cst);
    return (uint64_t *)reader;
}

void CAllocShimsNIO_read_end(uint64_t *token) {
    Reader *reader = (Reader *)token;
    uint64_t even = atomic_load_explicit(&reader->sequence, memory_order_relaxed) + 1;
    atomic_store_explicit(&reader->sequence, even, memory_order_release);
}

void CAllocShimsNIO_wait_for_readers(void) {
    for (Reader *reader = atomic_load_explicit(&readers, memory_order_acquire); reader; reader = reader->next) {
        uint64_t seen = atomic_load_explicit(&reader->sequence, memory_order_seq_cst);
        if ((seen & 1) == 0) continue;  // not reading: any later read finds the new word
        while (atomic_load_explicit(&reader->sequence, memory_order_acquire) == seen) sched_yield();
    }
}

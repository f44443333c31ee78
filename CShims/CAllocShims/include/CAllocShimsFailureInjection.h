// Failure injection: makes AllocShim's own C allocation entry points return NULL on purpose,
// so tests can drive every out-of-memory path (as swift-system mocks its system calls).
//
// Armed per thread: a plan affects only allocations made on the thread that armed it, so
// tests running in parallel never see each other's failures. Covered entry points: the
// platform allocator (malloc, calloc, realloc, aligned), jemalloc's mallocx and rallocx, the
// allocation entries of the dlopen'd tables (malloc, calloc, realloc, aligned, aligned zeroed)
// and therefore the buffers' fast path, which calls these. Releases are never failed. A
// thread that never arms pays one thread-local load and a not-taken branch per allocation.
#ifndef CALLOCSHIMS_FAILURE_INJECTION_H
#define CALLOCSHIMS_FAILURE_INJECTION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CAllocShims_inject_off = 0,
    CAllocShims_inject_nth = 1,        // let `count` allocations through, fail the next one, then none
    CAllocShims_inject_after = 2,      // let `count` allocations through, fail every one after
    CAllocShims_inject_randomly = 3,   // fail each with probability per_million / 1e6, from `seed`
};

/// One thread's injection state; `attempts` and `failures` count what the plan saw.
typedef struct CAllocShims_FailureInjection {
    int32_t mode;
    uint32_t per_million;
    uint64_t count;
    uint64_t seed;      // xorshift state for CAllocShims_inject_randomly (0 is replaced by 1)
    uint64_t attempts;  // allocation calls seen while armed
    uint64_t failures;  // of those, failed on purpose
} CAllocShims_FailureInjection;

/// Replaces this thread's state with `*replacement` and writes the previous one (with its
/// attempts and failures) to `*previous`. Either pointer may be NULL.
void CAllocShims_failure_injection_exchange(const CAllocShims_FailureInjection *replacement,
                                            CAllocShims_FailureInjection *previous);

#ifdef __cplusplus
}
#endif

#endif

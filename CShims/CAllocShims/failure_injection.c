// Per-thread failure injection for AllocShim's allocating entry points (see
// CAllocShimsFailureInjection.h). The state is thread-local, so only the arming thread's
// allocations are affected and no locking is needed.
#include "failure_injection_internal.h"

#include <stdint.h>
#include <string.h>
#include "CAllocShims.h"

#include <stddef.h>

_Thread_local CAllocShims_FailureInjection CAllocShims_failure_injection_state;

/// xorshift64*: small, deterministic for a seed, good enough to spread failures.
static uint64_t next_random(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int CAllocShims_failure_injection_decide(void) {
    CAllocShims_FailureInjection *state = &CAllocShims_failure_injection_state;
    state->attempts++;
    int fail = 0;
    switch (state->mode) {
    case CAllocShims_inject_nth:
        if (state->count > 0) {
            state->count--;
        } else {
            fail = 1;
            // Once: later attempts are still counted but never failed.
            state->mode = CAllocShims_inject_after;
            state->count = UINT64_MAX;
        }
        break;
    case CAllocShims_inject_after:
        if (state->count > 0) state->count--; else fail = 1;
        break;
    case CAllocShims_inject_randomly:
        fail = next_random(&state->seed) % 1000000u < state->per_million;
        break;
    default:
        break;
    }
    if (fail) state->failures++;
    return fail;
}

void CAllocShims_failure_injection_exchange(const CAllocShims_FailureInjection *replacement,
                                            CAllocShims_FailureInjection *previous) {
    CAllocShims_FailureInjection *state = &CAllocShims_failure_injection_state;
    if (previous != NULL) *previous = *state;
    if (replacement != NULL) {
        *state = *replacement;
        if (state->mode == CAllocShims_inject_randomly && state->seed == 0) state->seed = 1;
    }
}

void *CAllocShims_bookkeeping_zeroed_lines(size_t count, size_t size) {
    enum { line = CAllocShims_cache_line_size };
    if (size != 0 && count > (SIZE_MAX - line) / size) return NULL;
    size_t bytes = (count * size + line - 1) & ~(size_t)(line - 1);
    if (bytes == 0) bytes = line;
    CAllocShims_FailureInjection *state = &CAllocShims_failure_injection_state;
    int32_t mode = state->mode;
    state->mode = CAllocShims_inject_off;  // this thread's state only: nothing else can see it
    void *made = CAllocShims_platform_aligned_alloc(line, bytes);
    state->mode = mode;
    if (made != NULL) memset(made, 0, bytes);
    return made;
}

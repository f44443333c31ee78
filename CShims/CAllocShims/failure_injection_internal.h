// The check every allocating entry point makes (see CAllocShimsFailureInjection.h). Internal
// to the C target: the thread-local state is not part of the public headers.
#ifndef CALLOCSHIMS_FAILURE_INJECTION_INTERNAL_H
#define CALLOCSHIMS_FAILURE_INJECTION_INTERNAL_H

#include "CAllocShimsFailureInjection.h"

#include <stddef.h>

extern _Thread_local CAllocShims_FailureInjection CAllocShims_failure_injection_state;

/// The slow path: counts the attempt and decides. Only reached on an armed thread.
int CAllocShims_failure_injection_decide(void);

/// 1 when this allocation must fail on purpose.
static inline int injected_failure(void) {
    if (__builtin_expect(CAllocShims_failure_injection_state.mode == CAllocShims_inject_off, 1)) return 0;
    return CAllocShims_failure_injection_decide();
}

/// AllocShim's own bookkeeping (per-thread tables, not a caller's block): never injected and
/// never counted, so a plan sees the same attempts on every run of the same operation whatever
/// one-time set-up the thread did first (a thread's first arena buffer made its cache table:
/// two extra attempts on the first run only, and "allocation n was not reached" on the others).
/// Zeroed, from glibc (free it with CAllocShims_platform_free), starting a cache line and
/// filling whole ones: a thread's table shares no line with memory another thread writes.
/// NULL when out of memory or when count × size overflows.
void *CAllocShims_bookkeeping_zeroed_lines(size_t count, size_t size);

#endif

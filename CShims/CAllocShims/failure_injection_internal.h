// The check every allocating entry point makes (see CAllocShimsFailureInjection.h). Internal
// to the C target: the thread-local state is not part of the public headers.
#ifndef CALLOCSHIMS_FAILURE_INJECTION_INTERNAL_H
#define CALLOCSHIMS_FAILURE_INJECTION_INTERNAL_H

#include "CAllocShimsFailureInjection.h"

extern _Thread_local CAllocShims_FailureInjection CAllocShims_failure_injection_state;

/// The slow path: counts the attempt and decides. Only reached on an armed thread.
int CAllocShims_failure_injection_decide(void);

/// 1 when this allocation must fail on purpose.
static inline int injected_failure(void) {
    if (__builtin_expect(CAllocShims_failure_injection_state.mode == CAllocShims_inject_off, 1)) return 0;
    return CAllocShims_failure_injection_decide();
}

#endif

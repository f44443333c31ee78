// How jemalloc_shims.c reaches the table jemalloc_sanitizer.c fills. Private to the C target.
#ifndef CALLOCSHIMS_JEMALLOC_INTERNAL_H
#define CALLOCSHIMS_JEMALLOC_INTERNAL_H

#include "CAllocShims.h"

/// Under AddressSanitizer without the Jemalloc trait: jemalloc loaded with dlopen(RTLD_LOCAL)
/// on first call when ALLOCSHIM_SANITIZER_JEMALLOC=1, its blocks redzoned for ASan; else NULL.
const CAllocShims_Jemalloc *CAllocShims_jemalloc_load_beside_sanitizer(void);

#endif

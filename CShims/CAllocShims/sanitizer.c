// AddressSanitizer visibility (see CAllocShimsSanitizer.h).
#include "CAllocShimsSanitizer.h"
#include "sanitizer_detection.h"

#if ALLOCSHIM_ADDRESS_SANITIZER
#include <sanitizer/asan_interface.h>
const int CAllocShims_address_sanitizer_enabled = 1;
void CAllocShims_sanitizer_poison(const void *pointer, size_t length) { ASAN_POISON_MEMORY_REGION(pointer, length); }
void CAllocShims_sanitizer_unpoison(const void *pointer, size_t length) { ASAN_UNPOISON_MEMORY_REGION(pointer, length); }
#else
const int CAllocShims_address_sanitizer_enabled = 0;
void CAllocShims_sanitizer_poison(const void *pointer, size_t length) { (void)pointer, (void)length; }
void CAllocShims_sanitizer_unpoison(const void *pointer, size_t length) { (void)pointer, (void)length; }
#endif

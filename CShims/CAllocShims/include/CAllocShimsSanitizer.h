// AddressSanitizer visibility for memory AllocShim manages itself.
//
// ASan sees only what its interceptors allocate. Pool slabs are cut into slices by Swift code,
// so without help a write past a pooled buffer's end lands in its neighbour unreported. These
// functions mark bytes addressable (handed out) or poisoned (not handed out); they compile to
// nothing unless the C target is built with -fsanitize=address.
#ifndef CALLOCSHIMS_SANITIZER_H
#define CALLOCSHIMS_SANITIZER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this build runs under AddressSanitizer, else 0. A constant: reading it is one load.
extern const int CAllocShims_address_sanitizer_enabled;

/// Marks `length` bytes at `pointer` as not handed out: any instrumented access is reported.
void CAllocShims_sanitizer_poison(const void *pointer, size_t length);
/// Marks `length` bytes at `pointer` as handed out.
void CAllocShims_sanitizer_unpoison(const void *pointer, size_t length);

#ifdef __cplusplus
}
#endif

#endif

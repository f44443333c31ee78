// ALLOCSHIM_ADDRESS_SANITIZER is 1 when this translation unit is built with AddressSanitizer
// (clang spells it __has_feature, gcc __SANITIZE_ADDRESS__). Private to the C target.
#ifndef CALLOCSHIMS_SANITIZER_DETECTION_H
#define CALLOCSHIMS_SANITIZER_DETECTION_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOCSHIM_ADDRESS_SANITIZER 1
#endif
#endif
#if !defined(ALLOCSHIM_ADDRESS_SANITIZER) && defined(__SANITIZE_ADDRESS__)
#define ALLOCSHIM_ADDRESS_SANITIZER 1
#endif
#ifndef ALLOCSHIM_ADDRESS_SANITIZER
#define ALLOCSHIM_ADDRESS_SANITIZER 0
#endif

#endif

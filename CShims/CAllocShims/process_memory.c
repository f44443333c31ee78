// Process-level memory facts and the few memory operations that must not be optimized away.
#define _GNU_SOURCE
#define __STDC_WANT_LIB_EXT1__ 1 // memset_s on Darwin
#include "CAllocShims.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

size_t CAllocShims_page_size(void) {
    long size = sysconf(_SC_PAGESIZE);
    return size > 0 ? (size_t)size : 4096;
}

size_t CAllocShims_resident_bytes(void) {
#if defined(__linux__)
    FILE *file = fopen("/proc/self/statm", "r");
    if (file == NULL) return 0;
    unsigned long total = 0, resident = 0;
    int matched = fscanf(file, "%lu %lu", &total, &resident);
    fclose(file);
    return matched == 2 ? (size_t)resident * CAllocShims_page_size() : 0;
#else
    return 0;
#endif
}

size_t CAllocShims_peak_resident_bytes(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
#if defined(__APPLE__)
    return (size_t)usage.ru_maxrss; // bytes on Darwin
#else
    return (size_t)usage.ru_maxrss * 1024; // KiB on Linux
#endif
}

void CAllocShims_secure_zero(void *pointer, size_t length) {
    if (pointer == NULL || length == 0) return;
#if defined(__GLIBC__) || defined(__OpenBSD__) || defined(__FreeBSD__)
    explicit_bzero(pointer, length);
#elif defined(__APPLE__)
    memset_s(pointer, length, 0, length);
#else
    volatile unsigned char *bytes = (volatile unsigned char *)pointer;
    while (length--) *bytes++ = 0;
#endif
    // A compiler barrier: the zeros count as observed, so no dead-store elimination.
    __asm__ __volatile__("" : : "r"(pointer) : "memory");
}

int CAllocShims_lock_memory(const void *pointer, size_t length) {
    return mlock(pointer, length) == 0 ? 0 : errno;
}

int CAllocShims_unlock_memory(const void *pointer, size_t length) {
    return munlock(pointer, length) == 0 ? 0 : errno;
}

int CAllocShims_constant_time_compare(const void *a, const void *b, size_t length) {
    const volatile unsigned char *left = (const volatile unsigned char *)a;
    const volatile unsigned char *right = (const volatile unsigned char *)b;
    unsigned char difference = 0;
    for (size_t i = 0; i < length; i++) difference |= left[i] ^ right[i];
    return difference != 0;
}

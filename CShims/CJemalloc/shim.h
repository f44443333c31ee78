// Only here so that the system-library target has a header; CAllocShims's jemalloc_shims.c
// includes jemalloc.h itself, to fill jemalloc's table of calls from the linked library.
#include <jemalloc/jemalloc.h>

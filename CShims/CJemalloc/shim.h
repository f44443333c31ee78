// Only here so that the system-library target has a header; CAllocShims declares
// the few jemalloc entry points it uses itself (see jemalloc_shims.c).
#include <jemalloc/jemalloc.h>

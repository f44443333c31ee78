#!/usr/bin/env bash
# Cost of the failure-injection check on an unarmed thread: the platform allocator's C entry
# points compiled with and without the check, 5M malloc(64)+free pairs per repetition, 7
# repetitions per process (min kept), per-thread CPU time. Usage: scripts/bench-failure-injection.sh [processes]
set -euo pipefail
processes=${1:-8}
here=$(cd "$(dirname "$0")/.." && pwd)
source_dir=$here/CShims/CAllocShims
clang=${CLANG:-$(dirname "$(realpath "$(command -v swift)")")/clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$source_dir/platform_allocator.c" "$work/with.c"
sed 's/injected_failure() ? NULL : //; s/    if (injected_failure()) return NULL;//' "$source_dir/platform_allocator.c" > "$work/without.c"
cat > "$work/bench.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "CAllocShims.h"
static double cpu_ns(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
    long n = atol(argv[1]);
    volatile unsigned char sink = 0;
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = cpu_ns();
        for (long i = 0; i < n; i++) {
            unsigned char *p = CAllocShims_platform_malloc(64);
            p[0] = (unsigned char)i;
            sink ^= p[0];
            CAllocShims_platform_free(p);
        }
        double t = (cpu_ns() - t0) / n;
        if (t < best) best = t;
    }
    printf("%.3f\n", best);
    return 0;
}
C
for variant in with without; do
    "$clang" -O2 -I"$source_dir/include" -I"$source_dir" "$work/bench.c" "$work/$variant.c" "$source_dir/failure_injection.c" \
        -o "$work/bench_$variant" -ldl -lpthread
done
for variant in with without; do : > "$work/$variant.txt"; done
for _ in $(seq "$processes"); do
    for variant in with without; do "$work/bench_$variant" 5000000 >> "$work/$variant.txt"; done
done
for variant in with without; do
    sort -n "$work/$variant.txt" | awk -v v="$variant" '{a[NR]=$1} END {printf "%-8s median %.3f ns/pair, min %.3f, max %.3f (%d processes)\n", v, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR], NR}'
done

#!/usr/bin/env bash
# The many-core sweep (issue 23), on a machine without Swift: from the checkout's root with
# .manycore/ carried (Tools/manycore/bundle.sh builds it). Writes to $OUT (default
# /tmp/manycore-out): machine.txt, cscale.jsonl (the C floor under each allocator, pairs and
# cross-thread), threads-BACKEND.json (`allocshim threads --json`: every workload and form,
# 1..THREADS threads; jemalloc-arena includes the nio-tenant form), tcpc.jsonl, log.txt.
# THREADS (default: the core count) and THREADS_S (seconds per backend, default 90) bound it:
# about 6 minutes on 16 cores.
set -u
cd "$(dirname "$0")/.."
D=$PWD/.manycore
OUT=${OUT:-/tmp/manycore-out}; mkdir -p "$OUT"
LOG=$OUT/log.txt
BIN=$(mktemp -d)/allocshim
gunzip -c "$D/allocshim.gz" > "$BIN" && chmod +x "$BIN"
export LD_LIBRARY_PATH=$D/lib
T=${THREADS:-$(nproc)}
{ date -u; cat "$D/commit.txt"; nproc; grep -m1 'model name' /proc/cpuinfo; ldd --version | head -1; uname -r
  "$BIN" --version; "$BIN" backends; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
start=$(date +%s)
for a in glibc jemalloc mimalloc tcmalloc; do
  case $a in glibc) P=;; jemalloc) P=$D/lib/libjemalloc.so.2;; mimalloc) P=$D/lib/libmimalloc.so.2;; tcmalloc) P=$D/lib/libtcmalloc_minimal.so.4;; esac
  LD_PRELOAD=$P timeout 40 "$D/cscale" $a "$T" 100 1000000 >> "$OUT/cscale.jsonl" 2>> "$LOG"
done
CSCALE_DLOPEN=$D/lib/libtcmalloc.so.4 CSCALE_MALLOC=tc_malloc CSCALE_FREE=tc_free_sized \
  timeout 40 "$D/cscale" tcmalloc-dlopen "$T" 100 1000000 >> "$OUT/cscale.jsonl" 2>> "$LOG"
echo "C floor done after $(( $(date +%s) - start )) s"
for b in system jemalloc mimalloc tcmalloc jemalloc-arena; do
  ops=200000; [ $b = jemalloc-arena ] && ops=100000
  timeout "${THREADS_S:-90}" "$BIN" threads --threads "$T" --repetitions 3 --operations $ops \
    --backend "$b" --json --quiet > "$OUT/threads-$b.json" 2>> "$LOG"
  echo "threads $b: exit $? after $(( $(date +%s) - start )) s"
done
for p in 1 $(( T / 2 )); do for w in 0 1; do
  timeout 20 "$D/tcpc" "$D/lib/libtcmalloc.so.4" $p 2000000 $w >> "$OUT/tcpc.jsonl" 2>> "$LOG"
done; done
echo "tcpc done after $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# Many-core run (issue 23): the C floor, then `allocshim threads` per backend, all workloads and forms,
# 1..16 threads. From the checkout's root with .manycore carried. Writes to $OUT.
set -u
cd "$(dirname "$0")/.."
D=$PWD/.manycore
OUT=${OUT:-/tmp/manycore-out}; mkdir -p "$OUT"
LOG=$OUT/log.txt
gunzip -c "$D/allocshim.gz" > /tmp/allocshim && chmod +x /tmp/allocshim
export LD_LIBRARY_PATH=$D/lib
{ date -u; nproc; grep -m1 'model name' /proc/cpuinfo; ldd --version | head -1; uname -r; /tmp/allocshim --version; /tmp/allocshim backends; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
T=${THREADS:-16}
start=$(date +%s)
for a in glibc jemalloc mimalloc tcmalloc; do
  case $a in glibc) P=;; jemalloc) P=$D/lib/libjemalloc.so.2;; mimalloc) P=$D/lib/libmimalloc.so.2;; tcmalloc) P=$D/lib/libtcmalloc_minimal.so.4;; esac
  LD_PRELOAD=$P timeout 40 "$D/cscale" $a "$T" 100 1000000 >> "$OUT/cscale.jsonl" 2>> "$LOG"
done
for f in tc_free tc_free_sized; do
  CSCALE_DLOPEN=$D/lib/libtcmalloc.so.4 CSCALE_MALLOC=tc_malloc CSCALE_FREE=$f timeout 40 "$D/cscale" "tcmalloc-dlopen-$f" "$T" 100 1000000 >> "$OUT/cscale.jsonl" 2>> "$LOG"
done
echo "C floor done after $(( $(date +%s) - start )) s"
for b in system jemalloc mimalloc tcmalloc jemalloc-arena; do
  ops=200000; [ $b = jemalloc-arena ] && ops=50000
  timeout "${THREADS_S:-70}" /tmp/allocshim threads --threads "$T" --repetitions 3 --operations $ops \
    --backend "$b" --json --quiet > "$OUT/threads-$b.json" 2>> "$LOG"
  echo "threads $b: exit $? after $(( $(date +%s) - start )) s"
done
for p in 1 8; do for w in 0 1; do
  timeout 20 "$D/tcpc" "$D/lib/libtcmalloc.so.4" $p 2000000 $w >> "$OUT/tcpc.jsonl" 2>> "$LOG"
done; done
echo "tcpc done after $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# The many-core run (after ../shared/tools/manycore/manycore-run.sh, extended): the C floor
# (cscale.c) under each allocator, preloaded and loaded as AllocShim loads it; `allocshim threads`
# per backend and workload with every form, the C form (the same work in C on the backend's own
# calls) included and tenant arenas (`jemalloc-arena`) included; a single-thread `allocshim bench`.
# Bounded so the whole run fits in 6 minutes on 16 cores: every step has a timeout taken from
# what is left of BUDGET_S, and the tenant-arena sweep runs fewer operations (its allocations
# take the arena's locks: 3 × 100,000 per thread did not finish in 150 s on 16 cores). The
# caps add up to the budget: 6 × 10 s (C floor) + 12 × 15 s + 3 × 25 s (threads) + 30 s (bench)
# = 345 s; a step that ends early leaves its time to the rest.
#
# Run from the checkout's root, or from anywhere as scripts/manycore-run.sh or
# .manycore/manycore-run.sh (scripts/manycore-bundle.sh builds .manycore/):
#   OUT=/some/folder bash .manycore/manycore-run.sh           the static bundle in .manycore/
#   ALLOCSHIM=.build/debug/allocshim THREADS=2 OUT=/tmp/mc bash scripts/manycore-run.sh   any build, here
# Writes to $OUT: machine.txt, cscale.jsonl (one line per allocator, workload and thread count),
# threads.jsonl (one line per backend and workload: {"backend","workload","exit","seconds","result"}),
# bench.json, log.txt, timing.txt (seconds per step).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
D=$ROOT/.manycore
OUT=${OUT:-/tmp/manycore-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/log.txt
: > "$LOG"; : > "$OUT/cscale.jsonl"; : > "$OUT/threads.jsonl"; : > "$OUT/timing.txt"
BUDGET_S=${BUDGET_S:-345}   # 6 minutes less a margin for unpacking and writing
T=${THREADS:-$(nproc)}
REPS=${REPS:-3}
OPS=${OPS:-50000}            # operations per thread and run, per backend but jemalloc-arena
ARENA_OPS=${ARENA_OPS:-10000}
CSCALE_OPS=${CSCALE_OPS:-500000}
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
# The timeout for a step: its own limit, or what is left of the budget if less (at least 1 s).
limit() { local left=$(( BUDGET_S - $(elapsed) )); (( left < 1 )) && left=1; (( $1 < left )) && echo "$1" || echo "$left"; }
over_budget() { (( $(elapsed) >= BUDGET_S )); }
step_time() { echo "$1 $2" >> "$OUT/timing.txt"; }

# allocshim: $ALLOCSHIM (any build, debug or release) or the bundle's static build.
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
if [ -n "${ALLOCSHIM:-}" ]; then
  BIN=$(cd "$(dirname "$ALLOCSHIM")" && pwd)/$(basename "$ALLOCSHIM")
elif [ -f "$D/allocshim.gz" ]; then
  BIN=$TMP/allocshim; gunzip -c "$D/allocshim.gz" > "$BIN" && chmod +x "$BIN"
else
  echo "no allocshim: set ALLOCSHIM=path/to/allocshim or build .manycore/ with scripts/manycore-bundle.sh" >&2; exit 2
fi
# Libraries: the bundle's copies where they exist (the many-core machine), else the system's.
LIBDIRS=()
[ -d "$D/lib" ] && LIBDIRS+=("$D/lib")
LIBDIRS+=(/usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib)
[ -d "$D/lib" ] && export LD_LIBRARY_PATH=$D/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
find_lib() { local dir; for dir in "${LIBDIRS[@]}"; do [ -f "$dir/$1" ] && { echo "$dir/$1"; return 0; }; done; return 1; }
# The C floor: the bundle's binary, else compiled here from the shared tools (gcc needed).
CSCALE=
if [ -x "$D/cscale" ]; then CSCALE=$D/cscale
elif command -v gcc > /dev/null; then
  for src in "$ROOT/../shared/tools/manycore/cscale.c" "$ROOT/shared/tools/manycore/cscale.c"; do
    [ -f "$src" ] && gcc -O2 -pthread "$src" -o "$TMP/cscale" -ldl 2>> "$LOG" && { CSCALE=$TMP/cscale; break; }
  done
fi

{ echo "cores: $(nproc)"; grep -m1 'model name' /proc/cpuinfo; ldd --version | head -1; uname -r; "$BIN" --version
  echo "threads: $T, repetitions: $REPS, operations per thread: $OPS (jemalloc-arena: $ARENA_OPS), cscale: $CSCALE_OPS, budget: $BUDGET_S s"
  "$BIN" backends; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

# 1. The C floor, preloaded (the process malloc) and, for mimalloc and tcmalloc, also loaded as
#    AllocShim loads them (dlopen RTLD_LOCAL, their own entry points). At most 10 s each.
if [ -n "$CSCALE" ]; then
  for a in glibc jemalloc mimalloc tcmalloc mimalloc-dlopen tcmalloc-dlopen; do
    over_budget && break
    P= DL= M= F=
    case $a in
      jemalloc) P=$(find_lib libjemalloc.so.2) || continue;;
      mimalloc) P=$(find_lib libmimalloc.so.2) || continue;;
      tcmalloc) P=$(find_lib libtcmalloc_minimal.so.4) || continue;;
      mimalloc-dlopen) DL=$(find_lib libmimalloc.so.2) || continue; M=mi_malloc; F=mi_free;;
      tcmalloc-dlopen) DL=$(find_lib libtcmalloc.so.4 || find_lib libtcmalloc_minimal.so.4) || continue; M=tc_malloc; F=tc_free;;
    esac
    s=$(elapsed)
    LD_PRELOAD=$P CSCALE_DLOPEN=$DL CSCALE_MALLOC=$M CSCALE_FREE=$F timeout "$(limit 10)" "$CSCALE" "$a" "$T" 100 "$CSCALE_OPS" \
      >> "$OUT/cscale.jsonl" 2>> "$LOG"
    echo "cscale $a: exit $? after $(elapsed) s"; step_time "cscale-$a" $(( $(elapsed) - s ))
  done
else
  echo "cscale: no binary and no gcc; the C floor is skipped (the C form of allocshim threads still runs)" | tee -a "$LOG"
fi

# 2. allocshim threads: every backend (tenant arenas last), every workload, every form (the C
#    form included). One run per backend and workload, so a timeout loses one line only.
for b in system jemalloc mimalloc tcmalloc jemalloc-arena; do
  if ! "$BIN" backends --json 2>/dev/null | python3 -c 'import json,sys; b=sys.argv[1]; sys.exit(0 if any(x.get("name")==b and x.get("available") for x in json.load(sys.stdin)) else 1)' "$b"; then
    echo "threads $b: backend unavailable, skipped" | tee -a "$LOG"; continue
  fi
  ops=$OPS; cap=15
  [ "$b" = jemalloc-arena ] && { ops=$ARENA_OPS; cap=25; }
  for w in pairs larson producer-consumer; do
    over_budget && { echo "threads $b $w: budget spent, skipped" | tee -a "$LOG"; continue; }
    s=$(elapsed)
    timeout "$(limit $cap)" "$BIN" threads --threads "$T" --repetitions "$REPS" --operations "$ops" --backend "$b" --workload "$w" \
      --json --quiet > "$TMP/threads.json" 2>> "$LOG"
    status=$?
    secs=$(( $(elapsed) - s ))
    echo "threads $b $w: exit $status after $(elapsed) s ($secs s)"; step_time "threads-$b-$w" "$secs"
    python3 - "$TMP/threads.json" "$b" "$w" "$status" "$secs" >> "$OUT/threads.jsonl" 2>> "$LOG" <<'PY'
import json, sys
path, backend, workload, status, seconds = sys.argv[1:]
try:
    result = json.load(open(path))
except ValueError:
    result = None
print(json.dumps({"backend": backend, "workload": workload, "exit": int(status), "seconds": int(seconds), "result": result}))
PY
  done
done

# 3. Single-thread bench on the process-lifetime backends, in what is left (at most 30 s).
if ! over_budget; then
  s=$(elapsed)
  timeout "$(limit 30)" "$BIN" bench --processes 1 --repetitions 3 --iterations "${BENCH_ITERATIONS:-3000}" --backend system --backend jemalloc --backend mimalloc \
    --backend tcmalloc --json --quiet > "$OUT/bench.json" 2>> "$LOG"
  echo "bench: exit $? after $(elapsed) s"; step_time bench $(( $(elapsed) - s ))
fi
echo "total: $(elapsed) s (budget $BUDGET_S s)" | tee -a "$OUT/timing.txt"

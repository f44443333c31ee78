#!/usr/bin/env bash
# The shared-write guard (issue 23, item 6; `make test-shared-writes`): fails when making and
# dropping a buffer on one thread starts writing memory that other threads' same work writes.
#
# Why call counts and not time: on a 2-core machine a shared cache line costs little and
# timing is noisy; a retain of an object every thread shares, or an atomic on a shared word,
# is visible exactly and repeatably as a *count* under callgrind, whatever the machine's load.
#
# How:
#  1. Build Tools/SharedWriteGuard (its own package) in release and strip its debug info
#     (valgrind 3.19 cannot read the DWARF 5 that Swift 6.3 emits).
#  2. Run it under callgrind. Each form's loop is a never-inlined function named
#     `sharedwriteguard_<form>_<using|default>_loop`; collection is off at start and toggled
#     on only inside those functions (`--toggle-collect`, one pattern: callgrind 3.19 keeps only
#     the last such option), and `--dump-after` each of them writes one profile part per run.
#     The pattern is anchored at `_loop` so compiler-made variants (`..._loopTm`, a merged body
#     the named function calls) do not toggle collection off again inside.
#  3. Each loop runs N (after a warm-up of 1000) and 2N times; the N run's counts are
#     subtracted from the 2N run's and divided by N, so start-up and first-slab costs cancel and
#     what is left is the steady state per buffer. N = 4000 crosses about 51 slab turnovers
#     (8 KiB slabs, 100-byte buffers in 104-byte slices: 78 buffers a slab).
#  4. Per buffer it reads, from the calls recorded in the part (every caller summed, callgrind's
#     recursion suffix 'N dropped): swift_retain(_n), swift_release(_n), swift_allocObject, the
#     malloc family's allocating entry points (malloc, calloc, realloc, aligned/memalign,
#     jemalloc's mallocx/rallocx, glibc's __libc_* names) and its freeing ones (free, sdallocx,
#     dallocx); and **atomics**: callgrind cannot count `lock`-prefixed instructions, so the
#     profile is dumped per instruction (`--dump-instr=yes`) and the executions of every
#     instruction in the guard's own executable (AllocShim and its C shims are linked into it
#     statically; Synchronization's atomics are inlined into it) whose disassembly
#     (`objdump -d`) is a read-modify-write to memory — a `lock` prefix, or `xchg` with a
#     memory operand (implicitly locked) — are summed. Atomics inside the Swift runtime are the
#     retains and releases already counted; those inside malloc are the allocator's business.
#  5. Each per-buffer figure must lie within the budget below, written for the TARGET design
#     ("no shared write on a same-thread path"), give or take 0.001 per buffer (4 events in
#     N = 4000: a slab boundary more or less between the N and 2N runs, never a per-slab
#     cost, which is at least 1/78 = 0.013 per buffer). The table says form, source, backend, the figures, the
#     budget and the verdict; a failing row also names the functions that made the calls.
#
# Usage: scripts/check-shared-writes.sh [--length N] [--keep DIR] [--from DIR]
#   --keep DIR keeps the binary, callgrind's profile and the run list there (callgrind_annotate
#   reads the profile); --from DIR reads such a folder again without building or running.
#   SWIFT (default swift), SHARED_WRITES_BUILD (scratch path, default .build-shared-writes).
# Exit status 0 when every row is within budget, 1 when one is not (or the run failed),
# 2 on a bad argument or a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
BUILD=${SHARED_WRITES_BUILD:-.build-shared-writes}
LENGTH=4000
KEEP=""
FROM=""

usage_error() { echo "check-shared-writes: error: $1" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --length)
            [ $# -ge 2 ] || usage_error "--length needs a value (allowed: an integer from 1000 to 1000000)"
            [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 1000 ] && [ "$2" -le 1000000 ] ||
                usage_error "--length $2 is not allowed (allowed: an integer from 1000 to 1000000)"
            LENGTH=$2; shift 2 ;;
        --keep)
            [ $# -ge 2 ] || usage_error "--keep needs a folder"
            KEEP=$2; shift 2 ;;
        --from)
            [ $# -ge 2 ] && [ -f "$2/callgrind.out" ] || usage_error "--from needs a folder written by --keep"
            FROM=$2; shift 2 ;;
        *) usage_error "unknown argument $1 (allowed: --length N, --keep DIR, --from DIR)" ;;
    esac
done
for tool in valgrind objdump nm strip python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        usage_error "$tool not found (Debian: apt-get install valgrind binutils python3)"
done

measure() {
    echo "check-shared-writes: building Tools/SharedWriteGuard (release)" >&2
    "$SWIFT" build -c release --package-path Tools/SharedWriteGuard --scratch-path "$BUILD" --product SharedWriteGuard >&2
    BIN_DIR=$("$SWIFT" build -c release --package-path Tools/SharedWriteGuard --scratch-path "$BUILD" --show-bin-path)

    WORK=${KEEP:-$(mktemp -d)}
    mkdir -p "$WORK"
    [ -n "$KEEP" ] || trap 'rm -rf "$WORK"' EXIT
    cp "$BIN_DIR/SharedWriteGuard" "$WORK/SharedWriteGuard"
    strip --strip-debug "$WORK/SharedWriteGuard"

    mapfile -t loops < <(nm "$WORK/SharedWriteGuard" | awk '$3 ~ /^sharedwriteguard_[a-z_]+_loop$/ { print $3 }' | sort -u)
    [ "${#loops[@]}" -gt 0 ] || { echo "check-shared-writes: no sharedwriteguard_*_loop symbol in the guard" >&2; exit 1; }
    dump_options=()
    for loop in "${loops[@]}"; do dump_options+=("--dump-after=$loop"); done

    echo "check-shared-writes: running ${#loops[@]} loops under callgrind (N = $LENGTH)" >&2
    valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
        --collect-atstart=no --toggle-collect='sharedwriteguard_*_loop' "${dump_options[@]}" \
        --dump-instr=yes --dump-line=no --compress-strings=no --compress-pos=no --combine-dumps=yes \
        "$WORK/SharedWriteGuard" --length "$LENGTH" >"$WORK/runs.tsv" 2>"$WORK/valgrind.log" || {
        echo "check-shared-writes: the guard failed under valgrind:" >&2
        tail -20 "$WORK/valgrind.log" >&2
        exit 1
    }

    # Read-modify-write instructions of the guard's executable, by address (object-relative, as
    # callgrind writes them for a position-independent executable).
    objdump -d --no-show-raw-insn "$WORK/SharedWriteGuard" |
        awk '/^ +[0-9a-f]+:\t(lock |xchg +[^,]*\(|xchg +[^,]*,[^,]*\()/ { sub(":", "", $1); print $1 }' >"$WORK/atomics.txt"
}

if [ -n "$FROM" ]; then WORK=$FROM; else measure; fi

SWIFT="$SWIFT" python3 - "$WORK" <<'PY'
import collections, os, re, subprocess, sys

work = sys.argv[1]
TOLERANCE = 0.001

RETAINS = {"swift_retain", "swift_retain_n", "swift_nonatomic_retain", "swift_nonatomic_retain_n"}
RELEASES = {"swift_release", "swift_release_n", "swift_nonatomic_release", "swift_nonatomic_release_n"}
ALLOC_OBJECT = {"swift_allocObject"}
MALLOCS = {"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "memalign", "posix_memalign", "valloc",
           "pvalloc", "__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_memalign", "__posix_memalign",
           "mallocx", "rallocx", "xallocx"}
FREES = {"free", "cfree", "__libc_free", "sdallocx", "dallocx"}
METRICS = [("retains", RETAINS), ("releases", RELEASES), ("allocObject", ALLOC_OBJECT), ("mallocs", MALLOCS),
           ("frees", FREES)]

# Budgets per buffer for the TARGET design: (low, high) for retains, releases, allocObject,
# mallocs (allocating entry points), frees, atomics (RMW instructions in our code).
BUDGETS = {
    # The guard's self-test: one retain, one release and one atomic of a shared object per
    # iteration, nothing else. Any other reading means the guard no longer sees what it counts.
    "control": ((1, 1), (1, 1), (0, 0), (0, 0), (0, 0), (1, 1)),
    # A slice is cut from this thread's slab and handed back to it; an emptied slab is rewound
    # by its thread, not freed and allocated again: no object, no allocator call, no atomic.
    "owned-pooled": ((0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)),
    # Its own block: one malloc and one free; counters are per thread, nothing is retained.
    "owned-unpooled": ((0, 0), (0, 0), (0, 0), (1, 1), (1, 1), (0, 0)),
    # The same with a zeroed block (calloc / mallocx with MALLOCX_ZERO).
    "owned-zeroed": ((0, 0), (0, 0), (0, 0), (1, 1), (1, 1), (0, 0)),
    # Its storage object is the one new object (one allocObject, one final release, malloc and
    # free under them); the slice comes from this thread's slab; source, allocator, slab and
    # ledger are never retained.
    "shared-allocUnsafe": ((0, 0), (1, 1), (1, 1), (1, 1), (1, 1), (0, 0)),
    # Storage object plus a zeroed block (or one block, if the bytes live in the object).
    "shared-alloc": ((0, 0), (1, 1), (1, 1), (1, 2), (1, 2), (0, 0)),
    # As allocUnsafe; the caller's array, which other threads may share, is read, not retained.
    "shared-fromArray": ((0, 0), (1, 1), (1, 1), (1, 1), (1, 1), (0, 0)),
    # A block, at most one trimming realloc, the storage object; the builder keeps its
    # allocator unretained (it outlives every buffer), so nothing shared is retained.
    "builder": ((0, 0), (1, 1), (1, 1), (1, 3), (1, 2), (0, 0)),
}


# A tenant's arena (backend jemalloc-arena) counts each whole block it makes on the calling
# thread's own share of its live-block count (arena_thread_caches.c: one read-modify-write to
# acquire, one to release, on a word no other thread writes). The guard cannot tell a private
# word from a shared one, so these rows allow exactly those two: the shared count they replace
# also took two (a compare-and-swap and a subtract), and what failed before the change is the
# retain and release of the arena object per block.
# An arena's pool cuts from one cursor per stripe of threads (CursorStripes: an arena must be
# able to take back every idle slab before a reset, which per-thread slabs in other threads'
# storage would not allow). A stripe's slab has no owning thread, so each slice's release is
# one atomic on that slab's count; the slab and its stripe's lock are written only by the
# threads of that stripe (as many stripes as cores, threads numbered in turn), not by all.
# What failed here before: a retain and release per buffer of the pool's stripes object.
ARENA_BLOCK_ATOMICS = (2, 2)
ARENA_SLICE_ATOMICS = (1, 1)
BUDGETS_BY_BACKEND = {
    **{("jemalloc-arena", form): BUDGETS[form][:5] + (ARENA_BLOCK_ATOMICS,)
       for form in ("owned-unpooled", "owned-zeroed", "shared-alloc", "builder")},
    **{("jemalloc-arena", form): BUDGETS[form][:5] + (ARENA_SLICE_ATOMICS,)
       for form in ("owned-pooled", "shared-allocUnsafe", "shared-fromArray")},
}


def budget_for(backend, form):
    return BUDGETS_BY_BACKEND.get((backend, form), BUDGETS[form])


def load_atomics():
    with open(os.path.join(work, "atomics.txt")) as file:
        return {int(line, 16) for line in file if line.strip()}


def parse_parts(path, atomic_addresses):
    """Per part: trigger, calls by callee, callers by callee, atomic executions by function, Ir."""
    parts = []
    current = None
    ob = fn = cfn = None
    skip_next_cost = False
    with open(path) as file:
        for raw in file:
            line = raw.rstrip("\n")
            if line.startswith("part:"):
                current = {"trigger": "", "calls": collections.Counter(), "callers": collections.defaultdict(collections.Counter),
                           "atomics": collections.Counter(), "ir": 0}
                parts.append(current)
                ob = fn = cfn = None
                continue
            if current is None:
                continue
            if line.startswith("desc: Trigger:"):
                current["trigger"] = line.split("Trigger:", 1)[1].strip()
            elif line.startswith("ob="):
                ob = line[3:]
            elif line.startswith("fn="):
                fn = re.sub(r"'\d+$", "", line[3:])
            elif line.startswith("cfn="):
                cfn = re.sub(r"'\d+$", "", line[4:])
            elif line.startswith("calls="):
                count = int(line[6:].split()[0])
                current["calls"][cfn] += count
                current["callers"][cfn][fn] += count
                skip_next_cost = True  # the next cost line is the call's inclusive cost
            elif line.startswith("0x"):
                if skip_next_cost:
                    skip_next_cost = False
                    continue
                fields = line.split()
                cost = int(fields[-1])
                current["ir"] += cost
                if ob is not None and os.path.basename(ob) == "SharedWriteGuard" and int(fields[0], 16) in atomic_addresses:
                    current["atomics"][fn] += cost
    return parts


runs = []
with open(os.path.join(work, "runs.tsv")) as file:
    for line in file:
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "run":
            runs.append(dict(symbol=fields[1], form=fields[2], source=fields[3], backend=fields[4], phase=fields[5],
                             count=int(fields[6])))
parts = [part for part in parse_parts(os.path.join(work, "callgrind.out"), load_atomics())
         if part["trigger"].startswith("--dump-after=")]
if len(parts) != len(runs):
    sys.exit(f"check-shared-writes: {len(parts)} callgrind dumps for {len(runs)} runs: the loops were not all observed")
for run, part in zip(runs, parts):
    if part["trigger"] != "--dump-after=" + run["symbol"]:
        sys.exit(f"check-shared-writes: dump {part['trigger']} does not match run {run['symbol']}")
    run["part"] = part


def metric(part, names):
    return sum(part["calls"][name] for name in names)


def within(value, bounds):
    return bounds[0] - TOLERANCE <= value <= bounds[1] + TOLERANCE


def show(bounds):
    return f"{bounds[0]}" if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"


rows, failures = [], []
length = next(run["count"] for run in runs if run["phase"] == "n")
by_key = {(run["symbol"], run["backend"], run["phase"]): run for run in runs}
for run in runs:
    if run["phase"] != "n":
        continue
    single, double = run, by_key[(run["symbol"], run["backend"], "2n")]
    count = double["count"] - single["count"]
    figures = [(metric(double["part"], names) - metric(single["part"], names)) / count for _, names in METRICS]
    figures.append((sum(double["part"]["atomics"].values()) - sum(single["part"]["atomics"].values())) / count)
    instructions = (double["part"]["ir"] - single["part"]["ir"]) / count
    budget = budget_for(run["backend"], run["form"])
    broken = [label for label, value, bounds in zip([m[0] for m in METRICS] + ["atomics"], figures, budget)
              if not within(value, bounds)]
    if instructions < 20:
        broken.append(f"only {instructions:.1f} instructions per buffer: the loop was not observed")
    rows.append((run["form"], run["source"], run["backend"], figures, instructions, budget, "ok" if not broken else "FAIL"))
    if broken:
        failures.append((run, single, double, broken))

header = ("form", "source", "backend", "retains/buf", "releases/buf", "allocObject/buf", "mallocs/buf", "frees/buf",
          "atomics/buf", "instr/buf", "budget (rt rl ao m f at)", "verdict")
table = [header] + [
    (form, source, backend, *[f"{value:.4f}" for value in figures], f"{instructions:.0f}",
     " ".join(show(bounds) for bounds in budget), verdict)
    for form, source, backend, figures, instructions, budget, verdict in rows]
widths = [max(len(row[column]) for row in table) for column in range(len(header))]
for index, row in enumerate(table):
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if index == 0:
        print("  ".join("-" * width for width in widths))


def demangle(names):
    names = list(names)
    if not names:
        return {}
    try:
        output = subprocess.run([os.environ.get("SWIFT", "swift"), "demangle", "--simplified", "--compact"],
                                input="\n".join(names) + "\n", capture_output=True, text=True, check=True).stdout
        return dict(zip(names, output.splitlines()))
    except (OSError, subprocess.CalledProcessError):
        return {name: name for name in names}


if failures:
    print(f"\ncheck-shared-writes: {len(failures)} of {len(rows)} rows over budget (per buffer, 2N run minus N run, N = {length}):")
    for run, single, double, broken in failures:
        print(f"- {run['form']} ({run['source']}, {run['backend']}): {', '.join(broken)}")
        count = double["count"] - single["count"]
        lines = []
        for label, names in METRICS:
            if label not in broken:
                continue
            callers = collections.Counter()
            for name in names:
                callers.update(double["part"]["callers"][name])
                callers.subtract(single["part"]["callers"][name])
            lines += [(label, caller, calls) for caller, calls in callers.most_common(3) if calls > 0]
        if "atomics" in broken:
            atomics = collections.Counter(double["part"]["atomics"])
            atomics.subtract(single["part"]["atomics"])
            lines += [("atomics", function, calls) for function, calls in atomics.most_common(3) if calls > 0]
        names = demangle({caller for _, caller, _ in lines})
        for label, caller, calls in lines:
            # A call made by the loop itself is the call site's: an argument the API takes
            # owned (+1, initializers' default) or copies to pass generically.
            at_call_site = caller == run["symbol"] and label == "retains"
            where = " (the call site: an argument passed owned or copied for a generic call)" if at_call_site else ""
            print(f"    {label}: {calls / count:.4f}/buffer from {names.get(caller, caller)[:150]}{where}")
    sys.exit(1)
print(f"\ncheck-shared-writes: all {len(rows)} rows within budget (N = {length})")
PY

#!/usr/bin/env bash
# Runs the built `allocshim` with bad arguments and environment values and checks that each is
# exactly one line on standard error, "allocshim: error: ...", naming the bad value and what is
# allowed, with exit status 2 and nothing measured; then a few things that must work.
#   usage: scripts/test-cli.sh [path/to/allocshim]      (make test-cli builds it first)
# Every run is bounded by `timeout`; the whole script takes a few seconds.
set -uo pipefail

binary=${1:-.build/debug/allocshim}
[ -x "$binary" ] || { echo "test-cli: $binary is not an executable (build it: swift build --product allocshim)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_error "<substring>..." -- [env VAR=value ...] allocshim-arguments...
expect_error() {
    local expected=()
    while [ "$1" != "--" ]; do expected+=("$1"); shift; done
    shift
    checks=$((checks + 1))
    local status=0
    timeout 20 "$@" >"$work/out" 2>"$work/err" || status=$?
    local shown="$*"
    if [ "$status" -ne 2 ]; then fail "$shown: exit status $status, expected 2 (stderr: $(head -c 300 "$work/err"))"; return; fi
    if [ -s "$work/out" ]; then fail "$shown: wrote to standard output: $(head -c 200 "$work/out")"; return; fi
    local lines
    lines=$(wc -l <"$work/err")
    if [ "$lines" -ne 1 ]; then fail "$shown: $lines lines on standard error, expected 1: $(cat "$work/err")"; return; fi
    if ! grep -q '^allocshim: error: ' "$work/err"; then fail "$shown: no 'allocshim: error: ' prefix: $(cat "$work/err")"; return; fi
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$work/err"; then fail "$shown: control characters in the message"; return; fi
    if grep -qE 'Error Domain=|UserInfo=' "$work/err"; then fail "$shown: a Foundation error dump instead of a sentence: $(cat "$work/err")"; return; fi
    local piece
    for piece in "${expected[@]}"; do
        grep -qF -- "$piece" "$work/err" || fail "$shown: message lacks '$piece': $(cat "$work/err")"
    done
}

a=$binary

# Counts and sizes: negative numbers reach the value parser instead of reading as options.
expect_error "'-1'" "--size" "from 1 to 268435456" -- "$a" residue --size -1
expect_error "'-1'" "from 1 to 268435456" -- "$a" residue --size=-1
expect_error "'0'" "from 1 to 268435456" -- "$a" residue --size 0
expect_error "'abc'" "--rounds" "from 1 to 100000" -- "$a" residue --rounds abc
expect_error "'-5'" "from 1 to 100000" -- "$a" residue --rounds -5
expect_error "'0'" "from 1 to 100000" -- "$a" residue --rounds 0
expect_error "'nope'" "--scenario" "same-size" -- "$a" residue --scenario nope
expect_error "--no-default-sizes needs at least one --size" -- "$a" residue --no-default-sizes
expect_error "Missing value for '--size" -- "$a" residue --size
expect_error "'0'" "--iterations" "from 1 to 10000000" -- "$a" bench --iterations 0
expect_error "'1001'" "--repetitions" "from 1 to 1000" -- "$a" bench --repetitions 1001
expect_error "'nope'" "alloc-100B" -- "$a" bench --scenario nope
expect_error "'nope'" "--backend" "system, jemalloc" -- "$a" bench --backend nope
expect_error "'0'" "--processes" "from 1 to 20" -- "$a" bench --processes 0
expect_error "'21'" "--processes" "from 1 to 20" -- "$a" bench --processes 21
expect_error "'-2'" "from 1 to 20" -- "$a" bench --processes -2
expect_error "'two'" "--processes" "from 1 to 20" -- "$a" bench --processes two
expect_error "'100000'" "--threads" "from 1 to 1024" -- "$a" threads --threads 100000
expect_error "'0'" "from 1 to 1024" -- "$a" threads --threads 0
expect_error "'-1'" "from 1 to 1024" -- "$a" threads --threads -1
expect_error "'0'" "--repetitions" "from 1 to 1000" -- "$a" threads --repetitions 0
expect_error "'10000001'" "--operations" "from 1 to 10000000" -- "$a" threads --operations 10000001
expect_error "'nope'" "--workload" "pairs, larson, producer-consumer" -- "$a" threads --workload nope
expect_error "'nope'" "--form" "owned-pooled, owned-unpooled, shared-unsafe, allocator" -- "$a" threads --form nope
expect_error "shared-unsafe is for pairs only" -- "$a" threads --workload larson --form shared-unsafe
expect_error "'2'" "--repetitions" "from 3 to 1000" -- "$a" output-span --repetitions 2
expect_error "'99'" "--scale" "from 100 to 10000000" -- "$a" output-span --scale 99
expect_error "'nope'" "--backend" "system, jemalloc" -- "$a" output-span --backend nope
expect_error "'0'" "--repetitions" "from 3 to 1000" -- "$a" pool-size --repetitions 0
expect_error "'nope'" "--backend" "system, jemalloc" -- "$a" pool-size --backend nope
expect_error "'abc'" "--rounds" -- "$a" report --rounds abc --output "$work/never"
expect_error "'0'" "--bench-processes" "from 1 to 20" -- "$a" report --bench-processes 0 --output "$work/never"
expect_error "Unknown option '--frob'" -- "$a" residue --frob
# An unavailable backend asked for by name (in a build without jemalloc, or a missing library).
unavailable=$(timeout 20 "$a" backends --json 2>/dev/null | tr -d ' \n' | grep -o '"available":false,"name":"[a-z-]*"' | head -1 | sed 's/.*"name":"\(.*\)"/\1/')
if [ -n "$unavailable" ]; then
    expect_error "--backend" "'$unavailable' is unavailable" "to use it" -- "$a" bench --backend "$unavailable"
    grep -q "to use it.*to use it" "$work/err" && fail "the unavailable-backend message repeats itself: $(cat "$work/err")"
fi

# report --output is checked before anything is measured (each of these returns at once).
touch "$work/file"
expect_error "exists and is not a directory" -- "$a" report --output "$work/file"
expect_error "cannot create" "is not a directory" -- "$a" report --output "$work/file/sub"
expect_error "allowed: a directory path" -- "$a" report --output ""
expect_error "--from" "cannot read" -- "$a" report --from "$work/missing.json" --output "$work/out-dir"
echo '{"not": "a report"}' >"$work/bad.json"
expect_error "--from" "is not a report.json" -- "$a" report --from "$work/bad.json" --output "$work/out-dir"
[ -e "$work/out-dir" ] && fail "report created its output folder although its arguments were bad"

# Every --output is checked before anything is measured: measuring first would run past the
# 20 s timeout (leaks) or end in a file error after the work (soak).
expect_error "--output" "cannot create '/proc/nope'" -- "$a" leaks --output /proc/nope
expect_error "--output" "exists and is not a directory" -- "$a" leaks --costs --output "$work/file"
expect_error "--output" "cannot create '/proc/nope'" -- "$a" soak --output /proc/nope --config system
expect_error "--output" "exists and is not a directory" -- "$a" soak --release-cost-only --config system --output "$work/file"
expect_error "--replot" "is not a readable soak.json" "missing.json" -- "$a" soak --replot "$work/missing.json" --output "$work/never"
[ -e "$work/never" ] && fail "soak created its output folder although its arguments were bad"
# Flags that exclude each other are refused, instead of a run that measures nothing.
expect_error "--skip-release-cost and --release-cost-only exclude each other" -- "$a" soak --skip-release-cost --release-cost-only --output "$work/never"
# Out-of-range numbers are invalid values, named with the allowed range (never "Missing value").
expect_error "'-1'" "--false-positive-buffers" "from 1 to 100000000" -- "$a" leaks --false-positive-buffers -1
expect_error "'0'" "--rounds" "from 1 to 100000" -- "$a" leaks --rounds 0
expect_error "'-3'" "--duration" "from 2 to 86400" -- "$a" soak --duration -3
expect_error "'0'" "--connections" "from 1 to 512" -- "$a" soak --connections 0
expect_error "'-1'" "--repeat" "from 1 to 20" -- "$a" soak --repeat -1
expect_error "'80'" "--port" "from 1024 to 65535" -- "$a" soak --port 80
expect_error "--duration 5" "35 … 86400" -- "$a" soak --duration 5 --burst 20 --idle 15
# One backend vocabulary: a name that exists in the other place says where it applies.
expect_error "'scudo'" "system, jemalloc, jemalloc-arena" "process allocator only" "allocshim run" -- "$a" bench --backend scudo
expect_error "'jemalloc-arena'" "system, jemalloc, mimalloc, tcmalloc, scudo" "in-process backend only" "use jemalloc" -- "$a" run --backend jemalloc-arena -- /bin/true
expect_error "'jemalloc-arena'" "in-process backend only" -- "$a" soak --config jemalloc-arena --output "$work/never"
expect_error "'nope'" "system, jemalloc, mimalloc, tcmalloc, scudo" -- "$a" run --backend nope -- /bin/true
# In a build that links jemalloc the release probe cannot run: --release-cost-only says so and
# fails, instead of printing an empty table with exit status 0.
if timeout 20 "$a" backends --json 2>/dev/null | tr -d ' \n' | grep -q '"available":true,"name":"jemalloc"'; then
    checks=$((checks + 1))
    status=0
    timeout 60 "$a" soak --release-cost-only --config system --output "$work/release-cost" >"$work/out" 2>"$work/err" || status=$?
    if [ "$status" -ne 1 ] || ! grep -q '^allocshim: error: no release cost was measured' "$work/err"; then
        fail "soak --release-cost-only in a build linking jemalloc: exit status $status, expected 1 and 'no release cost was measured': $(head -c 300 "$work/err")"
    fi
fi

# Help: every subcommand's --help is help (run's included, which passes other words on to
# COMMAND), counts show their defaults, and the text speaks to users, not of our sources.
for sub in backends config bench residue fragmentation threads report leaks run soak output-span pool-size; do
    checks=$((checks + 1))
    status=0
    timeout 20 "$a" "$sub" --help >"$work/help" 2>"$work/err" || status=$?
    if [ "$status" -ne 0 ]; then fail "$sub --help: exit status $status: $(head -c 200 "$work/err")"; continue; fi
    grep -q "^USAGE: allocshim $sub" "$work/help" || fail "$sub --help: no usage line"
    grep -qiE 'chapter|issue[- ][0-9]' "$work/help" && fail "$sub --help speaks project jargon: $(grep -iE 'chapter|issue[- ][0-9]' "$work/help")"
done
expect_default() { # subcommand option default
    checks=$((checks + 1))
    # The option's help entry: its first line and the indented lines that continue it.
    local entry
    entry=$(timeout 20 "$a" "$1" --help 2>/dev/null | awk -v option="$2" '
        $1 == option { inside = 1; print; next }
        inside && /^      / { print; next }
        { inside = 0 }' | tr -s ' \n' ' ')
    [ -n "$entry" ] || { fail "$1 --help: no $2"; return; }
    printf '%s' "$entry" | grep -qiF "default: $3" || fail "$1 --help: $2 does not show its default $3: $entry"
}
expect_default bench --iterations 10000
expect_default bench --repetitions 5
expect_default residue --rounds 100
expect_default threads --operations 300000
expect_default threads --repetitions 5
expect_default report --iterations 10000
expect_default report --rounds 100
expect_default leaks --false-positive-buffers 4000000
expect_default leaks --rounds 50
expect_default soak --duration 180
expect_default soak --connections 48
expect_default run --backend system
expect_default output-span --repetitions 15
expect_default output-span --scale 50000
expect_default pool-size --repetitions 11
# Shell completions offer the names (bash: the candidates are listed in the script).
checks=$((checks + 1))
timeout 20 "$a" --generate-completion-script bash >"$work/completion.bash" 2>/dev/null || fail "--generate-completion-script bash: exit status $?"
for word in jemalloc-arena scudo alloc-100B larson owned-pooled same-size; do
    grep -q -- "$word" "$work/completion.bash" || fail "bash completion offers no '$word'"
done

# Environment values: checked up front, escaped, cut when long.
expect_error "ALLOCSHIM_ZERO_FILL" "'maybe'" "allowed: 1, true, yes, on" -- env ALLOCSHIM_ZERO_FILL=maybe "$a" config
expect_error "ALLOCSHIM_POOL_SIZE" "'12'" "from 64 to" -- env ALLOCSHIM_POOL_SIZE=12 "$a" residue --rounds 1
expect_error "ALLOCSHIM_BACKEND" "'evil\\n\\u{1B}[31mred'" "valid backends are" -- env ALLOCSHIM_BACKEND=$'evil\n\e[31mred' "$a" backends
long=$(printf 'x%.0s' $(seq 1 3000))
expect_error "… (3000 characters)" -- env ALLOCSHIM_BACKEND="$long" "$a" backends
if [ "$(wc -c <"$work/err")" -gt 400 ]; then fail "a 3000-character value made a $(wc -c <"$work/err")-byte message"; fi

# allocshim run: malformed MALLOC_CONF is refused with the grammar; the value is shown escaped.
if timeout 20 "$a" backends --json 2>/dev/null | tr -d ' \n' | grep -q '"available":true,"name":"jemalloc"' \
    || [ -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] || [ -e /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 ]; then
    expect_error "--malloc-conf 'dirty_decay_ms=1000'" "has no ':'" "key:value[,key:value]..." -- "$a" run --backend jemalloc --malloc-conf dirty_decay_ms=1000 -- /bin/true
    expect_error "pair 2 is empty" "key:value[,key:value]..." -- "$a" run --backend jemalloc --malloc-conf narenas:1, -- /bin/true
    expect_error "key 'Narenas'" -- "$a" run --backend jemalloc --malloc-conf Narenas:1 -- /bin/true
    expect_error "'background_thread:true\\u{1B}[2J'" "U+1B" -- "$a" run --backend jemalloc --malloc-conf $'background_thread:true\e[2J' -- /bin/true
    expect_error "--malloc-conf 'dirty_decay_ms:0=1,x'" "pair 2 'x' has no ':'" -- "$a" soak --config 'jemalloc+malloc-conf=dirty_decay_ms:0=1,x' --output "$work/never"
    # What runs is followed: an exec that drops the preload is stopped (status 1, one line).
    checks=$((checks + 1))
    status=0
    timeout 20 "$a" run --quiet --backend jemalloc -- /usr/bin/env -u LD_PRELOAD /bin/sleep 5 >"$work/out" 2>"$work/err" || status=$?
    if [ "$status" -ne 1 ] || [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q "not jemalloc" "$work/err"; then
        fail "run: an exec without LD_PRELOAD: exit status $status, expected 1 and one line naming jemalloc: $(head -c 300 "$work/err")"
    fi
fi
# allocshim run: SIGHUP reaches the child, which does not outlive run.
checks=$((checks + 1))
timeout 30 "$a" run --quiet --backend system -- /bin/sh -c "echo \$\$ > '$work/child'; exec sleep 20" >/dev/null 2>&1 &
runner=$!
for _ in $(seq 1 400); do [ -s "$work/child" ] && break; sleep 0.05; done
child=$(cat "$work/child" 2>/dev/null)
sleep 0.2
kill -HUP "$runner" 2>/dev/null
status=0
wait "$runner" || status=$?
sleep 0.2
if [ "$status" -ne 129 ]; then fail "run after SIGHUP: exit status $status, expected 129 (the child's death by SIGHUP)"; fi
if [ -n "$child" ] && kill -0 "$child" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$child/stat" 2>/dev/null; then
    fail "run after SIGHUP: the child $child outlived it"
    kill -KILL "$child" 2>/dev/null
fi

# soak --replot reads a soak.json like any input: every field checked, labels escaped.
replot_json() { # burst idle duration residentMiB label
    printf '{"date":"2026-12-04T17:00:00Z","machine":"m","command":"c","releaseCosts":[],"workload":{"connections":1,"burstSeconds":%s,"idleSeconds":%s,"durationSeconds":%s,"minimumBodyBytes":1024,"maximumBodyBytes":4096,"tenants":0,"maximumRequests":100},"runs":[{"label":"%s","repetition":1,"mallocLibrary":"libc.so.6","serviceBufferBackend":"system","samples":[{"second":0,"burst":true,"residentMiB":%s,"anonymousMiB":1,"requests":1,"mebibytes":1,"p50Milliseconds":1,"p99Milliseconds":1,"errors":0}]}]}' "$1" "$2" "$3" "$5" "$4"
}
replot_json 0 0 2 10 system >"$work/zero.json"
expect_error "workload.burstSeconds" "= 0" "1 … 3600" -- "$a" soak --replot "$work/zero.json" --output "$work/replot"
replot_json 1 1 1000000000000000 10 system >"$work/long.json"
expect_error "workload.durationSeconds" "1000000000000000" "2 … 86400" -- "$a" soak --replot "$work/long.json" --output "$work/replot"
replot_json 5 5 10 1e308 system >"$work/huge.json"
expect_error "runs[0].samples[0].residentMiB" "1e+308" -- "$a" soak --replot "$work/huge.json" --output "$work/replot"
replot_json 5 5 10 10 'x\n| row |' >"$work/newline.json"
expect_error "runs[0].label" "control characters" -- "$a" soak --replot "$work/newline.json" --output "$work/replot"
checks=$((checks + 1))
replot_json 5 5 10 10 'x | [a](javascript:b) <img src=x onerror=y> **z**' >"$work/inject.json"
if ! timeout 20 "$a" soak --replot "$work/inject.json" --output "$work/replot" >/dev/null 2>"$work/err"; then
    fail "soak --replot of a label with Markdown in it: $(head -c 300 "$work/err")"
else
    row=$(grep '^| x' "$work/replot/soak.md")
    [ "$(printf '%s' "$row" | sed 's/\\|//g' | tr -cd '|' | wc -c)" -eq 10 ] || fail "soak.md: the label added table cells: $row"
    grep -qF '[a](' "$work/replot/soak.md" && fail "soak.md: the label's link survived: $row"
    grep -q '\(^\|[^\\]\)<img' "$work/replot/soak.md" && fail "soak.md: the label's HTML survived unescaped: $row"
    grep -qF '<img' "$work/replot/soak-rss.svg" && fail "soak-rss.svg: the label's HTML survived"
fi

# A measurement that fails is status 1, not the usage-error status 2 (issue 22): a static
# executable's malloc binding cannot be verified, so the soak stops before measuring.
checks=$((checks + 1))
status=0
timeout 20 "$a" soak --service /sbin/ldconfig --config system --skip-release-cost --output "$work/soak-static" >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -ne 1 ] || [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -q '^allocshim: error: cannot verify the allocator' "$work/err"; then
    fail "soak of a static service: exit status $status, expected 1 and one line 'cannot verify the allocator': $(head -c 300 "$work/err")"
fi

# `run --help` is help, not a command named --help (issue 22); `run -- --help` still runs it.
checks=$((checks + 1))
status=0
timeout 20 "$a" run --help >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -ne 0 ] || ! grep -q 'USAGE: allocshim run' "$work/out"; then
    fail "run --help: exit status $status, expected 0 and the run command's help: $(head -c 300 "$work/out") $(head -c 300 "$work/err")"
fi
expect_error "command '--help' not found" -- "$a" run -- --help

# `report --from` writes the report without measuring: fast, silent, and without the two
# sections that measure as they are written (the service soak and the leaks section).
checks=$((checks + 1))
saved="$(dirname "$0")/../docs/data/report.json"
if [ -f "$saved" ]; then
    status=0
    timeout 20 "$a" report --from "$saved" --output "$work/from" >"$work/out" 2>"$work/err" || status=$?
    if [ "$status" -ne 0 ] || [ -s "$work/err" ] || [ ! -s "$work/from/report.md" ] \
        || [ -e "$work/from/service-soak.json" ] || [ -e "$work/from/leaks.json" ]; then
        fail "report --from: exit status $status; it must only write the saved report: $(head -c 300 "$work/err") $(ls "$work/from" 2>&1 | tr '\n' ' ')"
    fi
fi

# What must work.
checks=$((checks + 1))
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$(dirname "$0")/../Sources/AllocShim/AllocShimVersion.swift")
printed=$(timeout 20 "$a" --version) || fail "--version: exit status $?"
[ -n "$version" ] && [ "$printed" = "$version" ] || fail "--version printed '$printed', AllocShimVersion.current is '$version'"

checks=$((checks + 1))
if ! timeout 20 env ALLOCSHIM_BACKEND= ALLOCSHIM_ZERO_FILL= ALLOCSHIM_POOL_SIZE= ALLOCSHIM_MIMALLOC_LIBRARY= ALLOCSHIM_TCMALLOC_LIBRARY= \
    "$a" config --json >"$work/config.json" 2>"$work/err"; then
    fail "empty ALLOCSHIM_* values must mean unset: $(cat "$work/err")"
else
    grep -q '"backend" : "system"' "$work/config.json" || fail "empty ALLOCSHIM_BACKEND did not select system: $(cat "$work/config.json")"
    grep -q '"poolSize" : 8192' "$work/config.json" || fail "empty ALLOCSHIM_POOL_SIZE did not select 8192"
    grep -q '"environment" : {' "$work/config.json" && ! grep -q '"ALLOCSHIM_' "$work/config.json" || fail "empty values listed as set"
fi

checks=$((checks + 1))
timeout 20 "$a" backends --json >"$work/plain.json" 2>/dev/null
timeout 20 env ALLOCSHIM_MIMALLOC_LIBRARY= ALLOCSHIM_TCMALLOC_LIBRARY= "$a" backends --json >"$work/empty.json" 2>/dev/null
cmp -s "$work/plain.json" "$work/empty.json" || fail "empty ALLOCSHIM_*_LIBRARY changed backend availability: $(diff "$work/plain.json" "$work/empty.json" | head -5)"

# bench --processes: the children's rows come back combined, with the spread across processes.
checks=$((checks + 1))
if ! timeout 60 "$a" bench --processes 2 --json --quiet --backend system --scenario alloc-100B --iterations 100 --repetitions 1 \
    >"$work/bench.json" 2>"$work/err"; then
    fail "bench --processes 2: exit status $?: $(head -c 300 "$work/err")"
else
    grep -q '"processes" : 2' "$work/bench.json" || fail "bench --processes 2: no \"processes\" : 2 in $(head -c 300 "$work/bench.json")"
    grep -q '"cProcessSpread" : [0-9]' "$work/bench.json" || fail "bench --processes 2: no cProcessSpread figure"
fi

# A thread that cannot start is an error, not a hang: with the address space capped, 1024
# stacks of 256 KiB do not fit (the run stops at the first failed start).
checks=$((checks + 1))
status=0
(ulimit -v 200000 && exec timeout 30 "$a" threads --threads 1024 --backend system --quiet) >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -ne 1 ]; then
    fail "threads under a 200 MB address-space cap: exit status $status, expected 1: $(head -c 300 "$work/err")"
elif ! grep -q '^allocshim: error: could not start thread [0-9]* of 1024: pthread_create failed' "$work/err" || [ "$(wc -l <"$work/err")" -ne 1 ]; then
    fail "threads under a 200 MB address-space cap: unexpected message: $(cat "$work/err")"
fi

# Progress: plain lines when standard error is not a terminal, nothing with --quiet. A short
# sweep: the debug build is slow, and the figures are not what is checked here.
checks=$((checks + 1))
short_sweep="--operations 2000 --repetitions 1"
timeout 60 "$a" threads --threads 2 --backend system $short_sweep >"$work/out" 2>"$work/err" || fail "threads --threads 2: exit status $?"
grep -q '^\[ 0%\] threads: system, pairs, owned-pooled — ' "$work/err" || fail "threads: no progress line for the first sweep case: $(cat "$work/err")"
grep -q '^\[[ 0-9]*%\] threads: system, producer-consumer, allocator — ' "$work/err" || fail "threads: no progress line for the last sweep case"
grep -q '^\[[ 0-9]*%\] threads: system, 2 threads — ' "$work/err" || fail "threads: no progress line for the 2-thread 64-byte run"
grep -q '^done in ' "$work/err" || fail "threads: no closing progress line"
grep -q 'million operations per second' "$work/out" || fail "threads: no sweep table on standard output"
grep -q '^Headline, system: pooled 100 B OwnedBytes, 2 threads / 1 thread = ' "$work/out" || fail "threads: no headline figure"
grep -q 'million per second' "$work/out" || fail "threads: no 64-byte table on standard output"
checks=$((checks + 1))
timeout 60 "$a" threads --threads 2 --backend system --quiet $short_sweep >"$work/out" 2>"$work/err" || fail "threads --quiet: exit status $?"
[ -s "$work/err" ] && fail "--quiet still wrote: $(cat "$work/err")"

if [ "$failures" -ne 0 ]; then
    echo "test-cli: $failures failures in $checks checks" >&2
    exit 1
fi
echo "test-cli: all $checks checks passed"

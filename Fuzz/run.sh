#!/usr/bin/env bash
# Builds and runs AllocShim's libFuzzer fuzzers (see Fuzz/README.md).
#   Fuzz/run.sh test SECONDS   the checked-in corpora as regression inputs, then SECONDS of
#                              fuzzing per fuzzer (CI: `make test-fuzz`)
#   Fuzz/run.sh fuzz SECONDS   the same, longer, keeping what it finds in Fuzz/.build-corpus
# Two builds: with AddressSanitizer and without jemalloc (ASan must own malloc), every fuzzer;
# and, when jemalloc is installed, a plain libFuzzer build with it, for fuzz-allocator's
# arenas and tenants. A failure leaves the input in Fuzz/.build-artifacts and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:?usage: run.sh test|fuzz SECONDS}
seconds=${2:?usage: run.sh test|fuzz SECONDS}
case "$seconds" in ''|*[!0-9]*) echo "run.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2;; esac
SWIFT=${SWIFT:-swift}

# The Swift runtime's backtracer crashes inside ASan's shadow gap; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
# Allocation failures are typed errors the fuzzers check, not ASan reports.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
# Third-party leaks (tcmalloc's load-time bytes) are suppressed as in `make test-asan`.
suppressions=suppressions=$PWD/../Tests/lsan-suppressions.txt
export LSAN_OPTIONS=$suppressions

# SwiftPM caches the source list of a path dependency: a file added to the library since the
# last build would be missing. A newer manifest makes it look again.
touch Package.swift

build() {  # scratch path, then extra flags
    local scratch=$1; shift
    "$SWIFT" build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer "$@" --scratch-path "$scratch"
}

mkdir -p .build-artifacts .build-corpus
run() {  # label, binary, corpus name, max_len
    local label=$1 binary=$2 corpus=Corpus/$3 max_len=$4 work=.build-corpus/$1
    local options=(-max_len="$max_len" -timeout=30 -rss_limit_mb=4096 -artifact_prefix=".build-artifacts/$label-")
    mkdir -p "$work"
    # fuzz-allocator loads tcmalloc, whose frames a fast unwind misses (no frame pointers):
    # full stacks there, so the suppression matches. It costs the decoders 15x their speed.
    if [ "$3" = allocator ]; then export LSAN_OPTIONS=$suppressions:fast_unwind_on_malloc=0; else export LSAN_OPTIONS=$suppressions; fi
    echo "== $label: the corpus in $corpus as regression inputs"
    if ! "$binary" "${options[@]}" -runs=0 "$corpus"; then
        echo "$label failed on a checked-in input (see above; reproduce: Fuzz/$binary <file>)" >&2
        exit 1
    fi
    echo "== $label: fuzzing for $seconds s"
    local started=$SECONDS status
    # grep hides progress lines only; the fuzzer's own status decides.
    set +e
    "$binary" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 "$work" "$corpus" 2>&1 |
        grep -v -e '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)' -e '^	NEW_FUNC'
    status=${PIPESTATUS[0]}
    set -e
    echo "== $label: $((SECONDS - started)) s, exit $status"
    if [ "$status" -ne 0 ]; then
        echo "$label failed: the input is in Fuzz/.build-artifacts/ (reproduce: $binary <file>)" >&2
        exit "$status"
    fi
    if [ "$mode" = test ]; then rm -rf "$work"; fi
}

build .build-asan --sanitize=address
for fuzzer in base64 hex allocator; do
    max_len=4096
    [ "$fuzzer" = allocator ] && max_len=1024
    run "$fuzzer-asan" ".build-asan/release/fuzz-$fuzzer" "$fuzzer" "$max_len"
done

if pkg-config --exists jemalloc 2>/dev/null; then
    build .build-jemalloc --traits Jemalloc --product fuzz-allocator
    run allocator-jemalloc .build-jemalloc/release/fuzz-allocator allocator 1024
else
    echo "== jemalloc is not installed: fuzz-allocator ran without arenas and tenants only"
fi

#!/usr/bin/env bash
# Smoke test of the Hummingbird 2 example (make test-hummingbird): builds it, starts it on
# loopback for each available backend, and checks
#   - /healthz and /echo;
#   - that the backend's allocation counter moves with every new connection (Hummingbird's
#     read buffers come from the AllocShim NIO allocator, not NIO's malloc);
#   - tenants: an echo with `AllocShim-Tenant: alpha` is served from alpha's arena (its
#     counter moves, beta's does not), and a malformed tenant key is answered 400;
#   - Hummingbird's own HTTP/1 configuration is kept: a header over MAX_HEADER is refused (400);
#   - that SIGTERM stops it with status 0.
# SCRATCH (default .build) is the build directory.
set -euo pipefail
cd "$(dirname "$0")"
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH"
BINARY=$SCRATCH/release/HummingbirdService
PORT=${PORT:-18383}
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true' EXIT
fail() { echo "hummingbird smoke: FAIL: $*" >&2; exit 1; }
# allocations [curl options...]: the allocation counter /stats reports.
allocations() { curl -fs "$@" "$URL/stats" | sed -n 's/^allocations //p'; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

for backend in system jemalloc mimalloc tcmalloc; do
    ALLOCSHIM_BACKEND=$backend PORT=$PORT MAX_HEADER=1024 "$BINARY" >/tmp/hb-smoke.log 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null 2>&1 && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        SERVER_PID=""
        grep -q "is unavailable" /tmp/hb-smoke.log || fail "$backend: the service did not start: $(tail -3 /tmp/hb-smoke.log)"
        echo "hummingbird smoke: $backend skipped: $(grep -o "is unavailable.*" /tmp/hb-smoke.log | head -1)"
        continue
    fi
    [ "$(curl -fs "$URL/healthz")" = ok ] || fail "$backend: /healthz"
    [ "$(curl -fs -X POST --data 'hello, hummingbird' "$URL/echo")" = "HELLO, HUMMINGBIRD" ] || fail "$backend: /echo"
    # Ten new connections, each reading a request: each read buffer is an allocation of the
    # backend (GET /healthz allocates no AllocShim buffer itself).
    before=$(allocations)
    for _ in $(seq 10); do curl -fs "$URL/healthz" >/dev/null; done
    after=$(allocations)
    [ $((after - before)) -ge 10 ] || fail "$backend: $((after - before)) backend allocations for 10 connections: the NIO allocator is not AllocShim's"

    # Tenants: both arenas exist once /stats has named them; alpha's echo lands in alpha's.
    alpha_before=$(allocations -H 'AllocShim-Tenant: alpha')
    beta_before=$(allocations -H 'AllocShim-Tenant: beta')
    [ "$(curl -fs -H 'AllocShim-Tenant: alpha' -X POST --data 'tenant alpha' "$URL/echo")" = "TENANT ALPHA" ] || fail "$backend: tenant /echo"
    alpha_after=$(allocations -H 'AllocShim-Tenant: alpha')
    beta_after=$(allocations -H 'AllocShim-Tenant: beta')
    [ $((alpha_after - alpha_before)) -ge 1 ] || fail "$backend: alpha's echo made no allocation in alpha's arena"
    [ "$beta_after" = "$beta_before" ] || fail "$backend: alpha's echo reached beta's arena ($beta_before -> $beta_after)"
    code=$(status -H 'AllocShim-Tenant: ../etc' "$URL/healthz")
    [ "$code" = 400 ] || fail "$backend: a malformed tenant key got $code, not 400"
    curl -s -H 'AllocShim-Tenant: ../etc' "$URL/healthz" | grep -q "invalid tenant '../etc'" || fail "$backend: the 400 does not name the bad key"

    # MAX_HEADER=1024 reached Hummingbird's HTTP/1 decoder: a 2 KiB header is refused.
    code=$(status -H "X-Pad: $(head -c 2048 /dev/zero | tr '\0' a)" "$URL/healthz")
    [ "$code" = 400 ] || fail "$backend: a header over MAX_HEADER got $code, not 400 (the channel configuration was dropped)"

    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "$backend: exit status $? after SIGTERM"
    SERVER_PID=""
    echo "hummingbird smoke: $backend ok ($((after - before)) backend allocations for 10 connections; alpha's arena +$((alpha_after - alpha_before)), beta's +0)"
done
echo "hummingbird smoke: all ok"

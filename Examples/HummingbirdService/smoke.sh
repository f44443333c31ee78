#!/usr/bin/env bash
# Smoke test of the Hummingbird 2 example (make test-hummingbird): builds it, starts it on
# loopback for each available backend, checks /healthz and /echo, checks that the AllocShim
# backend's allocation counter moves with every new connection (Hummingbird's read buffers
# come from the AllocShim NIO allocator, not NIO's malloc), and that SIGTERM stops it with
# status 0.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release
BINARY=.build/release/HummingbirdService
PORT=${PORT:-18383}
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true' EXIT
fail() { echo "hummingbird smoke: FAIL: $*" >&2; exit 1; }
allocations() { curl -fs "http://127.0.0.1:$PORT/stats" | sed -n 's/^allocations //p'; }

for backend in system jemalloc mimalloc tcmalloc; do
    ALLOCSHIM_BACKEND=$backend PORT=$PORT "$BINARY" >/tmp/hb-smoke.log 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        SERVER_PID=""
        grep -q "is unavailable" /tmp/hb-smoke.log || fail "$backend: the service did not start: $(tail -3 /tmp/hb-smoke.log)"
        echo "hummingbird smoke: $backend skipped: $(grep -o "is unavailable.*" /tmp/hb-smoke.log | head -1)"
        continue
    fi
    [ "$(curl -fs "http://127.0.0.1:$PORT/healthz")" = ok ] || fail "$backend: /healthz"
    [ "$(curl -fs -X POST --data 'hello, hummingbird' "http://127.0.0.1:$PORT/echo")" = "HELLO, HUMMINGBIRD" ] || fail "$backend: /echo"
    # Ten new connections, each reading a request: each read buffer is an allocation of the
    # backend (GET /healthz allocates no AllocShim buffer itself).
    before=$(allocations)
    for _ in $(seq 10); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null; done
    after=$(allocations)
    [ $((after - before)) -ge 10 ] || fail "$backend: $((after - before)) backend allocations for 10 connections: the NIO allocator is not AllocShim's"
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "$backend: exit status $? after SIGTERM"
    SERVER_PID=""
    echo "hummingbird smoke: $backend ok ($((after - before)) backend allocations for 10 connections)"
done
echo "hummingbird smoke: all ok"

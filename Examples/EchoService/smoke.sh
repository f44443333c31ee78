#!/usr/bin/env bash
# Smoke test of the example service, run by `make test`: builds it, starts it on loopback
# for each available backend, and checks /healthz, /echo (shared and per tenant), 413 on an
# oversized body, /metrics, a clean SIGTERM stop, and the start-up error on a bad backend; then
# graceful shutdown: a request in flight at SIGINT is answered in full, new connections are
# refused meanwhile, and the service exits with status 0.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release
BINARY=.build/release/EchoService
PORT=${PORT:-18282}
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true' EXIT
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

for backend in system jemalloc jemalloc-arena mimalloc tcmalloc; do
    ALLOCSHIM_BACKEND=$backend PORT=$PORT MAX_BODY=65536 "$BINARY" >/tmp/echo-smoke.log 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        SERVER_PID=""
        grep -q "is unavailable" /tmp/echo-smoke.log || fail "$backend: the service did not start: $(tail -3 /tmp/echo-smoke.log)"
        echo "smoke: $backend skipped: $(grep -o "is unavailable.*" /tmp/echo-smoke.log | head -1)"
        continue
    fi
    [ "$(curl -fs "http://127.0.0.1:$PORT/healthz")" = ok ] || fail "$backend: /healthz"
    [ "$(curl -fs -X POST --data 'hello, allocshim' "http://127.0.0.1:$PORT/echo")" = "HELLO, ALLOCSHIM" ] || fail "$backend: /echo"
    case $backend in jemalloc*)
        [ "$(curl -fs -X POST -H 'X-Tenant: acme' --data 'tenant' "http://127.0.0.1:$PORT/echo")" = TENANT ] || fail "$backend: tenant /echo" ;;
    esac
    code=$(head -c 70000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @- "http://127.0.0.1:$PORT/echo")
    [ "$code" = 413 ] || fail "$backend: oversized body gave $code, expected 413"
    sleep 1.2  # one metrics sample
    curl -fs "http://127.0.0.1:$PORT/metrics" >/tmp/echo-smoke.metrics || fail "$backend: /metrics"
    grep -q "^allocshim_allocations_total{backend=\"$backend\"" /tmp/echo-smoke.metrics || fail "$backend: /metrics"
    case $backend in
    jemalloc*) grep -q '^allocshim_tenant_live_bytes{tenant="acme"' /tmp/echo-smoke.metrics || fail "$backend: no tenant series in /metrics" ;;
    system) # glibc reports no resident figure: it must be absent, not 0
        ! grep -q '^allocshim_resident_bytes{backend="system"' /tmp/echo-smoke.metrics || fail "system: absent figure exported" ;;
    esac
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "$backend: exit status $? after SIGTERM"
    SERVER_PID=""
    echo "smoke: $backend ok"
done
# Graceful shutdown (ServiceGroup): SIGINT while a slow upload is in flight.
start_server() {
    ALLOCSHIM_BACKEND=system PORT=$PORT "$BINARY" >/tmp/echo-smoke.log 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
    fail "the service did not start: $(tail -3 /tmp/echo-smoke.log)"
}
start_server
head -c 40000 /dev/zero | tr '\0' a >/tmp/echo-smoke.body
# About 2 s at 20 KB/s: SIGINT lands in the middle of the request.
curl -fs --limit-rate 20k -X POST --data-binary @/tmp/echo-smoke.body "http://127.0.0.1:$PORT/echo" >/tmp/echo-smoke.out &
CURL_PID=$!
sleep 0.7
kill -INT "$SERVER_PID"
sleep 0.3
if curl -fs -m 2 "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then fail "graceful shutdown: a new connection was accepted after SIGINT"; fi
wait "$CURL_PID" || fail "graceful shutdown: the request in flight failed (curl status $?)"
[ "$(wc -c </tmp/echo-smoke.out)" = 40000 ] && [ -z "$(tr -d A </tmp/echo-smoke.out)" ] ||
    fail "graceful shutdown: the request in flight got $(wc -c </tmp/echo-smoke.out) bytes, not 40000 upper-case As"
wait "$SERVER_PID" || fail "graceful shutdown: exit status $?"
SERVER_PID=""
grep -q "shutting down" /tmp/echo-smoke.log || fail "graceful shutdown: no shutdown record in the log"
echo "smoke: graceful shutdown ok (request in flight answered, new connections refused, exit 0)"

if ALLOCSHIM_BACKEND=bogus "$BINARY" 2>/tmp/echo-smoke.err; then fail "a bogus backend started"; fi
grep -q "valid backends are" /tmp/echo-smoke.err || fail "bogus backend message: $(cat /tmp/echo-smoke.err)"

# Without the Jemalloc trait (what `allocshim run` and the soak use): it builds, serves, ignores
# X-Tenant, runs the periodic release service, and stops cleanly. (A trap in its settings went
# unnoticed once: only the jemalloc build was smoke-tested.)
swift build -c release --disable-default-traits --scratch-path .build-nojemalloc
RELEASE_INTERVAL=1 PORT=$PORT ./.build-nojemalloc/release/EchoService >/tmp/echo-smoke.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null || fail "without jemalloc: the service did not start: $(tail -3 /tmp/echo-smoke.log)"
[ "$(curl -fs -X POST -H 'X-Tenant: acme' --data 'plain' "http://127.0.0.1:$PORT/echo")" = PLAIN ] || fail "without jemalloc: /echo with X-Tenant"
sleep 1.5  # at least one periodic release
kill -INT "$SERVER_PID"
wait "$SERVER_PID" || fail "without jemalloc: exit status $?"
SERVER_PID=""
echo "smoke: without jemalloc ok"
echo "smoke: all ok"

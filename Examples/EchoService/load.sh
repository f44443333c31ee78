#!/usr/bin/env bash
# Loads EchoService with wrk on loopback, once per available backend (and, on jemalloc
# builds, once more with a jemalloc arena per tenant), and records requests/s, p50/p99
# latency and the service's RSS after the load.
#   DURATION=10 CONNECTIONS=32 THREADS=2 PORT=18181 ./load.sh
# Output: a Markdown table on stdout and load-results.json beside this script.
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18181}
BACKENDS=${BACKENDS:-"system jemalloc jemalloc-arena mimalloc tcmalloc"}

if ! command -v wrk >/dev/null 2>&1; then
    echo "load.sh: installing wrk (Debian package wrk)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
    else echo "load.sh: wrk is missing; run as root or apt-get install wrk" >&2; exit 1; fi
fi
bash ../../scripts/install-deps.sh >&2
swift build -c release >&2
BINARY=.build/release/EchoService
mkdir -p load-output

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT INT TERM

start_server() {  # backend
    ALLOCSHIM_BACKEND="$1" PORT="$PORT" "$BINARY" >"load-output/$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then SERVER_PID=""; return 1; fi
        sleep 0.1
    done
    return 1
}

to_ms() {  # wrk latency like 512.00us, 1.20ms, 2.01s, 1.05m -> milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else printf "%s", v }'
}

rows=()
json_number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] && printf '%s' "$1" || printf 'null'; }
run() {  # backend mode script
    local backend=$1 mode=$2 script=$3
    local out="load-output/$backend-$mode.wrk"
    local rps p50 p99 errors rss
    # wrk stops itself after DURATION; `timeout` bounds the run even if it does not.
    if ! timeout -k 2 "$((DURATION + 10))" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency \
        -s "$script" "http://127.0.0.1:$PORT/echo" >"$out" 2>&1; then
        echo "load.sh: $backend $mode: wrk failed: $(tail -1 "$out")" >&2
    fi
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$out"); errors=${errors:-0}
    rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$mode" "${rps:-n/a}" "${p50:-n/a}" "${p99:-n/a}" "${rss:-n/a}" "$errors"
    rows+=("{\"backend\":\"$backend\",\"mode\":\"$mode\",\"requestsPerSecond\":$(json_number "$rps"),\"p50Ms\":$(json_number "$p50"),\"p99Ms\":$(json_number "$p99"),\"rssMiB\":$(json_number "$rss"),\"non2xx\":$(json_number "$errors")}")
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, 4 KiB POST /echo, loopback; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| backend | mode | requests/s | p50 ms | p99 ms | RSS MiB after | non-2xx |"
echo "|---|---|---:|---:|---:|---:|---:|"
for backend in $BACKENDS; do
    if ! start_server "$backend"; then
        echo "load.sh: $backend skipped: $(tail -1 "load-output/$backend.log")" >&2
        continue
    fi
    timeout -k 2 10 wrk -t1 -c4 -d2s -s post.lua "http://127.0.0.1:$PORT/echo" >/dev/null 2>&1 || true  # warm-up
    run "$backend" shared post.lua
    case $backend in
        jemalloc*) run "$backend" tenant tenants.lua ;;
    esac
    stop_server
done
( IFS=,; echo "[${rows[*]}]" ) > load-results.json

# Helpers shared by bench/run and bench/compare (sourced, never run): free
# ports, waiting for HTTP, the figures of a wrk run, process CPU, and the
# table of bench_rpc_pingpong (the gateway → core hop, one row per mode).
# Messages name the caller through $BENCH_NAME (default "bench").
# shellcheck shell=bash

# free_port: a random free listening port below the kernel's ephemeral range
# (32768 and up), where outgoing connections take their source ports.
free_port() {
  python3 -c 'import random, socket
for _ in range(1000):
    p = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

# wait_http URL: until URL answers 2xx (10 s at most), else exit 1.
wait_http() {
  for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "${BENCH_NAME:-bench}: $1 never answered" >&2
  exit 1
}

# wrk_figures FILE (wrk --latency output) →
#   "requests_per_sec p99_ms failures requests"   (failures: non-2xx + timeouts)
wrk_figures() {
  local rps p99 bad timeouts requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$1")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1")
  timeouts=$(sed -n 's/.*timeout \([0-9]*\).*/\1/p' "$1")
  requests=$(awk '/ requests in / {print $1}' "$1")
  echo "$rps $p99 $(( ${bad:-0} + ${timeouts:-0} )) ${requests:-0}"
}

# cpu_ticks PID... → utime+stime of those processes (all their threads), in
# clock ticks, from /proc/PID/stat fields 14 and 15 (as peers/compare counts).
cpu_ticks() {
  local p t=0
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    # The command name (field 2) may hold spaces: count fields after its ')'.
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$t"
}

# cpu_per_1k TICKS REQUESTS → CPU milliseconds per 1,000 requests
cpu_per_1k() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  if (n > 0) printf "%.1f", t * 1000 / hz / n * 1000; else print "-" }'; }

# hop_figures FILE MODE → "round_trips_per_sec p99_ms cpu_ms_per_1k" of one
# mode of a bench_rpc_pingpong table (CPU: client + server). Output of a build
# from before the modes ("requests_per_sec N", "p99_ms X") gives its only
# figures, CPU "-".
hop_figures() {
  awk -v m="$2" '$1 == m {print $2, $3, $4 + $5; found = 1}
    $1 == "requests_per_sec" {r = $2} $1 == "p99_ms" {p = $2}
    END {if (!found && r != "") print r, p, "-"}' "$1"
}

# hop_fastest FILE → the mode with the most round trips per second
hop_fastest() { awk '$1 == "mode" {table = 1; next} table && $2 > best {best = $2; m = $1} END {print m}' "$1"; }

# Server contexts of the echo server (on aio callbacks, as in the core).
HOP_WORKERS=16

# hop_run BUILD_DIR URL CALLERS SECONDS FILE: every mode of bench_rpc_pingpong
# (the gateway → core hop, raw nng REQ/REP) into FILE.
hop_run() { "$1/bench_rpc_pingpong" "$2" "$HOP_WORKERS" "$3" "$4" >"$5"; }

# hop_report FILE URL CALLERS SECONDS: the table of hop_run under a heading,
# then the fastest mode (a build from before the modes has no table).
hop_report() {
  printf '\ngateway → core hop, raw nng REQ/REP each way (%s, %s callers, %s server contexts, %ss each):\n' \
    "${2%%:*}" "$3" "$HOP_WORKERS" "$4"
  cat "$1"
  local fastest
  fastest=$(hop_fastest "$1")
  [ -z "$fastest" ] || echo "fastest: $fastest; CPU: ms per 1,000 round trips;" \
    "the gateway's client (rpc/runtime/client.c) is ctx-wait"
}

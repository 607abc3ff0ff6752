#!/usr/bin/env bash
# Transparent proxy benchmark (GitHub issue "Transparent proxy", section "Benchmark"; results in BENCHMARKS.md).
# One run on one machine, everything on 127.0.0.1:
#
#   upstream:  nginx (nginx-light, worker_processes 1, access_log off) answering every POST with
#              `return 200 '{"jsonrpc":"2.0","id":1,"result":{}}'` (application/json), and GET /sse with
#              `text/event-stream` and one event (`data: hello`) at once;
#   (i)   direct to the upstream;
#   (ii)  through our transparent proxy (runner/target/mcp-proxy.jar transparent --target http://127.0.0.1:U/mcp,
#         its own JVM, defaults otherwise);
#   (iii) through nginx as a reverse proxy (a second nginx instance, worker_processes NGINX_PROXY_WORKERS:
#         `upstream { keepalive 64; }`, proxy_http_version 1.1, proxy_set_header Connection "", proxy_buffering off).
#
# Load: wrk with benchmarks/transparent/post.lua (POST of one JSON-RPC tools/call, no Mcp-Session-Id), at 1
# connection (-t1) and 64 connections (-t2): per point a WARMUP s run that also checks every response, then a
# DURATION s measured run (--latency): req/s, p50, p99, and the CPU time per request of the proxy's processes and of
# the upstream nginx (from /proc). Order: direct and nginx-as-proxy first, before our JVM starts (so that no idle or
# still-compiling JVM shares the CPU with them); then our proxy, after SERVER_WARMUP s of unmeasured load at 64
# connections (JIT). An extra pair of rows measures our proxy with `Mcp-Session-Id` on every request (a session the
# proxy learned from the upstream's response header, so each request pays the session lookup), against upstream
# path /mcp-session, which sets that header.
# The floor of our stack: io.mcpproxy.benchmarks.BareJettyForwarder (Jetty server + jetty-client configured like our
# proxy, none of our logic), measured last (our proxy stopped first) at the highest connection count and for the
# first event, so that the table shows how much of the gap to nginx is the stack and how much is ours.
# SSE first-event latency: io.mcpproxy.benchmarks.FirstEventLatency, FE_WARMUP then FE_COUNT sequential GET /sse,
# each on a new connection, time from connect to the first event: direct, through our proxy, through nginx, through
# the bare Jetty forwarder.
#
# Before measuring the script waits (polling every 20 s, at most QUIET_MAX_WAIT s) until the 1-minute load average
# is below 0.8 and no other benchmark/test/build process (wrk, surefire, failsafe, maven, ...) runs, and prints the
# load average it started at. During every measured run a watcher looks for such processes each second; a point they
# disturbed is redone (up to 3 attempts, after they are gone) and the table says whether the kept one was disturbed.
# At the end it prints a Markdown table and the comparison with the targets.
#
# Usage (from anywhere):   bash benchmarks/transparent/run.sh
# Environment knobs:       DURATION=10 WARMUP=3 SERVER_WARMUP=20 CONNS="1 64" FE_WARMUP=500 FE_COUNT=2000
#                          NGINX_PROXY_WORKERS=1 QUIET_MAX_WAIT=900 SKIP_BUILD=1 (use the jars already built)
#                          PROXY_JAVA_OPTS="..." (extra JVM options for our proxy, e.g. JFR)
# Installs when missing:   wrk, nginx-light, curl (apt-get, needs root).
# Every process it starts runs in its own process group and is stopped by the EXIT trap; every step is bounded.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
SERVER_WARMUP=${SERVER_WARMUP:-20}
CONNS=${CONNS:-"1 64"}
FE_WARMUP=${FE_WARMUP:-500}
FE_COUNT=${FE_COUNT:-2000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benchmarks/transparent
WORK=$(mktemp -d /tmp/mcp-transparent-bench.XXXXXX)
RESULTS=()
FE_RESULTS=()
lo=$(for c in $CONNS; do echo "$c"; done | sort -n | sed -n 1p) # lowest connection count (1 by default)
hi=$(for c in $CONNS; do echo "$c"; done | sort -n | tail -1)  # highest (64 by default)

BENCH_NAME=transparent-bench
OWN_WRK_SCRIPT=$HERE/post.lua # another wrk (not running our script) disturbs a point too
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh" # log, die, process groups (stopped on exit), quiet/disturbance checks, field

# ---------------------------------------------------------------------------------------------------- installs
install_load_tools
command -v java >/dev/null || die "java (17+) is needed"

# ---------------------------------------------------------------------------------------------------- build
build_jars

# ---------------------------------------------------------------------------------------------------- servers
# The upstream nginx and nginx as reverse proxy (DIRECT, NGXPROXY, UP_PG, NGX_PG, check_server, run_wrk).
# shellcheck source=common.sh
source "$HERE/common.sh"

# ---------------------------------------------------------------------------------------------------- measure
bench() { # $1 = label, $2 = URL, $3 = conns, $4 = session id or "", $5 = proxy process group or ""
  # A point disturbed by other processes is redone (up to 3 attempts).
  local label=$1 url=$2 conns=$3 sid=$4 pg=$5 out line attempt disturbed=yes p0 p1 u0 u1 n pcpu ucpu
  out="$WORK/wrk-$label-$conns"
  for attempt in 1 2 3; do
    wait_others
    log "$label c=$conns: warm-up ${WARMUP}s (verifying responses)"
    run_wrk_verified "$out.warmup" "$WARMUP" "$conns" "$url" "$sid"
    log "$label c=$conns: measuring ${DURATION}s"
    start_watch "$out.others"
    p0=$(group_ticks "$pg"); u0=$(group_ticks "$UP_PG")
    run_wrk "$out.txt" "$DURATION" "$conns" "$url" "$sid" --latency
    p1=$(group_ticks "$pg"); u1=$(group_ticks "$UP_PG")
    line=$(grep -m1 '^RESULT' "$out.txt") || die "no RESULT in $out.txt"
    n=$(field requests "$line")
    pcpu=$(us_per_request $((p1 - p0)) "$n")
    ucpu=$(us_per_request $((u1 - u0)) "$n")
    [ -n "$pg" ] || pcpu=-
    log "  $line proxy_cpu_us_per_req=$pcpu upstream_cpu_us_per_req=$ucpu"
    if stop_watch "$out.others"; then disturbed=no; break; fi
    log "  disturbed by $(tr ' ' '\n' <"$out.others" | sort -u | xargs); attempt $attempt of 3"
  done
  RESULTS+=("$label|$conns|$(field rps "$line")|$(field p50_ms "$line")|$(field p99_ms "$line")|$(field errors "$line")|$disturbed|$pcpu|$ucpu")
}

# Phase 1: direct and nginx as proxy, before our JVM exists (an idle JVM still compiling would take CPU from them).
wait_quiet "all points"
run_wrk "$WORK/server-warmup-nginx.txt" 5 64 "$NGXPROXY/mcp" ""
for c in $CONNS; do
  bench direct "$DIRECT/mcp" "$c" "" ""
  bench nginx-proxy "$NGXPROXY/mcp" "$c" "" "$NGX_PG"
done

# Phase 2: our proxy.
OURS_PORT=$(free_port)
# The upstream's /mcp-session and /sse are other paths than the target's endpoint: named so that they are forwarded.
start_group "$WORK/ours.log" java ${PROXY_JAVA_OPTS:-} -jar "$WORK/mcp-proxy.jar" transparent --port "$OURS_PORT" \
  --target "$DIRECT/mcp" --forward-path /mcp-session --forward-path /sse
OURS_PID=$STARTED_PID
OURS=http://127.0.0.1:$OURS_PORT
wait_http "$OURS/mcp" "$OURS_PID"
log "our proxy at $OURS (pid $OURS_PID)"
check_server "$OURS"
# It learns the session the upstream issues on /mcp-session, and answers unknown sessions itself.
hdr=$(curl -sS --max-time 5 -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize"}' "$OURS/mcp-session" | tr -d '\r')
grep -qi "^mcp-session-id: $SESSION_ID" <<<"$hdr" || die "no session id through our proxy: $hdr"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H "Mcp-Session-Id: $SESSION_ID" -d '{"jsonrpc":"2.0","id":2,"method":"ping"}' "$OURS/mcp-session")
[ "$code" = 200 ] || die "our proxy did not learn session $SESSION_ID (answered $code)"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H "Mcp-Session-Id: not-a-known-session" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}' "$OURS/mcp-session")
[ "$code" = 404 ] || die "our proxy answered $code for an unknown session (expected 404: lookups happen)"
if [ "$SERVER_WARMUP" -gt 0 ]; then
  wait_others
  log "server warm-up of our proxy: ${SERVER_WARMUP}s at 64 connections + 5s with a session (not measured)"
  run_wrk "$WORK/server-warmup-ours.txt" "$SERVER_WARMUP" 64 "$OURS/mcp" ""
  run_wrk "$WORK/server-warmup-ours-session.txt" 5 64 "$OURS/mcp-session" "$SESSION_ID"
  sleep 5 # let the compiler threads finish what the warm-up queued
fi
for c in $CONNS; do
  bench ours "$OURS/mcp" "$c" "" "$OURS_PID"
  bench ours-session "$OURS/mcp-session" "$c" "$SESSION_ID" "$OURS_PID"
done

FE=(java -XX:+UseSerialGC -Xmx256m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.FirstEventLatency)
first_event() { # $1 = label, $2 = base URL
  local label=$1 url=$2 disturbed=yes attempt line
  for attempt in 1 2 3; do
    wait_others
    log "SSE first event, $label: $FE_WARMUP warm-up + $FE_COUNT measured sequential GET /sse"
    start_watch "$WORK/first-event-$label.others"
    timeout 600 "${FE[@]}" "$url/sse" "$FE_WARMUP" "$FE_COUNT" "$label" >"$WORK/first-event-$label.txt" 2>&1 \
      || die "FirstEventLatency failed: $(cat "$WORK/first-event-$label.txt")"
    line=$(grep -m1 '^RESULT' "$WORK/first-event-$label.txt")
    log "  $line"
    if stop_watch "$WORK/first-event-$label.others"; then disturbed=no; break; fi
    log "  disturbed by $(tr ' ' '\n' <"$WORK/first-event-$label.others" | sort -u | xargs); attempt $attempt of 3"
  done
  FE_RESULTS+=("$line disturbed=$disturbed")
}
first_event direct "$DIRECT"
first_event nginx-proxy "$NGXPROXY"
first_event ours "$OURS"

# Phase 3: the floor of our stack, a bare Jetty server + jetty-client forwarder with none of our logic (see
# BareJettyForwarder), at the highest connection count and for the first event; our proxy stopped first.
stop_pid_group "$OURS_PID"
BARE_PORT=$(free_port)
start_group "$WORK/bare.log" java ${PROXY_JAVA_OPTS:-} -cp "$WORK/benchmarks.jar" \
  io.mcpproxy.benchmarks.BareJettyForwarder "$BARE_PORT" "$DIRECT"
BARE_PID=$STARTED_PID
BARE=http://127.0.0.1:$BARE_PORT
wait_http "$BARE/mcp" "$BARE_PID"
check_server "$BARE"
if [ "$SERVER_WARMUP" -gt 0 ]; then
  wait_others
  log "server warm-up of the bare Jetty forwarder: ${SERVER_WARMUP}s at 64 connections (not measured)"
  run_wrk "$WORK/server-warmup-bare.txt" "$SERVER_WARMUP" 64 "$BARE/mcp" ""
  sleep 5
fi
bench bare "$BARE/mcp" "$hi" "" "$BARE_PID"
first_event bare "$BARE"
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------- table
get() { # $1 = label, $2 = conns, $3 = column (3 rps, 4 p50, 5 p99)
  local r
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r -a f <<<"$r"
    if [ "${f[0]}" = "$1" ] && [ "${f[1]}" = "$2" ]; then echo "${f[$(($3 - 1))]}"; return; fi
  done
}
fe() { # $1 = label, $2 = key
  local r
  for r in "${FE_RESULTS[@]}"; do
    [ "$(field label "$r")" = "$1" ] && field "$2" "$r" && return
  done
}
echo
echo "### Transparent proxy benchmark, $(date -u +%Y-%m-%d), wrk ${DURATION}s per point after a ${WARMUP}s warm-up" \
  "(each proxy: ${SERVER_WARMUP}s of unmeasured load first)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by wrk, the" \
  "upstream nginx and the proxy under test; $(java -version 2>&1 | sed -n 1p); wrk $(wrk --version 2>&1 | sed -n 1p |
  awk '{print $2}'); nginx $("$NGINX" -v 2>&1 | cut -d/ -f2) (upstream: 1 worker; as proxy: $NGINX_PROXY_WORKERS" \
  "worker(s)); load average at start $LOAD_AT_START, at end $LOAD_AT_END."
echo
echo "| path | connections | req/s | p50 ms | p99 ms | wrk errors | proxy CPU µs/req | upstream CPU µs/req | others ran during it |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r l c rps p50 p99 err dist pcpu ucpu <<<"$r"
  case "$l" in
    direct) name="direct to the upstream nginx" ;;
    ours) name="our transparent proxy" ;;
    nginx-proxy) name="nginx as reverse proxy" ;;
    ours-session) name="our transparent proxy, with Mcp-Session-Id (session lookup)" ;;
    bare) name="bare Jetty forwarder (stack floor: Jetty server + jetty-client, none of our logic)" ;;
  esac
  printf '| %s | %s | %.0f | %.3f | %.3f | %s | %s | %s | %s |\n' "$name" "$c" "$rps" "$p50" "$p99" "$err" "$pcpu" \
    "$ucpu" "$dist"
done
echo
echo "SSE time to first event, $FE_COUNT sequential GET /sse after $FE_WARMUP warm-up, a new connection each:"
echo
echo "| path | p50 ms | p90 ms | p99 ms | mean ms | errors | others ran during it |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for r in "${FE_RESULTS[@]}"; do
  printf '| %s | %.3f | %.3f | %.3f | %.3f | %s | %s |\n' "$(field label "$r")" "$(field p50_ms "$r")" \
    "$(field p90_ms "$r")" "$(field p99_ms "$r")" "$(field mean_ms "$r")" "$(field errors "$r")" "$(field disturbed "$r")"
done
echo
awk -v o="$(get ours "$hi" 3)" -v n="$(get nginx-proxy "$hi" 3)" -v d="$(get direct "$hi" 3)" \
  -v os="$(get ours-session "$hi" 3)" -v c="$hi" 'BEGIN {
  printf "- %s connections: our proxy %.0f req/s = %.1f%% of nginx as proxy (target >= 80%%: %s); nginx as proxy = %.1f%% of direct; our proxy = %.1f%% of direct; with session lookup %.1f%% of nginx as proxy.\n",
    c, o, 100 * o / n, (o >= 0.8 * n ? "met" : "missed"), 100 * n / d, 100 * o / d, 100 * os / n }'
awk -v o="$(get ours "$hi" 3)" -v b="$(get bare "$hi" 3)" -v n="$(get nginx-proxy "$hi" 3)" -v c="$hi" 'BEGIN {
  printf "- %s connections, the stack floor: the bare Jetty forwarder reaches %.1f%% of nginx as proxy; our proxy does %.1f%% of the bare forwarder'"'"'s req/s.\n",
    c, 100 * b / n, 100 * o / b }'
awk -v o="$(get ours "$lo" 4)" -v d="$(get direct "$lo" 4)" -v n="$(get nginx-proxy "$lo" 4)" -v c="$lo" 'BEGIN {
  printf "- %s connection: p50 added over direct: ours %.3f ms (target < 0.15 ms: %s), nginx as proxy %.3f ms.\n",
    c, o - d, (o - d < 0.15 ? "met" : "missed"), n - d }'
awk -v o50="$(fe ours p50_ms)" -v d50="$(fe direct p50_ms)" -v o99="$(fe ours p99_ms)" -v d99="$(fe direct p99_ms)" \
  -v n50="$(fe nginx-proxy p50_ms)" -v n99="$(fe nginx-proxy p99_ms)" -v b50="$(fe bare p50_ms)" \
  -v b99="$(fe bare p99_ms)" 'BEGIN {
  printf "- SSE first event added over direct: ours p50 %.3f ms, p99 %.3f ms (target < 1 ms: %s); nginx as proxy p50 %.3f ms, p99 %.3f ms; bare Jetty forwarder p50 %.3f ms, p99 %.3f ms.\n",
    o50 - d50, o99 - d99, (o50 - d50 < 1 && o99 - d99 < 1 ? "met" : "missed"), n50 - d50, n99 - d99, b50 - d50, b99 - d99 }'

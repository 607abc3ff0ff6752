#!/usr/bin/env bash
# Streamable HTTP proxy benchmark (GitHub issue "Streamable HTTP proxy", section "Benchmark"; results in
# BENCHMARKS.md). One run on one machine, everything on 127.0.0.1:
#
#   (a) our proxy (runner/target/mcp-proxy.jar streamable) in front of EchoStdioServer, 1 and 64 connections,
#       JSON answers (tools/call echo) and SSE answers (tools/call echo_progress with a progressToken);
#   (b) npm mcp-proxy (pinned below, --server stream) in front of the same EchoStdioServer, JSON load, 1 and 64;
#   (c) nginx `return 200` (nginx-light, worker_processes 1) as the machine's HTTP ceiling, same request, 1 and 64;
#   (d) direct stdio round trips to EchoStdioServer (io.mcpproxy.benchmarks.StdioRoundTrip), sequential.
#
# Load generator: wrk with benchmarks/streamable/mcp.lua. Every MCP session is opened with curl (initialize +
# notifications/initialized) BEFORE wrk starts; N connections use N sessions. -t1 for 1 connection, -t2 for 64.
# Each point: a warm-up run (WARMUP s, which also verifies every response) then a measured run (DURATION s,
# wrk --latency). At the end a Markdown table is printed, with two columns that help read it: the server's CPU per
# request (its process group, backend included) and the share of the machine that OTHER processes used meanwhile.
#
# Usage (from anywhere):   bash benchmarks/streamable/run.sh
# Environment knobs:       DURATION=10 WARMUP=3 CONNS="1 64" SKIP_BUILD=1 (use the jars already built)
#                          SERVER_WARMUP=20: unmeasured load (at the largest connection count) each proxy gets
#                          once after it starts, before its first point: the JVM's JIT needs more than 3 s on 2
#                          busy cores (npm mcp-proxy gets the same, for fairness)
#                          PROXY_JAVA_OPTS="..." (extra JVM options for our proxy, e.g. JFR)
# Installs when missing:   wrk, nginx-light, curl (apt-get, needs root), the npm package via npx.
# Needs:                   Java 17, Maven, Node/npx. Logs and raw wrk output stay in the printed work dir.
# Every process it starts runs in its own process group and is stopped by the EXIT trap; every step is bounded.
set -euo pipefail

MCP_PROXY_NPM_VERSION=6.7.19
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
SERVER_WARMUP=${SERVER_WARMUP:-20}
CONNS=${CONNS:-"1 64"}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benchmarks/streamable
WORK=$(mktemp -d /tmp/mcp-streamable-bench.XXXXXX)
RESULTS=()
RUN_NO=0

BENCH_NAME=bench
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh" # log, die, process groups (stopped on exit), free_port, wait_http, field

stop_last() { # stop the group started last
  stop_pid_group "${GROUPS_STARTED[${#GROUPS_STARTED[@]} - 1]}"
}

# ---------------------------------------------------------------------------------------------------- installs
install_load_tools
command -v java >/dev/null || die "java (17+) is needed"
command -v npx >/dev/null || die "node/npx is needed for npm mcp-proxy"
log "fetching npm mcp-proxy@$MCP_PROXY_NPM_VERSION (npx cache)"
timeout 300 npx -y "mcp-proxy@$MCP_PROXY_NPM_VERSION" --version >"$WORK/npx-install.log" 2>&1 \
  || die "npx mcp-proxy@$MCP_PROXY_NPM_VERSION failed; see $WORK/npx-install.log"

# ---------------------------------------------------------------------------------------------------- build
build_jars
ECHO_CMD=(java -XX:+UseSerialGC -Xmx128m -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.EchoStdioServer)

# ---------------------------------------------------------------------------------------------------- helpers
MAX_CONNS=0
for c in $CONNS; do [ "$c" -gt "$MAX_CONNS" ] && MAX_CONNS=$c; done


probe() { # $1 = label, $2 = URL, $3 = session id, $4 = json|sse: one request with curl, shows how it is answered
  local body
  if [ "$4" = sse ]; then
    body='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo_progress","arguments":{"text":"hello"},"_meta":{"progressToken":7}}}'
  else
    body='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
  fi
  curl -sS --max-time 10 -D "$WORK/probe-$1.headers" -o "$WORK/probe-$1.body" -X POST "$2" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $3" -H 'MCP-Protocol-Version: 2025-06-18' -d "$body"
  log "probe $1: $(tr -d '\r' <"$WORK/probe-$1.headers" | grep -i -m1 '^content-type:') ->" \
    "$(tr -d '\r' <"$WORK/probe-$1.body" | tr '\n' ' ' | cut -c1-200)"
}

server_warmup() { # $1 = label, $2 = URL, $3 = sessions file, $4.. = modes; SERVER_WARMUP s split over the modes
  local label=$1 url=$2 sessions=$3 mode each threads=1
  shift 3
  [ "$MAX_CONNS" -gt 1 ] && threads=2
  each=$(( (SERVER_WARMUP + $# - 1) / $# ))
  [ "$each" -gt 0 ] || return 0
  for mode in "$@"; do
    RUN_NO=$((RUN_NO + 1))
    log "$label: server warm-up, $mode c=$MAX_CONNS ${each}s (not measured)"
    timeout $((each + 60)) wrk -t"$threads" -c"$MAX_CONNS" -d"${each}s" --timeout 5s -s "$HERE/mcp.lua" "$url" \
      -- "$sessions" "$threads" "$mode" "$RUN_NO" >"$WORK/server-warmup-$label-$mode.txt" 2>&1 \
      || die "wrk server warm-up failed: $(cat "$WORK/server-warmup-$label-$mode.txt")"
  done
}

# CPU accounting around each measured run, so that a reader can tell a slow server from a busy machine:
# the server's own CPU per request (its whole process group: proxy + echo backend, or nginx master + worker) and
# the share of the machine that processes outside this benchmark used meanwhile.
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
# user + nice + system + steal; irq/softirq left out: loopback packet processing lands there, not on a process,
# and would read as "other" load.
busy_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $9}' /proc/stat; }
group_jiffies() { # $1 = process group: utime + stime of its live processes
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$1" \
    '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " "); if (a[3] == pg) t += a[12] + a[13] } END { print t + 0 }'
}
children_jiffies() { # CPU of this shell's waited-for children (wrk, via timeout), in jiffies
  times >"$WORK/times.txt" # not in a pipe: a subshell's `times` would not see this shell's children
  tail -1 "$WORK/times.txt" | awk -v hz="$HZ" '{ t = 0; for (i = 1; i <= 2; i++) { split($i, m, "m"); sub(/s$/, "", m[2]);
    t += m[1] * 60 + m[2] } print int(t * hz + 0.5) }'
}

bench() { # $1 = label, $2 = URL, $3 = sessions file, $4 = connections, $5 = json|sse
  local label=$1 url=$2 sessions=$3 conns=$4 mode=$5 threads=1 out verify line sfile
  [ "$conns" -gt 1 ] && threads=2
  sfile="$WORK/sessions-$label-$conns.txt"
  head -n "$conns" "$sessions" >"$sfile"
  out="$WORK/wrk-$label-$mode-$conns"
  RUN_NO=$((RUN_NO + 1))
  log "$label $mode c=$conns: warm-up ${WARMUP}s (verifying responses)"
  WRK_VERIFY=1 timeout $((WARMUP + 60)) wrk -t"$threads" -c"$conns" -d"${WARMUP}s" --timeout 5s \
    -s "$HERE/mcp.lua" "$url" -- "$sfile" "$threads" "$mode" "$RUN_NO" >"$out.warmup" 2>&1 \
    || die "wrk warm-up failed: $(cat "$out.warmup")"
  verify=$(grep -m1 '^VERIFY' "$out.warmup" || echo "VERIFY missing")
  log "  $verify"
  RUN_NO=$((RUN_NO + 1))
  log "$label $mode c=$conns: measuring ${DURATION}s"
  local t0 b0 g0 c0 t1 b1 g1 c1 server_us other_pct
  t0=$(date +%s%N); b0=$(busy_jiffies); g0=$(group_jiffies "$STARTED_PID"); children_jiffies >"$WORK/cj0.txt"; c0=$(cat "$WORK/cj0.txt")
  timeout $((DURATION + 60)) wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s --latency \
    -s "$HERE/mcp.lua" "$url" -- "$sfile" "$threads" "$mode" "$RUN_NO" >"$out.txt" 2>&1 \
    || die "wrk failed: $(cat "$out.txt")"
  t1=$(date +%s%N); b1=$(busy_jiffies); g1=$(group_jiffies "$STARTED_PID"); children_jiffies >"$WORK/cj1.txt"; c1=$(cat "$WORK/cj1.txt")
  line=$(grep -m1 '^RESULT' "$out.txt") || die "no RESULT in $out.txt"
  server_us=$(us_per_request $((g1 - g0)) "$(field requests "$line")")
  other_pct=$(awk -v b=$((b1 - b0)) -v g=$((g1 - g0)) -v c=$((c1 - c0)) -v hz="$HZ" -v ns=$((t1 - t0)) -v cpus="$NCPU" \
    'BEGIN { o = (b - g - c) / hz / (ns / 1e9 * cpus) * 100; printf "%.0f", o < 0 ? 0 : o }')
  log "  $line server_cpu_us_per_req=$server_us other_cpu_pct=$other_pct"
  local bad
  bad=$(field bad "$verify"); bad=${bad:-?}
  RESULTS+=("$label|$conns|$mode|$(field rps "$line")|$(field p50_ms "$line")|$(field p99_ms "$line")|$(field errors "$line")|$bad|$server_us|$other_pct")
}

# ---------------------------------------------------------------------------------------------------- (a) ours
log "work dir $WORK; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# The numbers mean little if something else is using the 2 cores: say so in the log and under the table.
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $LOAD_AT_START; busiest processes:"
ps -eo pcpu=,etime=,args= --sort=-pcpu | head -3 | cut -c1-150 >&2
start_group "$WORK/ours.log" java ${PROXY_JAVA_OPTS:-} -jar "$WORK/mcp-proxy.jar" streamable --port 0 -- "${ECHO_CMD[@]}"
OURS_PID=$STARTED_PID
OURS_URL=""
for _ in $(seq 600); do
  OURS_URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$WORK/ours.log" || true)
  [ -n "$OURS_URL" ] && break
  kill -0 "$OURS_PID" 2>/dev/null || die "our proxy exited: $(cat "$WORK/ours.log")"
  sleep 0.1
done
[ -n "$OURS_URL" ] || die "our proxy printed no URL within 60 s"
log "our proxy at $OURS_URL (pid $OURS_PID)"
open_sessions "$OURS_URL" "$MAX_CONNS" "$WORK/sessions-ours.txt"
probe ours-json "$OURS_URL" "$(head -1 "$WORK/sessions-ours.txt")" json
probe ours-sse "$OURS_URL" "$(head -1 "$WORK/sessions-ours.txt")" sse
server_warmup ours "$OURS_URL" "$WORK/sessions-ours.txt" json sse
for c in $CONNS; do bench ours "$OURS_URL" "$WORK/sessions-ours.txt" "$c" json; done
for c in $CONNS; do bench ours "$OURS_URL" "$WORK/sessions-ours.txt" "$c" sse; done
stop_last

# ---------------------------------------------------------------------------------------------------- (b) npm
NPM_PORT=$(free_port)
NPM_URL="http://127.0.0.1:$NPM_PORT/mcp"
start_group "$WORK/npm-mcp-proxy.log" npx -y "mcp-proxy@$MCP_PROXY_NPM_VERSION" --host 127.0.0.1 \
  --port "$NPM_PORT" --server stream -- "${ECHO_CMD[@]}"
wait_http "$NPM_URL" "$STARTED_PID"
log "npm mcp-proxy@$MCP_PROXY_NPM_VERSION at $NPM_URL"
open_sessions "$NPM_URL" "$MAX_CONNS" "$WORK/sessions-npm.txt"
probe npm-json "$NPM_URL" "$(head -1 "$WORK/sessions-npm.txt")" json
server_warmup npm-mcp-proxy "$NPM_URL" "$WORK/sessions-npm.txt" json
for c in $CONNS; do bench npm-mcp-proxy "$NPM_URL" "$WORK/sessions-npm.txt" "$c" json; done
stop_last

# ---------------------------------------------------------------------------------------------------- (c) nginx
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
# Generated by benchmarks/streamable/run.sh: the machine's HTTP ceiling.
worker_processes 1;  # 1 beats auto here: wrk needs the second core
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/json;
      return 200 '{"jsonrpc":"2.0","id":1,"result":{}}';
    }
  }
}
EOF
start_group "$WORK/nginx.log" "$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" -c "$WORK/nginx/nginx.conf"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/mcp"
wait_http "$NGINX_URL" "$STARTED_PID"
log "nginx $("$NGINX" -v 2>&1 | cut -d/ -f2) at $NGINX_URL"
for i in $(seq "$MAX_CONNS"); do echo "nginx-ignores-this-$i"; done >"$WORK/sessions-nginx.txt"
for c in $CONNS; do bench nginx "$NGINX_URL" "$WORK/sessions-nginx.txt" "$c" json; done
stop_last

# ---------------------------------------------------------------------------------------------------- (d) stdio
log "stdio round trips: warm-up ${WARMUP}s, measuring ${DURATION}s"
timeout $((WARMUP + DURATION + 60)) java -cp "$WORK/benchmarks.jar" io.mcpproxy.benchmarks.StdioRoundTrip \
  "$WARMUP" "$DURATION" >"$WORK/stdio.txt" 2>&1 || die "StdioRoundTrip failed: $(cat "$WORK/stdio.txt")"
line=$(grep -m1 '^RESULT' "$WORK/stdio.txt")
log "  $line"
RESULTS+=("stdio (no HTTP)|1|json|$(field rps "$line")|$(field p50_ms "$line")|$(field p99_ms "$line")|0|0|-|-")

# ---------------------------------------------------------------------------------------------------- table
rps_of() { # $1 = label, $2 = conns, $3 = mode
  local r
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r l c m rps _ <<<"$r"
    if [ "$l" = "$1" ] && [ "$c" = "$2" ] && [ "$m" = "$3" ]; then echo "$rps"; return; fi
  done
}
echo
echo "### Streamable HTTP benchmark, $(date -u +%Y-%m-%d), wrk ${DURATION}s per point after a ${WARMUP}s warm-up" \
  "(each proxy: ${SERVER_WARMUP}s of unmeasured load first)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by wrk and the servers;" \
  "$(java -version 2>&1 | head -1); wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'); npm mcp-proxy $MCP_PROXY_NPM_VERSION;" \
  "node $(node --version); nginx $("$NGINX" -v 2>&1 | cut -d/ -f2); load average at start $LOAD_AT_START."
echo
echo "| server | clients | answer | req/s | p50 ms | p99 ms | wrk errors | bad answers (warm-up check) | server CPU µs/req | other processes' CPU |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r l c m rps p50 p99 err bad cpu other <<<"$r"
  [ "$other" = - ] || other="$other%"
  case "$l:$m" in
    ours:json) name="our proxy"; ans="JSON" ;;
    ours:sse) name="our proxy"; ans="SSE (progress first)" ;;
    npm-mcp-proxy:*) name="npm mcp-proxy $MCP_PROXY_NPM_VERSION"; ans="JSON request" ;;
    nginx:*) name="nginx return 200"; ans="JSON" ;;
    *) name=$l; ans="stdio line" ;;
  esac
  printf '| %s | %s | %s | %.0f | %.3f | %.3f | %s | %s | %s | %s |\n' "$name" "$c" "$ans" "$rps" "$p50" "$p99" "$err" \
    "$bad" "$cpu" "$other"
done
hi=$(for c in $CONNS; do echo "$c"; done | sort -n | tail -1)
ours=$(rps_of ours "$hi" json); npm=$(rps_of npm-mcp-proxy "$hi" json); ng=$(rps_of nginx "$hi" json)
if [ -n "$ours" ] && [ -n "$npm" ] && [ -n "$ng" ]; then
  echo
  awk -v o="$ours" -v n="$npm" -v g="$ng" -v c="$hi" 'BEGIN {
    printf "At %s clients (JSON): our proxy = %.1fx npm mcp-proxy (target >= 10x), %.1f%% of nginx (target >= 35%%).\n",
      c, o / n, 100 * o / g }'
fi
